"""Value rules per canonical metric: each rule refuses (or flags) a failing file with file, field, row and
value named, and a refused file leaves the raw tables exactly as they were. Each rule also has a
true-negative case (a legitimate file that must not be refused)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from mops.core.ingest import FILES_TABLE, ingest
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR
from mops.core.warehouse.connections import connect_duckdb
from tests.unit.test_ingest import META_ROW, google_csv, meta_jsonl

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
TODAY = date(2026, 12, 1)
GOOD = "2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5"


def row(**changes) -> str:
    """A Google row of GOOD with some columns replaced (by GAQL name)."""
    names = ["date", "customer", "currency", "tz", "campaign", "name", "cost", "impressions", "clicks", "conv", "value"]
    values = dict(zip(names, GOOD.split(","), strict=True)) | {k: str(v) for k, v in changes.items()}
    return ",".join(values[n] for n in names)


@pytest.fixture
def loaded(tmp_path: Path):
    """A warehouse already holding one good Google file, and a way to ingest one more file."""
    landing = tmp_path / "landing"
    google_csv(landing / "google_ads/campaign_stats/good.csv", [GOOD])
    con_cm = connect_duckdb(tmp_path / "w.duckdb")
    con = con_cm.__enter__()
    ingest(con, REGISTRY, landing, today=TODAY)

    def snapshot():
        tables = ("google_ads__campaign_stats", "meta_ads__insights")
        rows = {
            t: con.execute(f'select * exclude (_mops_loaded_at) from raw."{t}" order by all').fetchall() for t in tables
        }
        return rows, con.execute(f"select file_path, sha256 from {FILES_TABLE} order by 1").fetchall()

    def add(rel: str, rows: list[str] | list[dict]):
        path = landing / rel
        google_csv(path, rows) if rel.endswith(".csv") else meta_jsonl(path, rows)
        before = snapshot()
        result = {r.path: r for r in ingest(con, REGISTRY, landing, today=TODAY)}[rel]
        return result, before, snapshot()

    add.con = con
    yield add
    con_cm.__exit__(None, None, None)


def refused(result, before, after) -> str:
    assert result.status == "refused", result
    assert after == before  # raw tables and the ingest log unchanged
    return result.message


def test_a_required_metric_empty_on_every_row_is_refused(loaded):
    message = refused(
        *loaded("google_ads/campaign_stats/null.csv", [row(impressions=""), row(date="2026-05-02", impressions="")])
    )
    assert "impressions_required: required metric impressions is empty (field metrics.impressions, row 1)" in message
    assert "and 1 more row(s)" in message


def test_negative_spend_is_refused_naming_field_row_and_value(loaded):
    records = [META_ROW, META_ROW | {"date_start": "2026-05-02", "date_stop": "2026-05-02", "spend": "-3.20"}]
    message = refused(*loaded("meta_ads/insights/negative.jsonl", records))
    assert "spend_not_negative: spend is negative (field spend, row 2: -3.2)" in message


def test_negative_conversion_value_is_flagged_not_refused(loaded, tmp_path: Path):
    """Google reports negative values after conversion adjustments (retractions): flagged, documented, loaded."""
    result, before, after = loaded("google_ads/campaign_stats/retraction.csv", [row(value="-20.5", conv="-1")])
    assert result.status == "loaded"
    flags = [n for n in result.notices if "conversion_value_not_negative" in n]
    assert flags and "row 1: -20.5" in flags[0] and "retractions" in flags[0]
    assert len(after[0]["google_ads__campaign_stats"]) == len(before[0]["google_ads__campaign_stats"]) + 1


def test_clicks_above_impressions_are_refused(loaded):
    message = refused(*loaded("google_ads/campaign_stats/clicks.csv", [row(impressions=100, clicks=120)]))
    assert (
        "clicks_within_impressions: clicks exceed impressions (row 1: metrics.clicks = 120 > metrics.impressions = 100)"
        in message
    )


def test_clicks_equal_to_impressions_load(loaded):
    result, _, _ = loaded("google_ads/campaign_stats/equal.csv", [row(impressions=10, clicks=10)])
    assert result.status == "loaded", result.message


def test_whole_currency_under_a_micros_field_is_refused_from_the_data(loaded):
    """15 'micros' for 10 clicks is 0.0000015 USD a click: the cost is in dollars, not micros."""
    message = refused(*loaded("google_ads/campaign_stats/dollars.csv", [row(cost=15, clicks=10, impressions=400)]))
    assert "spend_unit_plausible: the money in metrics.cost_micros looks like whole currency units" in message
    assert "row 1" in message and "10 clicks" in message


def test_micros_under_a_currency_field_are_refused_from_the_data(loaded):
    record = META_ROW | {"spend": "12340000", "impressions": "1000", "clicks": "20"}
    message = refused(*loaded("meta_ads/insights/micros.jsonl", [record]))
    assert "spend_unit_plausible: the money in spend looks like micros where currency units are expected" in message


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("yen.csv", {"currency": "JPY", "cost": 150_000_000, "clicks": 1, "impressions": 90}),  # 150 JPY a click
        ("rupiah.csv", {"currency": "IDR", "cost": 16_000_000_000, "clicks": 1, "impressions": 50}),  # 16,000 IDR
        ("cheap.csv", {"cost": 20_000, "clicks": 5, "impressions": 9000}),  # 0.4 cent a click: cheap, plausible
        ("free.csv", {"cost": 0, "clicks": 3, "impressions": 300}),  # free clicks
    ],
)
def test_plausible_costs_in_any_currency_load(loaded, name, changes):
    result, _, _ = loaded(f"google_ads/campaign_stats/{name}", [row(**changes)])
    assert result.status == "loaded", result.message


def test_an_expensive_but_real_day_loads(loaded):
    """5,000 EUR over one click but 200,000 impressions: a CPM of 25 EUR, plausible."""
    record = META_ROW | {"spend": "5000.00", "impressions": "200000", "clicks": "400", "inline_link_clicks": "1"}
    result, _, _ = loaded("meta_ads/insights/expensive.jsonl", [record])
    assert result.status == "loaded", result.message


@pytest.mark.parametrize(("day", "why"), [("2099-05-01", "2099-05-01"), ("1999-12-31", "1999-12-31")])
def test_rows_dated_outside_the_platforms_range_are_refused(loaded, day, why):
    message = refused(*loaded("google_ads/campaign_stats/dates.csv", [GOOD.replace("2026-05-01", day)]))
    assert f"date_in_range: row 1 is dated '{why}'" in message
    assert "from 2005-01-01 to 2026-12-04" in message


def test_a_day_in_the_account_time_zone_ahead_of_utc_loads(loaded):
    result, _, _ = loaded("google_ads/campaign_stats/tomorrow.csv", [GOOD.replace("2026-05-01", "2026-12-02")])
    assert result.status == "loaded", result.message


def test_flags_and_new_fields_are_logged_with_the_file(loaded):
    records = [META_ROW | {"reach": "800", "frequency": "1.2"}]
    result, _, _ = loaded("meta_ads/insights/extra.jsonl", records)
    assert result.status == "loaded" and result.new_fields == ("frequency", "reach")
    logged = loaded.con.execute(
        f"select new_fields, notices from {FILES_TABLE} where file_path = 'meta_ads/insights/extra.jsonl'"
    ).fetchone()
    assert json.loads(logged[0]) == ["frequency", "reach"] and json.loads(logged[1]) == []
    extras = loaded.con.execute("select _mops_extras from raw.meta_ads__insights").fetchone()[0]
    assert json.loads(extras) == {"reach": "800", "frequency": "1.2"}


def test_google_clicks_on_a_day_without_impressions_load_as_google_reports_them(loaded):
    """Day-segmented Google rows can count a click on an impression served the day before (declared)."""
    result, _, _ = loaded("google_ads/campaign_stats/late_click.csv", [row(impressions=0, clicks=2, cost=300000)])
    assert result.status == "loaded", result.message


def test_link_clicks_above_impressions_are_refused_where_no_exemption_is_declared(loaded):
    record = META_ROW | {"impressions": "0", "inline_link_clicks": "3"}
    message = refused(*loaded("meta_ads/insights/clicks.jsonl", [record]))
    assert (
        "clicks_within_impressions: clicks exceed impressions (row 1: inline_link_clicks = 3 > impressions = 0)"
        in message
    )
