"""Pacing on the demo warehouse: the demo plan makes channels over-pace on known days (its truth);
the agent must flag exactly those days, with crossing moments that agree with an independent check."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pandas as pd
import pytest

from agents.pacing import AGENT, PacingParameters
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import run_agent
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import DEMO_END_DATE, make_settings

pytestmark = pytest.mark.slow

END = date.fromisoformat(DEMO_END_DATE)


@pytest.fixture
def warehouse(built_warehouse, tmp_path):
    """A private copy of the built warehouse, so agent outputs written here touch no other test."""
    shutil.copy(built_warehouse.settings.warehouse_path, tmp_path / "warehouse.duckdb")
    with DuckDBWarehouse(make_settings(tmp_path)) as wh:
        yield wh


@pytest.fixture
def plan_truth(built_warehouse) -> dict:
    return json.loads(built_warehouse.truth_path.read_text())["budget_plan"]


def _status(wh) -> pd.DataFrame:
    frame = wh.query("select * from agents.pacing_status_v1")
    return frame[[c for c in frame.columns if not c.startswith("_mops_")]]


def _truth_days(plan_truth: dict, start: date, end: date) -> set[tuple[str, date]]:
    return {
        (channel, date.fromisoformat(day))
        for channel, days in plan_truth["over_pacing_days"].items()
        for day in days
        if start <= date.fromisoformat(day) <= end
    }


def test_crossings_are_flagged_exactly_on_the_days_the_plan_over_paces(warehouse, built_warehouse, plan_truth):
    truth = json.loads(built_warehouse.truth_path.read_text())
    context = RunContext(window_start=date.fromisoformat(truth["start_date"]), window_end=END)
    run = run_agent(warehouse, AGENT, context)
    assert run.status == "succeeded"
    status = _status(warehouse)
    flagged = {(r.channel_id, pd.Timestamp(r.date_day).date()) for r in status[status.is_over_threshold].itertuples()}
    expected = _truth_days(plan_truth, context.window_start, context.window_end)
    assert expected  # the demo does over-pace
    assert flagged == expected
    assert status.has_plan.all()
    assert len(status) == 5 * ((END - context.window_start).days + 1)  # every paid channel, every day
    assert status.threshold.eq(plan_truth["threshold"]).all()


def test_a_daily_run_decides_on_its_last_day_only(warehouse, plan_truth):
    context = RunContext.for_day(END)
    run = run_agent(warehouse, AGENT, context)
    expected = sorted(c for c, d in _truth_days(plan_truth, END, END))
    assert sorted(d.subject for d in run.decisions) == expected
    assert all(d.kind == "threshold_crossed" and d.details["date"] == END.isoformat() for d in run.decisions)
    logged = warehouse.query("select subject from ops.decisions where agent = 'pacing' and kind = 'threshold_crossed'")
    assert sorted(logged.subject) == expected
    contract = load_contracts(warehouse.settings.contracts_dir / "agents")["pacing_status"].version(1)
    assert validate_frame(_status(warehouse), contract, "pacing_status") == []
    run = run_agent(warehouse, AGENT, context, PacingParameters(decision_days=28))
    assert sorted((d.subject, d.details["date"]) for d in run.decisions) == sorted(
        (c, d.isoformat()) for c, d in _truth_days(plan_truth, context.window_start, END)
    )


def test_pace_and_crossing_times_agree_with_an_independent_computation(warehouse):
    context = RunContext.for_day(END)
    run_agent(warehouse, AGENT, context)
    status = _status(warehouse).set_index(["channel_id", "date_day"])
    accounts = warehouse.query(
        """
        select channel_id, date_day, account_id, min(day_started_at_utc) as day_start,
               sum(spend_in_reporting_currency)::double as spend
        from marts.fct_ad_performance_daily_v1 where date_day between ? and ?
        group by all
        """,
        [context.window_start, END],
    )
    plan = warehouse.query(
        "select channel_id, date_day, daily_budget_in_reporting_currency::double as budget "
        "from marts.fct_budget_plan_daily_v1 where date_day between ? and ?",
        [context.window_start, END],
    ).set_index(["channel_id", "date_day"])
    per_day = accounts.groupby(["channel_id", "date_day"]).spend.sum()
    pace = per_day / plan.budget
    assert status.pace.to_numpy() == pytest.approx(pace.reindex(status.index).to_numpy(), rel=1e-9)
    crossed = status[status.is_over_threshold]
    assert len(crossed)
    for (channel, day), row in crossed.iterrows():
        mine = accounts[(accounts.channel_id == channel) & (accounts.date_day == day)]
        target = 0.8 * plan.budget[(channel, day)]
        if len(mine) == 1:  # the brief's formula: day start + 24h x threshold / pace
            expected = mine.day_start.iloc[0] + pd.Timedelta(hours=24) * (0.8 / pace[(channel, day)])
            assert abs(row.crossed_at - expected) < pd.Timedelta(milliseconds=1)
        # whatever the accounts, uniform spend within each account's day reaches the target exactly then
        elapsed = ((row.crossed_at - mine.day_start) / pd.Timedelta(hours=24)).clip(0, 1)
        assert (elapsed * mine.spend).sum() == pytest.approx(target, rel=1e-6)


def test_month_to_date_matches_the_marts(warehouse):
    context = RunContext.for_day(END)
    run_agent(warehouse, AGENT, context)
    status = _status(warehouse)
    last = status[pd.to_datetime(status.date_day) == pd.Timestamp(END)].set_index("channel_id")
    month = warehouse.query(
        """
        with spend as (
            select channel_id, sum(spend_in_reporting_currency)::double as spend
            from marts.fct_ad_performance_daily_v1 where date_day between ? and ? group by all
        ), plan as (
            select channel_id, sum(daily_budget_in_reporting_currency)::double as budget
            from marts.fct_budget_plan_daily_v1 where date_day between ? and ? group by all
        )
        select * from spend join plan using (channel_id)
        """,
        [END.replace(day=1), END] * 2,
    ).set_index("channel_id")
    assert last.month_to_date_spend.sort_index().to_numpy() == pytest.approx(month.spend.sort_index().to_numpy())
    assert last.month_to_date_budget.sort_index().to_numpy() == pytest.approx(month.budget.sort_index().to_numpy())
    assert last.month_budget.sort_index().to_numpy() == pytest.approx(month.budget.sort_index().to_numpy())
