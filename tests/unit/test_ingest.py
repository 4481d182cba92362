"""Ingest against a real DuckDB file: what loads, what is refused, and that refusals write nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mops.core.ingest import FILES_TABLE, ingest
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR
from mops.core.warehouse.connections import connect_duckdb

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
GOOGLE_HEADER = (
    "segments.date,customer.id,customer.currency_code,customer.time_zone,campaign.id,campaign.name,"
    "metrics.cost_micros,metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value"
)


def google_csv(path: Path, rows: list[str], header: str = GOOGLE_HEADER) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def meta_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


META_ROW = {
    "date_start": "2026-05-01",
    "date_stop": "2026-05-01",
    "account_id": "1",
    "account_currency": "EUR",
    "campaign_id": "9",
    "campaign_name": "c",
    "spend": "12.34",
    "impressions": "1000",
    "clicks": "20",
    "inline_link_clicks": "15",
}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def con(tmp_path: Path):
    with connect_duckdb(tmp_path / "w.duckdb") as connection:
        yield connection


def run(con, landing):
    return {r.path: r for r in ingest(con, REGISTRY, landing)}


def raw_count(con, table: str) -> int:
    return con.execute(f'select count(*) from raw."{table}"').fetchone()[0]


def test_a_valid_export_loads_with_its_provenance(con, landing):
    google_csv(
        landing / "google_ads/campaign_stats/a.csv",
        [
            "2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5",
            "2026-05-02,123,USD,America/New_York,55,Brand,2500000,120,12,0.0,0",
        ],
    )
    result = run(con, landing)["google_ads/campaign_stats/a.csv"]
    assert (result.status, result.version, result.rows) == ("loaded", "v1", 2)
    log = con.execute(f"select row_count, format_version, schema_fingerprint, loaded_at from {FILES_TABLE}").fetchone()
    assert log[0] == 2 and log[1] == "v1" and len(log[2]) == 16 and log[3] is not None
    cost = con.execute('select sum("metrics.cost_micros") from raw.google_ads__campaign_stats').fetchone()[0]
    assert cost == 4_000_000


def test_loading_the_same_file_twice_adds_nothing(con, landing):
    path = google_csv(
        landing / "google_ads/campaign_stats/a.csv",
        ["2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5"],
    )
    run(con, landing)
    shutil.copy(path, landing / "google_ads/campaign_stats/copy_of_a.csv")
    second = run(con, landing)
    assert second["google_ads/campaign_stats/a.csv"].status == "unchanged"
    assert second["google_ads/campaign_stats/copy_of_a.csv"].status == "duplicate"
    assert raw_count(con, "google_ads__campaign_stats") == 1


def test_a_re_export_of_a_file_replaces_its_rows(con, landing):
    path = landing / "google_ads/campaign_stats/a.csv"
    google_csv(path, ["2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5"])
    run(con, landing)
    google_csv(
        path,
        [
            "2026-05-01,123,USD,America/New_York,55,Brand,1600000,100,10,2.0,40",
            "2026-05-02,123,USD,America/New_York,55,Brand,100000,10,1,0,0",
        ],
    )
    assert run(con, landing)["google_ads/campaign_stats/a.csv"].status == "replaced"
    assert raw_count(con, "google_ads__campaign_stats") == 2


def test_a_renamed_field_is_refused_and_nothing_is_loaded(con, landing):
    header = GOOGLE_HEADER.replace("metrics.clicks", "metrics.click_count")
    google_csv(
        landing / "google_ads/campaign_stats/bad.csv",
        ["2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5"],
        header,
    )
    result = run(con, landing)["google_ads/campaign_stats/bad.csv"]
    assert result.status == "refused"
    assert "metrics.click_count" in result.message and "metrics.clicks" in result.message
    assert raw_count(con, "google_ads__campaign_stats") == 0
    assert con.execute(f"select count(*) from {FILES_TABLE}").fetchone()[0] == 0


def test_a_changed_type_is_refused_naming_column_and_row(con, landing):
    google_csv(
        landing / "google_ads/campaign_stats/bad.csv",
        [
            "2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5",
            "2026-05-02,123,USD,America/New_York,55,Brand,1500000,n/a,10,1.0,20.5",
        ],
    )
    result = run(con, landing)["google_ads/campaign_stats/bad.csv"]
    assert result.status == "refused"
    assert "'metrics.impressions'" in result.message and "row 2" in result.message and "'n/a'" in result.message
    assert raw_count(con, "google_ads__campaign_stats") == 0


def test_currency_where_micros_are_expected_is_a_type_error(con, landing):
    google_csv(
        landing / "google_ads/campaign_stats/bad.csv",
        ["2026-05-01,123,USD,America/New_York,55,Brand,15.37,100,10,1.0,20.5"],
    )
    result = run(con, landing)["google_ads/campaign_stats/bad.csv"]
    assert result.status == "refused" and "metrics.cost_micros" in result.message


def test_micros_where_currency_is_expected_is_refused(con, landing):
    micros = dict(META_ROW, spend="12340000")
    meta_jsonl(
        landing / "meta_ads/insights/bad.jsonl",
        [META_ROW | {"date_start": "2026-04-30", "date_stop": "2026-04-30"}, micros],
    )
    result = run(con, landing)["meta_ads/insights/bad.jsonl"]
    assert result.status == "refused"
    assert "spend_unit_plausible" in result.message and "looks like micros" in result.message
    assert "row 2" in result.message
    assert raw_count(con, "meta_ads__insights") == 0


def test_an_unreadable_file_is_refused(con, landing):
    path = landing / "meta_ads/insights/broken.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text('{"date_start": "2026-05-01", "spend": \n')
    result = run(con, landing)["meta_ads/insights/broken.jsonl"]
    assert result.status == "refused" and "cannot read" in result.message


def test_a_duplicate_key_within_a_file_is_refused(con, landing):
    meta_jsonl(landing / "meta_ads/insights/dup.jsonl", [META_ROW, META_ROW])
    result = run(con, landing)["meta_ads/insights/dup.jsonl"]
    assert result.status == "refused" and "duplicate key" in result.message


def test_an_unknown_folder_is_refused_listing_the_known_ones(con, landing):
    google_csv(landing / "snapchat/stats/a.csv", ["x"], "a")
    result = run(con, landing)["snapchat/stats/a.csv"]
    assert result.status == "refused" and "google_ads/campaign_stats" in result.message


def test_nested_json_is_flattened_to_the_gaql_names(con, landing):
    row = {
        "segments": {"date": "2026-05-01"},
        "customer": {"id": 123, "currency_code": "USD", "time_zone": "UTC"},
        "campaign": {"id": 5, "name": "n"},
        "metrics": {
            "cost_micros": "1000000",
            "impressions": "10",
            "clicks": "1",
            "all_conversions": 0.5,
            "all_conversions_value": 3.0,
        },
    }
    meta_jsonl(landing / "google_ads/campaign_stats/nested.jsonl", [row])
    result = run(con, landing)["google_ads/campaign_stats/nested.jsonl"]
    assert (result.status, result.version) == ("loaded", "v2")


def test_microsoft_report_header_and_footer_are_skipped(con, landing):
    path = landing / "microsoft_ads/campaign_performance/r.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        '"Report Name: Campaign Performance"\n"Report Time: 2026-05-01"\n\n'
        '"TimePeriod","AccountId","CampaignId","CampaignName","CurrencyCode","Spend","Impressions","Clicks",'
        '"Conversions","Revenue"\n"2026-05-01","1","2","c","USD","10.50","100","5","1","30.00"\n\n'
        '"©2026 Microsoft Corporation. All rights reserved. "\n'
    )
    result = run(con, landing)["microsoft_ads/campaign_performance/r.csv"]
    assert (result.status, result.rows) == ("loaded", 1)


def test_a_write_that_fails_midway_leaves_the_previous_rows_whole(con, landing):
    """The replace (delete + insert) is one transaction: a failing insert restores the old rows."""
    path = landing / "google_ads/campaign_stats/a.csv"
    google_csv(path, ["2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5"])
    run(con, landing)
    # a warehouse-side rule the next export violates (as a DBA-added constraint would)
    con.execute('alter table raw.google_ads__campaign_stats alter column "campaign.name" set not null')
    google_csv(
        path,
        [
            "2026-05-01,123,USD,America/New_York,55,,1600000,100,10,2.0,40",
            "2026-05-02,123,USD,America/New_York,55,Brand,100000,10,1,0,0",
        ],
    )
    with pytest.raises(Exception, match="NOT NULL"):
        run(con, landing)
    rows = con.execute('select "campaign.name", "metrics.cost_micros" from raw.google_ads__campaign_stats').fetchall()
    assert rows == [("Brand", 1500000)]
    log = con.execute(f"select row_count from {FILES_TABLE}").fetchall()
    assert log == [(1,)]
