"""No figure on missing days (issue 16): attribution withholds ROAS/CPA on stale spend and says so; the report
marks them and its daily averages do not count days without ad data as zero spend."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from agents.attribution import AGENT as ATTRIBUTION
from agents.attribution import AttributionParameters
from agents.reporting.kpis import Periods, daily_series, kpi_table
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.settings import PROJECT_DIR
from tests.unit.agents import test_reporting as reporting
from tests.unit.agents.test_attribution_agent import inputs as attribution_inputs

CONTRACTS = load_contracts(PROJECT_DIR / "contracts" / "agents")
END = date(2026, 6, 10)


def _with_daily_spend(base: dict, last_day: dict[str, date]) -> dict:
    days = pd.date_range(END - timedelta(days=27), END, freq="D").date
    rows = [
        {"date_day": d, "channel_id": channel, "spend_in_reporting_currency": 10.0}
        for channel, last in last_day.items()
        for d in days
        if d <= last
    ]
    return {**base, "fct_ad_performance_daily": pd.DataFrame(rows)}


def test_attribution_withholds_roas_on_stale_spend_and_records_why():
    data = _with_daily_spend(attribution_inputs({}), {"google_ads": END, "meta_ads": END - timedelta(days=5)})
    result = ATTRIBUTION.run(data, RunContext.for_day(END, attribution_model="linear"))
    summary = result.outputs["attribution_channel_summary"].set_index("channel_id")
    assert validate_frame(summary.reset_index(), CONTRACTS["attribution_channel_summary"].version(1), "s") == []
    meta, google = summary.loc["meta_ads"], summary.loc["google_ads"]
    assert meta.is_spend_stale and meta.spend_through == END - timedelta(days=5)
    assert all(np.isnan(meta[c]) for c in ("roas", "roas_low", "roas_high", "cpa", "cpa_low", "cpa_high"))
    assert not meta.is_underperforming
    assert not google.is_spend_stale and google.roas == pytest.approx(google.attributed_revenue / 280.0)
    (stale,) = [d for d in result.decisions if d.kind == "stale_spend"]
    assert stale.subject == "meta_ads" and "ends on 2026-06-05" in stale.reason
    assert result.metrics["channels_with_stale_spend"] == 1.0


def test_attribution_spend_within_the_allowed_age_is_fresh():
    data = _with_daily_spend(attribution_inputs({}), {"google_ads": END, "meta_ads": END - timedelta(days=2)})
    result = ATTRIBUTION.run(data, RunContext.for_day(END, attribution_model="linear"), AttributionParameters())
    summary = result.outputs["attribution_channel_summary"].set_index("channel_id")
    assert not summary.is_spend_stale.any()
    assert np.isfinite(summary.loc["meta_ads", "roas"])
    assert not [d for d in result.decisions if d.kind == "stale_spend"]


def test_report_marks_withheld_roas_as_stale():
    summary = reporting.summary()
    summary["spend_through"] = [date(2026, 1, 4), date(2026, 1, 1), None, None]
    summary["is_spend_stale"] = [False, True, False, False]
    summary.loc[1, ["roas", "roas_low", "roas_high", "cpa", "cpa_low", "cpa_high"]] = np.nan
    result = reporting.run(attribution_channel_summary=summary)
    assert reporting.kpi(result, "channel", "meta_ads", "model_roas").is_stale
    assert reporting.kpi(result, "channel", "meta_ads", "model_cpa").is_stale
    assert not reporting.kpi(result, "channel", "meta_ads", "model_revenue").is_stale
    assert not reporting.kpi(result, "channel", "google_ads", "model_roas").is_stale
    assert "Model ROAS and CPA withheld (stale spend) for" in result.artifacts["report.md"]
    assert "spend data ends 2026-01-01" in result.artifacts["report.md"]
    assert "withheld" not in reporting.run().artifacts["report.md"]


def _perf(days: list[date], spend: float = 100.0) -> pd.DataFrame:
    rows = [{"date_day": d, "platform": "google_ads", "channel_id": "google_ads", "campaign_key": "g"} for d in days]
    frame = pd.DataFrame(rows)
    for column in ("spend", "impressions", "clicks", "conversions", "revenue"):
        frame[column] = spend
    return frame


def test_daily_averages_skip_days_without_ad_data():
    periods = Periods.before(date(2026, 2, 1), date(2026, 2, 28))
    prior = [periods.prior_start + timedelta(days=i) for i in range(periods.prior_days)]
    window = [periods.start + timedelta(days=i) for i in range(periods.days - 5)]  # last 5 days not arrived
    table = kpi_table(_perf(prior + window), periods)
    spend = table[(table.level == "total") & (table.metric == "spend")].iloc[0]
    assert spend.value == pytest.approx(100.0 * 23)
    assert spend.change_share == pytest.approx(0.0)  # 100 a day before and after, not -18%
    series = daily_series(_perf(prior + window), periods)
    assert series.spend.isna().sum() == 5 and (series.spend.dropna() == 100.0).all()


def test_a_real_drop_in_daily_spend_still_shows():
    periods = Periods.before(date(2026, 2, 1), date(2026, 2, 28))
    prior = _perf([periods.prior_start + timedelta(days=i) for i in range(periods.prior_days)], 100.0)
    window = _perf([periods.start + timedelta(days=i) for i in range(periods.days)], 50.0)
    table = kpi_table(pd.concat([prior, window], ignore_index=True), periods)
    spend = table[(table.level == "total") & (table.metric == "spend")].iloc[0]
    assert spend.change_share == pytest.approx(-0.5)
