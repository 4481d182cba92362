"""An agent whose landing data was never loaded is skipped with the reason, whatever its policy;
any other failure still follows the policy (halt -> failed)."""

from __future__ import annotations

from datetime import date

import pytest

import flows.engine as engine
from flows.engine import RunSettings, execute_step
from mops.core.availability import InputUnavailable
from mops.core.runtime.context import RunContext
from mops.core.settings import Settings
from tests.unit.flows.test_deadlines import CATALOG, plan_of


class _Session:
    def get(self):
        return None


def _fake_runner(error: Exception):
    calls = []

    class FakeRunner:
        def __init__(self, warehouse, catalog=None, **options):
            pass

        def run(self, agent, context, parameters):
            calls.append(agent.name)
            raise error

    return FakeRunner, calls


@pytest.mark.parametrize("policy", ["{on_failure: halt}", "{on_failure: retry, retries: 3, fallback: halt}"])
def test_input_unavailable_is_a_skip_with_its_reason_not_a_failure(monkeypatch, policy):
    reason = "fct_budget_plan_daily is empty: no data loaded from landing/plan/budget_plan/"
    error = InputUnavailable("t_budget", [reason])
    runner, calls = _fake_runner(error)
    monkeypatch.setattr(engine, "Runner", runner)
    plan = plan_of(f"steps:\n  - {{id: budget, agent: t_budget, policy: {policy}}}\n")
    run = RunSettings(settings=Settings(), session=_Session(), catalog=CATALOG, run_id="r", run_date=date(2026, 6, 30))
    context = RunContext.for_day(date(2026, 6, 30), run_id="r")
    outcome = execute_step(plan.steps["budget"], context, run)
    assert outcome.status == "skipped"
    assert outcome.attempts == 1 and calls == ["t_budget"]  # never retried: loading data is not transient
    assert "input unavailable: fct_budget_plan_daily is empty" in outcome.message
    assert "landing/plan/budget_plan/" in outcome.message


def test_any_other_failure_still_follows_the_halt_policy(monkeypatch):
    runner, _ = _fake_runner(ValueError("a bug"))
    monkeypatch.setattr(engine, "Runner", runner)
    plan = plan_of("steps:\n  - {id: budget, agent: t_budget, policy: {on_failure: halt}}\n")
    run = RunSettings(settings=Settings(), session=_Session(), catalog=CATALOG, run_id="r", run_date=date(2026, 6, 30))
    context = RunContext.for_day(date(2026, 6, 30), run_id="r")
    assert execute_step(plan.steps["budget"], context, run).status == "failed"
