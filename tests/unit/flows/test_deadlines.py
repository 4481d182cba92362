"""Deadlines: due times across daylight-saving time, skips when history says a step cannot finish,
and schedule feasibility judged on every start of a year (not one fixed January day)."""

from __future__ import annotations

from datetime import date, datetime

from flows.engine import RunSettings, _check_deadline
from flows.plan import build_plan, due_for_run_date, schedule_misses_deadlines
from flows.spec import parse_spec
from mops.core.settings import Settings
from tests.flow_agents import AGENTS

CATALOG = {a.name: a for a in AGENTS}


def plan_of(body: str):
    spec, digest = parse_spec(f"name: t\ndescription: d\n{body}", "t.yml")
    return build_plan(spec, digest, CATALOG)


def test_due_time_follows_the_zones_utc_offset_through_dst():
    # 06:00 in New York is 11:00 UTC in winter (EST) and 10:00 UTC in summer (EDT)
    assert due_for_run_date("06:00", "America/New_York", date(2026, 1, 14)) == datetime(2026, 1, 15, 11, 0)
    assert due_for_run_date("06:00", "America/New_York", date(2026, 7, 14)) == datetime(2026, 7, 15, 10, 0)
    # the night the clocks go forward (2026-03-08), the next morning is already EDT
    assert due_for_run_date("06:00", "America/New_York", date(2026, 3, 7)) == datetime(2026, 3, 8, 10, 0)


def test_a_schedule_that_fits_in_winter_but_not_in_summer_is_refused():
    # the run starts 05:00 UTC; the deadline is 07:00 London: 2 h in winter (GMT), 1 h in summer (BST)
    plan = plan_of(
        "trigger: {schedule: {cron: '0 5 * * *', timezone: UTC}}\n"
        "steps:\n  - {id: budget, agent: t_budget, deadline: {before: '07:00', timezone: Europe/London}}\n"
    )
    durations = {"budget": 50 * 60}  # 50 min x 1.5 margin = 75 min: fits 120, not 60
    winter_only = schedule_misses_deadlines(plan, durations, [], first=datetime(2026, 1, 5))
    assert winter_only and "on 2026-03-29" in winter_only[0]  # the first BST morning
    assert schedule_misses_deadlines(plan, {"budget": 30 * 60}, [], first=datetime(2026, 1, 5)) == []


def _run(now: datetime, estimates: dict[str, float]) -> RunSettings:
    return RunSettings(
        settings=Settings(),
        session=None,
        catalog=CATALOG,
        run_id="r",
        clock=lambda: now,
        estimates=estimates,
        run_date=date(2026, 6, 30),
    )


def test_a_step_that_cannot_finish_before_its_deadline_is_skipped_and_a_tight_one_warns():
    plan = plan_of("steps:\n  - {id: budget, agent: t_budget, deadline: {before: '06:00', timezone: UTC}}\n")
    step = plan.steps["budget"]
    reason, _ = _check_deadline(step, _run(datetime(2026, 7, 1, 6, 1), {}))
    assert reason and "passed" in reason
    reason, _ = _check_deadline(step, _run(datetime(2026, 7, 1, 5, 55), {"budget": 600}))
    assert reason and "cannot finish before the deadline" in reason
    reason, warnings = _check_deadline(step, _run(datetime(2026, 7, 1, 5, 45), {"budget": 600}))
    assert reason is None and any("deadline at risk" in w for w in warnings)
    reason, warnings = _check_deadline(step, _run(datetime(2026, 7, 1, 3, 0), {"budget": 600}))
    assert (reason, warnings) == (None, [])


def test_backfills_never_enforce_deadlines():
    plan = plan_of("steps:\n  - {id: budget, agent: t_budget, deadline: {before: '06:00', timezone: UTC}}\n")
    run = _run(datetime(2026, 7, 1, 9, 0), {})
    run.mode = "backfill"
    assert _check_deadline(plan.steps["budget"], run) == (None, [])
