"""The fixture corpus: one small file per real export shape, in the platforms' documented field names.

Each file must load, and its canonical totals (spend, impressions, clicks) in the raw table must equal
an independent reading of the file with json / csv in this test (no mops code), so a shape that loads
but maps a field wrongly (a scale, a version, an envelope row lost) fails here.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mops.core.ingest import FILES_TABLE, ingest
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR
from mops.core.warehouse.connections import connect_duckdb

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
CORPUS = Path(__file__).parents[1] / "fixtures" / "exports"


def _json(path: Path):
    return json.loads(path.read_text())


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _num(text) -> float:
    return float(str(text).replace(",", "")) if text not in (None, "", "--") else 0.0


def _gads_rows(path: Path) -> list[dict]:
    data = _json(path) if path.suffix == ".json" else _lines(path)
    return [r for batch in data for r in batch["results"]] if isinstance(data, list) and "results" in data[0] else data


def _gads(path: Path) -> tuple[float, float, float]:
    rows = _gads_rows(path)
    metrics = [r["metrics"] for r in rows]
    cost = sum(int(m.get("costMicros", m.get("cost_micros"))) for m in metrics) / 1e6
    return cost, sum(int(m["impressions"]) for m in metrics), sum(int(m["clicks"]) for m in metrics)


def _csv_rows(path: Path, header_first: str) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip('"').startswith(header_first))
    rows = list(csv.DictReader(lines[start:]))
    return [r for r in rows if r[header_first] and not r[header_first].startswith(("Total", "©"))]


def _gads_ui(path: Path):
    rows = _csv_rows(path, "Day")
    return sum(_num(r["Cost"]) for r in rows), sum(_num(r["Impr."]) for r in rows), sum(_num(r["Clicks"]) for r in rows)


def _gads_flat_csv(path: Path):
    rows = list(csv.DictReader(path.read_text().splitlines()))
    cost = sum(int(r["metrics.cost_micros"]) for r in rows) / 1e6
    return cost, sum(int(r["metrics.impressions"]) for r in rows), sum(int(r["metrics.clicks"]) for r in rows)


def _meta_api(path: Path):
    rows = _json(path)["data"] if path.suffix == ".json" else _lines(path)
    clicks = 0.0
    for r in rows:  # outbound_clicks wins where a row carries it (the declared precedence)
        outbound = r.get("outbound_clicks")
        clicks += sum(float(a["value"]) for a in outbound) if outbound else float(r["inline_link_clicks"])
    return sum(float(r["spend"]) for r in rows), sum(int(r["impressions"]) for r in rows), clicks


def _meta_ads_manager(path: Path):
    rows = _csv_rows(path, "Reporting starts")
    spend = sum(_num(r["Amount spent (EUR)"]) for r in rows)
    return spend, sum(_num(r["Impressions"]) for r in rows), sum(_num(r["Link clicks"]) for r in rows)


def _linkedin(path: Path):
    rows = _json(path)["elements"] if path.suffix == ".json" else _lines(path)
    spend = sum(float(r.get("costInLocalCurrency") or r["costInUsd"]) for r in rows)
    return spend, sum(r["impressions"] for r in rows), sum(r["clicks"] for r in rows)


def _tiktok(path: Path):
    metrics = [r["metrics"] for r in _json(path)["data"]["list"]]
    return (
        sum(float(m["spend"]) for m in metrics),
        sum(int(m["impressions"]) for m in metrics),
        sum(int(m["clicks"]) for m in metrics),
    )


def _microsoft_ui(path: Path):
    rows = _csv_rows(path, "Day")
    return (
        sum(_num(r["Spend"]) for r in rows),
        sum(_num(r["Impr."]) for r in rows),
        sum(_num(r["Clicks"]) for r in rows),
    )


def _hubspot_deals(path: Path):
    rows = _json(path)["results"]
    return sum(float(r["properties"]["amount"]) for r in rows), len(rows), 0


def _count(key: str) -> Callable[[Path], tuple]:
    return lambda path: (0, len(_json(path)[key]) if path.suffix == ".json" else len(_lines(path)), 0)


GOOGLE = ('sum("metrics.cost_micros") / 1e6', 'sum("metrics.impressions")', 'sum("metrics.clicks")')
META_CLICKS = (
    "sum(case when _mops_format_version = 'v2' then "
    "list_sum(list_transform(json_extract_string(outbound_clicks, '$[*].value'), lambda x: cast(x as double))) "
    "else inline_link_clicks end)"
)
META = ("sum(spend)", "sum(impressions)", META_CLICKS)
LINKEDIN = (
    'sum(case when _mops_format_version = \'v2\' then "costInLocalCurrency" else "costInUsd" end)',
    "sum(impressions)",
    "sum(clicks)",
)
SIMPLE = ("sum(spend)", "sum(impressions)", "sum(clicks)")
MICROSOFT = ('sum("Spend")', 'sum("Impressions")', 'sum("Clicks")')

# file -> (raw table, SQL of the three totals, independent reader, new fields expected)
CASES = {
    "google_ads/campaign_stats/searchstream_rest.json": ("google_ads__campaign_stats", GOOGLE, _gads, set()),
    "google_ads/campaign_stats/scripts_search_rows.jsonl": ("google_ads__campaign_stats", GOOGLE, _gads, set()),
    "google_ads/campaign_stats/python_message_to_dict.jsonl": ("google_ads__campaign_stats", GOOGLE, _gads, set()),
    "google_ads/campaign_stats/proto_plus_to_dict.jsonl": (
        "google_ads__campaign_stats",
        GOOGLE,
        _gads,
        {"campaign.bidding_strategy_type", "segments.device", "metrics.interaction_event_types"},
    ),
    "google_ads/campaign_stats/connector_both_versions.csv": (
        "google_ads__campaign_stats",
        GOOGLE,
        _gads_flat_csv,
        set(),
    ),
    "google_ads/campaign_stats/ui_download_campaign_report.csv": (
        "google_ads__campaign_stats",
        GOOGLE,
        _gads_ui,
        set(),
    ),
    "meta_ads/insights/graph_api_page.json": ("meta_ads__insights", META, _meta_api, {"cpc", "ctr", "reach"}),
    "meta_ads/insights/connector_both_clicks.jsonl": ("meta_ads__insights", META, _meta_api, set()),
    "meta_ads/insights/ads_manager_export.csv": ("meta_ads__insights", META, _meta_ads_manager, set()),
    "linkedin_ads/ad_analytics/adanalytics_elements.json": (
        "linkedin_ads__ad_analytics",
        LINKEDIN,
        _linkedin,
        {"landingPageClicks"},
    ),
    "linkedin_ads/ad_analytics/connector_both_costs.jsonl": ("linkedin_ads__ad_analytics", LINKEDIN, _linkedin, set()),
    "tiktok_ads/campaign_report/7212345678901234567_report_integrated_get.json": (
        "tiktok_ads__campaign_report",
        SIMPLE,
        _tiktok,
        {"metrics.cpc", "metrics.ctr"},
    ),
    "microsoft_ads/campaign_performance/ui_download_campaigns.csv": (
        "microsoft_ads__campaign_performance",
        MICROSOFT,
        _microsoft_ui,
        {"CTR"},
    ),
    "hubspot/deals/crm_v3_deals_page.json": (
        "hubspot__deals",
        ('sum("properties.amount")', "count(*)", "0"),
        _hubspot_deals,
        set(),
    ),
    "hubspot/contacts/crm_v3_contacts_page.json": (
        "hubspot__contacts",
        ("0", "count(*)", "0"),
        _count("results"),
        set(),
    ),
    "ga4/events/events_20260501.jsonl": (
        "ga4__events",
        ("0", "count(*)", "0"),
        lambda p: (0, len(_lines(p)), 0),
        set(),
    ),
}


def test_every_fixture_file_has_a_case():
    files = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_real_shape_loads_with_the_totals_of_an_independent_reading(tmp_path: Path, name: str):
    raw_table, sums, reader, new_fields = CASES[name]
    landing = tmp_path / "landing"
    (landing / name).parent.mkdir(parents=True)
    shutil.copy(CORPUS / name, landing / name)
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        (result,) = ingest(con, REGISTRY, landing)
        assert result.status == "loaded", result.message
        assert new_fields <= set(result.new_fields), result.new_fields
        totals = con.execute(f'select {", ".join(sums)} from raw."{raw_table}"').fetchone()
        logged = json.loads(con.execute(f"select new_fields from {FILES_TABLE}").fetchone()[0])
    expected = reader(CORPUS / name)
    assert [float(t or 0) for t in totals] == pytest.approx([float(e) for e in expected], rel=1e-9)
    assert logged == list(result.new_fields)


def test_the_whole_corpus_loads_in_one_run(tmp_path: Path):
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        results = ingest(con, REGISTRY, CORPUS)
    assert {r.path: r.status for r in results} == {name: "loaded" for name in CASES}


def test_extras_are_kept_as_json_per_row(tmp_path: Path):
    landing = tmp_path / "landing"
    name = "meta_ads/insights/graph_api_page.json"
    (landing / name).parent.mkdir(parents=True)
    shutil.copy(CORPUS / name, landing / name)
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        ingest(con, REGISTRY, landing)
        extras = [
            json.loads(e)
            for (e,) in con.execute("select _mops_extras from raw.meta_ads__insights order by _mops_row").fetchall()
        ]
    source = _json(CORPUS / name)["data"]
    assert [e["reach"] for e in extras] == [r["reach"] for r in source]
    assert [e["cpc"] for e in extras] == [r["cpc"] for r in source]


def test_rows_switching_version_are_decided_row_by_row(tmp_path: Path):
    """The connector file's first two rows carry metrics.conversions, the third metrics.all_conversions."""
    landing = tmp_path / "landing"
    name = "google_ads/campaign_stats/connector_both_versions.csv"
    (landing / name).parent.mkdir(parents=True)
    shutil.copy(CORPUS / name, landing / name)
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        (result,) = ingest(con, REGISTRY, landing)
        versions = con.execute(
            "select _mops_format_version from raw.google_ads__campaign_stats order by _mops_row"
        ).fetchall()
    rows = list(csv.DictReader((CORPUS / name).read_text().splitlines()))
    assert [v for (v,) in versions] == ["v1" if r["metrics.conversions"] else "v2" for r in rows] == ["v1", "v1", "v2"]
    assert result.version == "v1,v2"


