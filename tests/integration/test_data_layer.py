"""The built warehouse against the raw exports and the simulation's truth.

Expected values are computed here with pandas straight from the landing files (an implementation
independent of the dbt SQL) or read from the truth the simulation wrote.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mops.core.ingest import ingest
from mops.core.landing import load_registry
from mops.core.transform import run_dbt
from mops.core.warehouse.connections import connect_duckdb
from tests.conftest import FX_SEED, make_settings

pytestmark = pytest.mark.slow

MARTS = [
    "fct_ad_performance_daily_v1",
    "dim_campaigns_v1",
    "dim_channels_v1",
    "fct_touchpoints_v1",
    "fct_conversions_v1",
    "fct_conversion_paths_v1",
    "dim_customers_v1",
]


def query(settings, sql: str) -> pd.DataFrame:
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql).df()


def _jsonl(folder: Path) -> pd.DataFrame:
    return pd.concat(
        [pd.read_json(p, lines=True, dtype=False) for p in sorted(folder.glob("*.jsonl"))], ignore_index=True
    )


def _action_sum(values, action_type: str) -> float:
    if not isinstance(values, list):
        return 0.0
    return sum(float(v["value"]) for v in values if v["action_type"] == action_type)


def raw_exports_in_usd(landing: Path) -> pd.DataFrame:
    """Spend, clicks and conversions per platform and day, read and converted independently of dbt."""
    frames = []
    google = pd.concat(
        [pd.read_csv(p, dtype={"customer.id": str}) for p in (landing / "google_ads/campaign_stats").glob("*.csv")]
    )
    frames.append(
        pd.DataFrame(
            {
                "platform": "google_ads",
                "date_day": google["segments.date"],
                "currency": google["customer.currency_code"],
                "spend": google["metrics.cost_micros"] / 1e6,
                "clicks": google["metrics.clicks"],
                "conversions": google.get("metrics.conversions").fillna(google.get("metrics.all_conversions")),
            }
        )
    )
    meta = _jsonl(landing / "meta_ads/insights")
    link_clicks = (
        meta["inline_link_clicks"]
        .astype(float)
        .fillna(meta["outbound_clicks"].map(lambda v: _action_sum(v, "outbound_click")))
    )
    frames.append(
        pd.DataFrame(
            {
                "platform": "meta_ads",
                "date_day": meta["date_start"],
                "currency": meta["account_currency"],
                "spend": meta["spend"].astype(float),
                "clicks": link_clicks,
                "conversions": meta["actions"].map(lambda v: _action_sum(v, "offsite_conversion.fb_pixel_purchase")),
            }
        )
    )
    linkedin = _jsonl(landing / "linkedin_ads/ad_analytics")
    accounts = _jsonl(landing / "linkedin_ads/ad_accounts")
    campaigns = _jsonl(landing / "linkedin_ads/campaigns")
    currency_of = dict(
        zip(campaigns["id"].astype(str), campaigns["account"].str.rsplit(":", n=1).str[-1], strict=False)
    )
    account_ccy = dict(zip(accounts["id"].astype(str), accounts["currency"], strict=False))
    campaign_ids = linkedin["pivotValues"].str[0].str.rsplit(":", n=1).str[-1]
    in_usd = linkedin["costInUsd"].notna()
    frames.append(
        pd.DataFrame(
            {
                "platform": "linkedin_ads",
                "date_day": pd.to_datetime(
                    pd.DataFrame(
                        {
                            "year": linkedin["dateRange"].str["start"].str["year"],
                            "month": linkedin["dateRange"].str["start"].str["month"],
                            "day": linkedin["dateRange"].str["start"].str["day"],
                        }
                    )
                ),
                "currency": np.where(in_usd, "USD", campaign_ids.map(currency_of).map(account_ccy)),
                "spend": linkedin["costInUsd"].astype(float).fillna(linkedin["costInLocalCurrency"].astype(float)),
                "clicks": linkedin["clicks"],
                "conversions": linkedin["externalWebsiteConversions"],
            }
        )
    )
    tiktok = _jsonl(landing / "tiktok_ads/campaign_report")
    frames.append(
        pd.DataFrame(
            {
                "platform": "tiktok_ads",
                "date_day": tiktok["stat_time_day"].str[:10],
                "currency": tiktok["currency"],
                "spend": tiktok["spend"].astype(float),
                "clicks": tiktok["clicks"].astype(int),
                "conversions": tiktok["conversion"].astype(float),
            }
        )
    )
    microsoft = pd.concat(
        [
            pd.read_csv(p, skiprows=5, skipfooter=2, engine="python")
            for p in (landing / "microsoft_ads/campaign_performance").glob("*.csv")
        ]
    )
    frames.append(
        pd.DataFrame(
            {
                "platform": "microsoft_ads",
                "date_day": microsoft["TimePeriod"],
                "currency": microsoft["CurrencyCode"],
                "spend": microsoft["Spend"],
                "clicks": microsoft["Clicks"],
                "conversions": microsoft["Conversions"],
            }
        )
    )
    raw = pd.concat(frames, ignore_index=True)
    raw["date_day"] = pd.to_datetime(raw["date_day"])
    # the seed's daily ECB rates, looked up as of each day (the latest rate on or before it)
    fx = pd.read_csv(FX_SEED, parse_dates=["valid_from"]).sort_values("valid_from")
    raw = pd.merge_asof(
        raw.sort_values("date_day"),
        fx,
        left_on="date_day",
        right_on="valid_from",
        left_by="currency",
        right_by="currency_code",
    )
    assert raw["units_per_usd"].notna().all()
    raw["spend_usd"] = raw["spend"] / raw["units_per_usd"]
    return raw.groupby(["platform", "date_day"])[["spend_usd", "clicks", "conversions"]].sum()


def test_every_mart_is_built_and_non_empty(built_warehouse):
    counts = {m: int(query(built_warehouse.settings, f"select count(*) as n from marts.{m}").n[0]) for m in MARTS}
    assert all(n > 0 for n in counts.values()), counts


def test_ad_totals_equal_the_raw_exports_per_platform_and_day(built_warehouse):
    expected = raw_exports_in_usd(built_warehouse.landing)
    actual = query(
        built_warehouse.settings,
        """
        select platform, date_day, sum(spend_in_reporting_currency) as spend_usd, sum(clicks) as clicks,
               sum(conversions) as conversions
        from marts.fct_ad_performance_daily_v1 group by all""",
    )
    actual["date_day"] = pd.to_datetime(actual["date_day"])
    actual = actual.set_index(["platform", "date_day"]).sort_index()
    expected = expected.sort_index()
    assert list(actual.index) == list(expected.index)
    np.testing.assert_allclose(
        actual["spend_usd"].astype(float), expected["spend_usd"], rtol=0, atol=1e-5
    )  # 6-decimal rounding per row
    np.testing.assert_array_equal(actual["clicks"].astype(int), expected["clicks"].astype(int))
    np.testing.assert_allclose(actual["conversions"], expected["conversions"].astype(float))


def test_every_converted_row_records_the_ecb_rate_day_it_used(built_warehouse):
    rows = query(
        built_warehouse.settings,
        """
        select account_currency, spend_currency, reporting_currency, date_day, fx_rate_source, fx_rate_date
        from intermediate.int_ad_performance_converted""",
    )
    converted = rows[rows.spend_currency != rows.reporting_currency]
    same = rows[rows.spend_currency == rows.reporting_currency]
    assert len(converted) and len(same)
    assert set(converted.fx_rate_source) == {"ecb"} and (same.fx_rate_source == "none").all()
    assert same.fx_rate_date.isna().all()
    # the rate is the latest ECB business day on or before the row's day: at most 4 days back (Easter)
    lag = pd.to_datetime(converted.date_day) - pd.to_datetime(converted.fx_rate_date)
    assert lag.min() >= pd.Timedelta(0) and lag.max() <= pd.Timedelta(days=4)


@pytest.mark.parametrize(
    ("platform", "mart_column", "truth_column"),
    [
        ("google_ads", "conversions", "claimed_conversions"),
        ("meta_ads", "clicks", "clicks"),
        ("linkedin_ads", "spend_in_account_currency", "spend_account"),
    ],
)
def test_history_is_continuous_across_each_platform_rename(built_warehouse, platform, mart_column, truth_column):
    truth = json.loads(built_warehouse.truth_path.read_text())
    switch = pd.Timestamp(truth["format_switches"][platform]["date"])
    simulated = pd.read_csv(built_warehouse.truth_path.parent / "campaign_days.csv", parse_dates=["date_day"])
    simulated = simulated[simulated.platform == platform].groupby("date_day")[truth_column].sum()
    mart = query(
        built_warehouse.settings,
        f"""
        select date_day, sum({mart_column}) as value, min(source_format_version) as first_version,
               max(source_format_version) as last_version
        from marts.fct_ad_performance_daily_v1 where platform = '{platform}' group by date_day order by date_day""",
    )
    mart["date_day"] = pd.to_datetime(mart["date_day"])
    mart = mart.set_index("date_day")
    assert set(mart.loc[mart.index < switch, "last_version"]) == {"v1"}
    assert set(mart.loc[mart.index >= switch, "first_version"]) == {"v2"}
    window = mart.index[(mart.index >= switch - pd.Timedelta(days=14)) & (mart.index < switch + pd.Timedelta(days=14))]
    assert len(window) == 28
    # the simulation rounds each campaign-day's account-currency spend to cents; a v1 (USD) day converted
    # in dbt is unrounded: up to half a cent per campaign (3 a day) apart
    tolerance = 0.005 * 3 + 1e-6
    np.testing.assert_allclose(
        mart.loc[window, "value"].astype(float), simulated.loc[window].astype(float), atol=tolerance
    )
    np.testing.assert_allclose(mart["value"].astype(float), simulated.loc[mart.index].astype(float), atol=tolerance)


def test_account_days_start_at_local_midnight_in_utc(built_warehouse):
    rows = query(
        built_warehouse.settings,
        """
        select distinct c.account_time_zone, f.date_day, f.day_started_at_utc
        from marts.fct_ad_performance_daily_v1 as f join marts.dim_campaigns_v1 as c using (campaign_key)
        where f.date_day in (date '2026-02-02', date '2026-06-01')""",
    )
    for row in rows.itertuples():
        local = pd.Timestamp(row.date_day).tz_localize(row.account_time_zone).tz_convert("UTC").tz_localize(None)
        assert pd.Timestamp(row.day_started_at_utc) == local, row


def test_conversions_are_deduplicated_and_match_the_simulation(built_warehouse):
    truth = pd.read_csv(built_warehouse.truth_path.parent / "conversions.csv")
    mart = query(
        built_warehouse.settings,
        "select conversion_id, revenue_in_reporting_currency, duplicate_events_removed from marts.fct_conversions_v1",
    )
    assert sorted(mart.conversion_id) == sorted(truth.transaction_id)
    assert mart.duplicate_events_removed.sum() > 0  # the demo's double-fired purchase tags were removed
    merged = mart.merge(truth, left_on="conversion_id", right_on="transaction_id")
    np.testing.assert_allclose(merged.revenue_in_reporting_currency.astype(float), merged.revenue_usd, atol=1e-6)


def test_every_conversion_has_a_path_that_holds_its_purchase_session(built_warehouse):
    paths = query(
        built_warehouse.settings,
        """
        select p.conversion_id, p.channel_path, c.session_channel_id, p.is_converted, p.last_touched_at,
               c.converted_at
        from marts.fct_conversion_paths_v1 as p
        left join marts.fct_conversions_v1 as c using (conversion_id)""",
    )
    converted = paths[paths.is_converted]
    n_conversions = int(query(built_warehouse.settings, "select count(*) as n from marts.fct_conversions_v1").n[0])
    assert len(converted) == n_conversions
    assert (converted.last_touched_at <= converted.converted_at).all()
    holds = [
        channel in path.split(" > ")
        for path, channel in zip(converted.channel_path, converted.session_channel_id, strict=True)
    ]
    assert all(holds)
    # the purchase session is usually the last touch; another session opened before the purchase can follow it
    last = converted.channel_path.str.split(" > ").str[-1] == converted.session_channel_id
    assert last.mean() > 0.99
    assert (~paths.is_converted).sum() > len(converted)  # most journeys do not convert: Markov needs them


def test_customers_carry_pii_tags_and_link_to_conversions(built_warehouse):
    manifest = json.loads((built_warehouse.settings.dbt_target_path / "manifest.json").read_text())
    customers = manifest["nodes"]["model.mops.dim_customers.v1"]
    assert {n for n, c in customers["columns"].items() if c["meta"].get("pii")} == {"email", "first_name", "last_name"}
    linked = query(
        built_warehouse.settings, "select count(*) as n from marts.dim_customers_v1 where conversion_count > 0"
    )
    assert int(linked.n[0]) > 0


def _copy_warehouse(built_warehouse, tmp_path):
    settings = make_settings(tmp_path)
    shutil.copy(built_warehouse.settings.warehouse_path, settings.warehouse_path)
    return settings


def _table_fingerprint(settings, table: str) -> tuple:
    return tuple(query(settings, f"select count(*) as n, sum(hash(t)) as h from marts.{table} as t").iloc[0])


def test_a_bad_export_is_refused_and_the_marts_stay_as_they_were(built_warehouse, tmp_path):
    settings = _copy_warehouse(built_warehouse, tmp_path)
    before = _table_fingerprint(settings, "fct_ad_performance_daily_v1")
    landing = tmp_path / "incoming"
    source = next((built_warehouse.landing / "google_ads/campaign_stats").glob("*.csv"))
    renamed = landing / "google_ads/campaign_stats" / source.name
    renamed.parent.mkdir(parents=True)
    renamed.write_text(source.read_text().replace("metrics.clicks", "metrics.link_clicks", 1))
    with connect_duckdb(settings.warehouse_path) as con:
        results = ingest(con, load_registry(settings.contracts_dir / "landing"), landing)
    assert [r.status for r in results] == ["refused"]
    assert "metrics.link_clicks" in results[0].message
    assert run_dbt(settings, ["build", "--select", "fct_ad_performance_daily"]).ok
    assert _table_fingerprint(settings, "fct_ad_performance_daily_v1") == before


def test_micros_slipping_past_ingest_fail_the_build_and_no_mart_is_rebuilt(built_warehouse, tmp_path):
    """Rows written to raw by another loader skip ingest's checks; the staging test still catches them."""
    settings = _copy_warehouse(built_warehouse, tmp_path)
    before = _table_fingerprint(settings, "fct_ad_performance_daily_v1")
    with connect_duckdb(settings.warehouse_path) as con:
        con.execute("""
            insert into raw.microsoft_ads__campaign_performance ("TimePeriod", "AccountId", "CampaignId",
                "CampaignName", "CurrencyCode", "Spend", "Impressions", "Clicks", "Conversions", "Revenue",
                _mops_file, _mops_format_version, _mops_row, _mops_loaded_at)
            values (date '2026-06-30', 180012345, 530000099, 'micros', 'USD', 45210000, 900, 12, 0, 0,
                    'other-loader.csv', 'v1', 1, now())""")
    result = run_dbt(settings, ["build"])
    assert not result.ok
    assert any("microsoft_ads_spend_is_currency_not_micros" in line for line in result.failures), result.failures
    assert _table_fingerprint(settings, "fct_ad_performance_daily_v1") == before
