"""Anomaly holds: the spec field is validated (naming the step), and the detectors hold on the run date only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from flows.engine import RunSettings, deadline_share
from flows.plan import build_plan
from flows.spec import SpecError, parse_spec
from mops.core.monitoring.holds import kpi_holds, open_holds, volume_holds
from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.integration.monitoring.seed import END, MART, seed_mart
from tests.month_agents import AGENTS

CATALOG = {a.name: a for a in AGENTS}
RELATION = ".".join(MART)


def plan_of(step: str):
    spec, digest = parse_spec(f"name: t\ndescription: d\nsteps:\n  - {step}\n", "t.yml")
    return build_plan(spec, digest, CATALOG)


def test_a_budget_step_declares_its_holds():
    plan = plan_of("{id: budget, agent: budget_optimizer, hold_on_anomalies: [spend, conversions, input_rows]}")
    assert plan.steps["budget"].step.hold_on_anomalies == ("spend", "conversions", "input_rows")


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (
            "{id: budget, agent: budget_optimizer, hold_on_anomalies: [spend, roas]}",
            ["step budget", "'roas'", "known:"],
        ),
        ("{id: build, dbt: {command: build}, hold_on_anomalies: [spend]}", ["step build", "agent steps only"]),
        ("{id: flags, agent: attribution, hold_on_anomalies: [input_rows]}", ["step flags", "makes none"]),
        ("{id: flags, agent: attribution, hold_on_anomalies: [spend]}", ["step flags", "does not read it"]),
    ],
)
def test_a_hold_that_cannot_mean_anything_is_refused_naming_the_step(step, words):
    with pytest.raises(SpecError) as refused:
        plan_of(step)
    assert all(w in str(refused.value) for w in words), str(refused.value)


@pytest.fixture
def log(settings):
    warehouse = DuckDBWarehouse(settings)
    yield OpsLog(warehouse)
    warehouse.close()


def test_a_spend_spike_on_the_run_date_holds_and_names_the_anomaly(log):
    seed_mart(log, spike=5.0)  # meta_ads' spend on END x5
    found = kpi_holds(log, ["spend", "conversions"], END, relation=RELATION)
    assert [(a.metric, a.subject, a.observed) for a in found] == [("spend", "meta_ads", END.isoformat())]
    reasons = open_holds(log, ("spend",), END, "budget_optimizer", "r1", relation=RELATION)
    assert len(reasons) == 1 and reasons[0].startswith("spend anomaly: meta_ads spend on 2026-06-30 4.9x its Tuesday")
    assert "(4,900.00 against 1,000.00)" in reasons[0]  # observed against its baseline (the seed's noise: x0.98)


def test_no_hold_on_a_clean_day_an_unwatched_metric_or_an_earlier_day(log):
    seed_mart(log, spike=5.0)
    assert kpi_holds(log, ["conversions", "clicks"], END, relation=RELATION) == []  # spend is not watched
    assert kpi_holds(log, ["spend"], END - timedelta(days=1), relation=RELATION) == []  # the day before: clean


def test_a_clean_mart_holds_nothing_on_any_day(log):
    seed_mart(log)
    for back in range(14):
        assert kpi_holds(log, ["spend", "clicks", "conversions"], END - timedelta(days=back), relation=RELATION) == []


def test_an_unchecked_input_holds_fail_closed(log):
    reasons = open_holds(log, ("spend",), END, "budget_optimizer", "r1", relation="marts.missing")
    assert len(reasons) == 1 and "could not run" in reasons[0] and "marts.missing does not exist" in reasons[0]


def _reads(log, rows: list[int]) -> None:
    start = datetime(2026, 6, 1, 6)
    log.append(
        "agent_reads",
        [
            {
                "run_id": f"r{i}",
                "agent": "budget_optimizer",
                "input": "fct_ad_performance_daily",
                "rows": n,
                "read_at": start + timedelta(days=i),
                "mode": "live",
                "window_days": 28,
                "status": "passed",
            }
            for i, n in enumerate(rows)
        ],
    )


def test_input_volume_holds_only_when_this_runs_read_is_anomalous(log):
    usual = [10_000, 10_050, 9_980, 10_020, 9_990, 10_010, 10_030, 10_000]
    _reads(log, [*usual, 2_000])
    found = volume_holds(log, "budget_optimizer", f"r{len(usual)}")
    assert [(a.subject, a.direction) for a in found] == [("fct_ad_performance_daily", "drop")]
    assert volume_holds(log, "budget_optimizer", "r3") == []  # an earlier run's read is judged by its own run


def test_deadline_share_is_the_time_used_of_the_time_to_the_deadline():
    start = datetime(2026, 7, 1, 6, 0)
    run = RunSettings(
        settings=None, session=None, catalog={}, run_id="r", started_at=start, clock=lambda: start + timedelta(hours=8)
    )
    assert deadline_share(start + timedelta(hours=10), run) == pytest.approx(0.8)
    assert deadline_share(None, run) is None
    assert deadline_share(start - timedelta(hours=1), run) == 1.0  # due before the run began: all used
