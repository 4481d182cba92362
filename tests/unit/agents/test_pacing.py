"""Pacing on tiny frames: pace, crossing moments and month-to-date computed by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.pacing import AGENT, PacingParameters
from agents.pacing.crossing import crossing_time
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.settings import PROJECT_DIR

CONTRACT = load_contracts(Path(PROJECT_DIR) / "contracts" / "agents")["pacing_status"].version(1)


def spend_row(day: str, spend: float, channel="google_ads", account="1", start_hour=0, currency="USD"):
    start = pd.Timestamp(day) + pd.Timedelta(hours=start_hour)
    return {
        "date_day": pd.Timestamp(day),
        "day_started_at_utc": start,
        "channel_id": channel,
        "account_id": account,
        "spend_in_reporting_currency": spend,
        "reporting_currency": currency,
    }


def plan_row(day: str, budget: float, channel="google_ads", month_budget=None):
    return {
        "date_day": pd.Timestamp(day),
        "channel_id": channel,
        "daily_budget_in_reporting_currency": budget,
        "month_budget_in_reporting_currency": budget * 30 if month_budget is None else month_budget,
        "reporting_currency": "USD",
    }


def run(spend_rows, plan_rows, start="2026-06-10", end="2026-06-10", **params):
    context = RunContext(window_start=date.fromisoformat(start), window_end=date.fromisoformat(end))
    inputs = {
        "fct_ad_performance_daily": pd.DataFrame(spend_rows),
        "fct_budget_plan_daily": pd.DataFrame(plan_rows),
    }
    return AGENT.run(inputs, context, PacingParameters(**params))


def status(result) -> pd.DataFrame:
    return result.outputs["pacing_status"].set_index(["channel_id", "date_day"])


def test_one_account_crosses_at_day_start_plus_24h_times_threshold_over_pace():
    # New York account: its June 10th starts at 04:00 UTC; 90 of 100 spent -> pace 0.9;
    # 80 is reached after 24h x 0.8 / 0.9 = 21h20m, at 01:20 UTC on June 11th
    result = run([spend_row("2026-06-10", 90.0, start_hour=4)], [plan_row("2026-06-10", 100.0)])
    row = status(result).loc[("google_ads", date(2026, 6, 10))]
    assert row.pace == pytest.approx(0.9)
    assert row.is_over_threshold
    assert row.crossed_at == pd.Timestamp("2026-06-11 01:20:00")
    assert row.crossed_at_method == "uniform_spend_within_account_day"
    assert validate_frame(result.outputs["pacing_status"], CONTRACT, "pacing_status") == []


def test_under_the_threshold_nothing_crosses():
    result = run([spend_row("2026-06-10", 70.0)], [plan_row("2026-06-10", 100.0)])
    row = status(result).loc[("google_ads", date(2026, 6, 10))]
    assert (row.pace, row.is_over_threshold) == (pytest.approx(0.7), False)
    assert pd.isna(row.crossed_at) and pd.isna(row.crossed_at_method)
    assert result.decisions == []


def test_spend_exactly_at_the_threshold_crosses_at_the_day_end():
    result = run([spend_row("2026-06-10", 80.0)], [plan_row("2026-06-10", 100.0)])
    row = status(result).loc[("google_ads", date(2026, 6, 10))]
    assert row.is_over_threshold and row.crossed_at == pd.Timestamp("2026-06-11 00:00")


def test_two_accounts_in_different_time_zones_add_up_piecewise():
    # A spends 48 over 00:00-24:00 UTC (2/h), B 48 over 12:00-36:00 (2/h); target 0.8 x 100 = 80:
    # 24 by 12:00, then 4/h -> 72 by 24:00, then 2/h -> 80 at 28:00 = 04:00 on June 11th
    rows = [spend_row("2026-06-10", 48.0, account="A"), spend_row("2026-06-10", 48.0, account="B", start_hour=12)]
    row = status(run(rows, [plan_row("2026-06-10", 100.0)])).loc[("google_ads", date(2026, 6, 10))]
    assert row.spend == pytest.approx(96.0) and row.pace == pytest.approx(0.96)
    assert row.crossed_at == pd.Timestamp("2026-06-11 04:00")
    assert row.day_started_at_utc == pd.Timestamp("2026-06-10 00:00")


def test_crossing_time_is_none_when_the_spend_stays_below_the_target():
    start = np.array(["2026-06-10T00:00"], dtype="datetime64[us]")
    assert crossing_time(start, np.array([79.0]), 80.0) is None
    assert crossing_time(start, np.array([160.0]), 80.0) == np.datetime64("2026-06-10T12:00", "us")


def test_a_zero_budget_is_crossed_by_the_first_spend_and_has_no_pace():
    row = status(run([spend_row("2026-06-10", 5.0, start_hour=7)], [plan_row("2026-06-10", 0.0)])).iloc[0]
    assert row.is_over_threshold and pd.isna(row.pace)
    assert row.crossed_at == pd.Timestamp("2026-06-10 07:00")


def test_spend_without_a_plan_is_reported_but_never_flagged():
    result = run([spend_row("2026-06-10", 500.0, channel="tiktok_ads")], [plan_row("2026-06-10", 100.0)])
    row = status(result).loc[("tiktok_ads", date(2026, 6, 10))]
    assert (row.has_plan, row.is_over_threshold, row.spend) == (False, False, 500.0)
    assert pd.isna(row.daily_budget) and pd.isna(row.pace)
    planned_only = status(result).loc[("google_ads", date(2026, 6, 10))]
    assert (planned_only.spend, planned_only.pace, planned_only.is_over_threshold) == (0.0, 0.0, False)
    assert pd.isna(planned_only.day_started_at_utc)


def test_month_to_date_starts_on_the_first_even_when_the_window_starts_later():
    days = ["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"]
    spends = [10.0, 20.0, 30.0, 40.0]
    result = run(
        [spend_row(d, s) for d, s in zip(days, spends, strict=True)],
        [plan_row(d, 50.0, month_budget=1500.0) for d in days],
        start="2026-06-03",
        end="2026-06-04",
    )
    out = status(result).loc["google_ads"]
    assert list(out.index) == [date(2026, 6, 3), date(2026, 6, 4)]
    assert out.month_to_date_spend.tolist() == [60.0, 100.0]
    assert out.month_to_date_budget.tolist() == [150.0, 200.0]
    assert out.month_to_date_pace.tolist() == pytest.approx([0.4, 0.5])
    # run rate on the 4th: 100 / 4 days x 30 days = 750 of a 1500 plan
    assert out.month_projected_spend[date(2026, 6, 4)] == pytest.approx(750.0)
    assert out.month_projected_pace[date(2026, 6, 4)] == pytest.approx(0.5)


def test_month_to_date_restarts_with_a_new_month():
    days = ["2026-05-30", "2026-05-31", "2026-06-01"]
    result = run([spend_row(d, 10.0) for d in days], [plan_row(d, 20.0) for d in days], "2026-05-31", "2026-06-01")
    assert status(result).month_to_date_spend.tolist() == [20.0, 10.0]
    assert status(result).month_to_date_budget.tolist() == [40.0, 20.0]


def test_decisions_for_the_last_day_by_default_and_more_on_request():
    days = ["2026-06-09", "2026-06-10"]
    spends = [spend_row(d, 90.0, start_hour=4) for d in days]
    plans = [plan_row(d, 100.0) for d in days]
    (decision,) = run(spends, plans, "2026-06-09", "2026-06-10").decisions
    assert (decision.kind, decision.subject, decision.value) == ("threshold_crossed", "google_ads", pytest.approx(0.9))
    assert decision.details["date"] == "2026-06-10"
    assert decision.details["crossed_at"] == "2026-06-11T01:20:00"
    assert (decision.details["budget"], decision.details["spend"]) == (100.0, 90.0)
    assert "uniform" in decision.reason
    both = run(spends, plans, "2026-06-09", "2026-06-10", decision_days=2).decisions
    assert [d.details["date"] for d in both] == days
    assert run(spends, plans, "2026-06-09", "2026-06-10", decision_days=0).decisions == []


def test_threshold_is_a_parameter():
    rows, plans = [spend_row("2026-06-10", 90.0)], [plan_row("2026-06-10", 100.0)]
    assert not status(run(rows, plans, threshold=0.95)).is_over_threshold.iloc[0]
    row = status(run(rows, plans, threshold=0.45)).iloc[0]
    assert row.crossed_at == pd.Timestamp("2026-06-10 12:00")  # 24h x 0.45 / 0.9


def test_marts_in_another_currency_than_the_run_are_refused():
    with pytest.raises(ValueError, match="reporting currency|reports in USD"):
        run([spend_row("2026-06-10", 90.0, currency="EUR")], [plan_row("2026-06-10", 100.0)])