def test_the_currency_of_an_ads_manager_export_comes_from_its_header(tmp_path: Path):
    landing = tmp_path / "landing"
    name = "meta_ads/insights/ads_manager_export.csv"
    (landing / name).parent.mkdir(parents=True)
    shutil.copy(CORPUS / name, landing / name)
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        ingest(con, REGISTRY, landing)
        rows = con.execute(
            "select distinct account_currency, _mops_format_version from raw.meta_ads__insights"
        ).fetchall()
    header = (CORPUS / name).read_text().splitlines()[0]
    assert "Amount spent (EUR)" in header and rows == [("EUR", "ads_manager")]


def test_locale_numbers_are_read_only_where_the_format_declares_them(tmp_path: Path):
    """The Google UI download declares '1,234.56'; an API export carrying '1.823,74' stays a wrong type."""
    from tests.unit.test_ingest import google_csv

    landing = tmp_path / "landing"
    google_csv(
        landing / "google_ads/campaign_stats/api.csv",
        ['2026-05-01,123,USD,America/New_York,55,Brand,"1.823,74",100,10,1.0,20.5'],
    )
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        (result,) = ingest(con, REGISTRY, landing)
    assert result.status == "refused"
    assert "expected bigint for 'metrics.cost_micros', row 1 has '1.823,74'" in result.message
