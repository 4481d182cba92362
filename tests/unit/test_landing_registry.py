from pathlib import Path

import pytest

from mops.core.errors import RefusedFile
from mops.core.ingest_shapes import match_version
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")


def test_every_platform_of_the_design_is_registered():
    assert set(REGISTRY.sources) == {
        "google_ads",
        "meta_ads",
        "linkedin_ads",
        "tiktok_ads",
        "microsoft_ads",
        "ga4",
        "hubspot",
        "plan",  # files the marketing team owns (the budget plan)
        "accounts",  # per-account settings where platform exports lack currency or time zone
        "finance",  # the team's own FX rates (win over the ECB rates)
    }


def test_renamed_fields_share_one_canonical_column_across_versions():
    google = REGISTRY.table("google_ads", "campaign_stats").canonical_mapping()
    assert {v: f.name for v, f in google["conversions"].items()} == {
        "v1": "metrics.conversions",
        "v2": "metrics.all_conversions",
        "ui": "metrics.conversions",  # the web UI's "Conversions" column
    }
    meta = REGISTRY.table("meta_ads", "insights").canonical_mapping()
    assert {v: f.name for v, f in meta["clicks"].items()} == {
        "v1": "inline_link_clicks",
        "v2": "outbound_clicks",
        "ads_manager": "inline_link_clicks",  # Ads Manager's "Link clicks"
    }
    linkedin = REGISTRY.table("linkedin_ads", "ad_analytics").canonical_mapping()["spend"]
    assert (linkedin["v1"].currency, linkedin["v2"].currency) == ("USD", "account")


def test_version_matching_picks_the_version_whose_fields_the_file_has():
    table = REGISTRY.table("google_ads", "campaign_stats")
    base = [f.name for f in table.fields if f.versions is None and f.required]
    assert match_version(table, base + ["metrics.conversions", "metrics.conversions_value"], "f.csv") == ["v1"]
    assert match_version(table, base + ["metrics.all_conversions", "metrics.all_conversions_value"], "f.csv") == ["v2"]


def test_a_renamed_field_is_refused_naming_the_unknown_and_the_missing_field():
    table = REGISTRY.table("google_ads", "campaign_stats")
    base = [f.name for f in table.fields if f.versions is None and f.required and f.name != "metrics.clicks"]
    with pytest.raises(RefusedFile) as err:
        match_version(
            table,
            base + ["metrics.click_count", "metrics.conversions", "metrics.conversions_value"],
            "landing/google_ads/x.csv",
        )
    message = str(err.value)
    assert "landing/google_ads/x.csv" in message
    assert "fields the format does not know ['metrics.click_count']" in message
    assert "missing required fields ['metrics.clicks']" in message


def test_fields_of_two_versions_are_decided_by_the_declared_precedence():
    table = REGISTRY.table("meta_ads", "insights")
    base = [f.name for f in table.fields if f.versions is None and f.required]
    assert match_version(table, base + ["inline_link_clicks", "outbound_clicks"], "m.jsonl") == ["v2", "v1"]
    linkedin = REGISTRY.table("linkedin_ads", "ad_analytics")
    base = [f.name for f in linkedin.fields if f.versions is None and f.required]
    assert match_version(linkedin, base + ["costInUsd", "costInLocalCurrency"], "l.jsonl") == ["v2", "v1"]


def test_fields_of_two_versions_without_a_precedence_are_refused_saying_what_to_do(tmp_path: Path):
    (tmp_path / "x.yml").write_text(
        "source: x\ndescription: d\ntables:\n  t:\n    description: d\n    api: a\n    grain: g\n    key: [a]\n"
        "    versions: {v1: old, v2: new}\n"
        "    fields:\n      - {name: a, type: varchar, staging: a}\n"
        "      - {name: old_n, type: bigint, staging: old_n, versions: [v1], canonical: n}\n"
        "      - {name: new_n, type: bigint, staging: new_n, versions: [v2], canonical: n}\n"
    )
    table = load_registry(tmp_path).table("x", "t")
    assert match_version(table, ["a", "new_n"], "f.csv") == ["v2"]
    with pytest.raises(RefusedFile, match="declares no precedence") as err:
        match_version(table, ["a", "old_n", "new_n"], "f.csv")
    assert "precedence:" in str(err.value) and "['new_n', 'old_n']" in str(err.value)


def test_registry_rejects_a_field_in_an_undeclared_version(tmp_path: Path):
    (tmp_path / "x.yml").write_text(
        "source: x\ndescription: d\ntables:\n  t:\n    description: d\n    api: a\n    grain: g\n    key: [a]\n"
        "    fields:\n      - {name: a, type: varchar, staging: a, versions: [v9]}\n"
    )
    with pytest.raises(ValueError, match="unknown versions"):
        load_registry(tmp_path)


def test_staging_tests_accept_every_version_the_registry_declares():
    """A web-UI download is a version: staging's accepted_values on format_version must know it."""
    import yaml

    checked = 0
    for path in (PROJECT_DIR / "dbt_project" / "models" / "staging").glob("*/_*__models.yml"):
        source = path.parent.name
        for model in yaml.safe_load(path.read_text())["models"]:
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    if column["name"] == "format_version" and isinstance(test, dict) and "accepted_values" in test:
                        table = next(t for t in REGISTRY.sources[source].tables.values() if t.name in model["name"])
                        assert set(test["accepted_values"]["arguments"]["values"]) == set(table.all_versions), model
                        checked += 1
    assert checked == 3
