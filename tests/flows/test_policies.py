"""Deadlines, approvals, events and backfills through the real Prefect flow."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import pandas as pd

from flows.approvals import ApprovalStore
from flows.local import backfill, run_once, run_with_events
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import DEMO_END_DATE
from tests.flows.conftest import write_spec

DAY = date.fromisoformat(DEMO_END_DATE)
MORNING_AFTER = "2026-07-01T06:00:00"  # the live run for DAY, well before its 23:59 deadline

BUDGET = """
steps:
  - id: budget
    agent: t_budget
    approval: {decision: shift_budget, above: 0.15, timeout_minutes: %(timeout)s, poll_seconds: 0.1}
    deadline: {before: "%(before)s", timezone: UTC}
"""


def budget_spec(specs, timeout=1.0, before="23:59"):
    write_spec(specs, "budget", BUDGET % {"timeout": timeout, "before": before})


def step(summary, step_id):
    return next(s for s in summary.steps if s.step == step_id)


def applied(settings) -> pd.DataFrame:
    with open_warehouse(settings) as warehouse:
        return warehouse.query("select subject, status, decided_by from ops.applied_decisions order by subject")


def test_a_missed_deadline_skips_the_step_instead_of_applying_late(engine):
    settings, specs = engine
    budget_spec(specs, before="06:00")
    summary = run_once(settings, "budget", DAY, as_of="2026-07-01T06:00:00")
    budget = step(summary, "budget")
    assert budget.status == "skipped"
    assert "deadline 06:00 (UTC) passed" in budget.message and "not applied late" in budget.message
    assert budget.approvals == []


def test_a_deadline_history_says_cannot_be_met_is_skipped_and_at_risk_warns(engine):
    settings, specs = engine
    budget_spec(specs, before="06:00")
    with open_warehouse(settings) as warehouse:
        history = pd.DataFrame(
            [
                {
                    "run_id": f"h{i}",
                    "workflow": "budget",
                    "step": "budget",
                    "kind": "agent",
                    "status": "succeeded",
                    "duration_s": 600.0,
                    "attempts": 1,
                    "message": "",
                    "finished_at": datetime(2026, 6, 1),
                }
                for i in range(3)
            ]
        )
        from mops.core.ops import OpsLog

        OpsLog(warehouse).append("workflow_steps", history)
    summary = run_once(settings, "budget", DAY, as_of="2026-07-01T05:55:00")
    assert step(summary, "budget").status == "skipped"
    assert "cannot finish before the deadline" in step(summary, "budget").message
    risky = run_once(settings, "budget", DAY, as_of="2026-07-01T05:45:00", approvals="defer")
    assert step(risky, "budget").status == "succeeded"
    assert any("deadline at risk" in w for w in step(risky, "budget").warnings)


def _decide_when_requested(settings, approve: bool, subject=None):
    store = ApprovalStore(settings.var_path / "approvals")

    def decide():
        for _ in range(300):
            pending = store.pending()
            if pending:
                store.decide(pending[0]["run_id"], approve, subject, by="test-reviewer")
                return
            time.sleep(0.05)

    thread = threading.Thread(target=decide)
    thread.start()
    return thread


def test_an_approval_granted_applies_the_decision(engine):
    settings, specs = engine
    budget_spec(specs, timeout=1.0)
    reviewer = _decide_when_requested(settings, approve=True)
    summary = run_once(settings, "budget", DAY, as_of=MORNING_AFTER)
    reviewer.join()
    statuses = {a.subject: a.status for a in step(summary, "budget").approvals}
    assert statuses == {"google_ads": "approved", "meta_ads": "auto_applied"}  # 30% needs approval, 5% does not
    rows = applied(settings)
    assert rows.status.tolist() == ["approved", "auto_applied"]
    assert rows.decided_by.tolist()[0] == "test-reviewer"
    # governance: the request names who started the run; the run's process ledgers who decided
    from mops.core.governance import resolve_actor
    from mops.core.governance.guard import ledger
    from mops.core.warehouse.adapter import open_warehouse

    request = ApprovalStore(settings.var_path / "approvals").read(summary.run_id)
    assert request["requested_by"] == resolve_actor(settings)
    with open_warehouse(settings, read_only=True) as warehouse:
        book = ledger(settings, warehouse)
        assert book.verify().ok
        entries = book.entries()
    runs_and_agents = ("agent_run", "run_workflow")
    decided = [(e["actor"], e["action"], e["run_id"]) for e in entries if e["action"] not in runs_and_agents]
    assert decided == [("test-reviewer", "approve", summary.run_id)]
    # the run ledgers itself, by who started it, after its decisions
    assert [(e["actor"], e["run_id"]) for e in entries if e["action"] == "run_workflow"] == [
        (resolve_actor(settings), summary.run_id)
    ]
    assert entries[-1]["action"] == "run_workflow"
    assert [e["action"] for e in entries].count("agent_run") == 1  # the budget agent's run, with its inputs


def test_an_approval_rejected_is_not_applied(engine):
    settings, specs = engine
    budget_spec(specs, timeout=1.0)
    reviewer = _decide_when_requested(settings, approve=False)
    summary = run_once(settings, "budget", DAY, as_of=MORNING_AFTER)
    reviewer.join()
    assert {a.subject: a.status for a in step(summary, "budget").approvals}["google_ads"] == "rejected"


def test_an_approval_nobody_gives_expires(engine):
    settings, specs = engine
    budget_spec(specs, timeout=0.01)  # 0.6 s
    summary = run_once(settings, "budget", DAY, as_of=MORNING_AFTER)
    assert {a.subject: a.status for a in step(summary, "budget").approvals}["google_ads"] == "expired"
    assert applied(settings).status.tolist() == ["expired", "auto_applied"]


EVENTS = {
    "watch": """
trigger: {schedule: {cron: "0 * * * *", timezone: UTC}}
steps:
  - {id: pacing, agent: t_pacing}
""",
    "react": """
trigger: {event: mops.decision.threshold_crossed, max_depth: 2, cooldown_minutes: 60}
steps:
  - {id: budget, agent: t_budget}
""",
}


def test_an_event_starts_the_listening_workflow_once_and_the_cooldown_stops_repeats(engine):
    settings, specs = engine
    for name, body in EVENTS.items():
        write_spec(specs, name, body)
    first = run_with_events(settings, "watch", DAY, approvals="defer")
    assert [s.workflow for s in first] == ["watch", "react"]
    assert first[1].event_chain == ["watch"]
    again = run_with_events(settings, "watch", DAY, approvals="defer")
    assert [s.workflow for s in again] == ["watch"]
    assert any("cooldown" in stopped for stopped in again[0].stopped_events)
    with open_warehouse(settings) as warehouse:
        events = warehouse.query("select target_workflow, status, reason from ops.events order by occurred_at")
    assert events.status.tolist() == ["triggered", "stopped"]


def test_an_event_chain_that_revisits_a_workflow_is_stopped(engine):
    from flows.events import Event, stop_reason
    from flows.registry import load_plans

    settings, specs = engine
    for name, body in EVENTS.items():
        write_spec(specs, name, body)
    react = load_plans(settings)["react"].spec
    looped = Event("mops.decision.threshold_crossed", "watch", "r1", str(DAY), ("react", "watch"))
    assert stop_reason(looped, react, None, datetime(2026, 7, 1)).startswith("loop: react -> watch -> react")
    deep = Event("mops.decision.threshold_crossed", "watch", "r1", str(DAY), ("a", "b"))
    assert stop_reason(deep, react, None, datetime(2026, 7, 1)).startswith("depth: chain a -> b is 2 long")


def test_a_backfill_rerun_produces_identical_outputs(engine):
    settings, specs = engine
    write_spec(specs, "attrib", "steps:\n  - {id: attribution, agent: t_attribution}\n")
    first_days = backfill(settings, "attrib", DAY - timedelta(days=2), DAY)
    assert [s.run_date for s in first_days] == ["2026-06-28", "2026-06-29", "2026-06-30"]

    def outputs():
        with open_warehouse(settings) as warehouse:
            frame = warehouse.query("select * from agents.attribution_credit_v2")
        keep = [c for c in frame.columns if c not in ("_mops_run_id", "_mops_written_at")]
        return frame[keep].sort_values(["_mops_window_end", "conversion_id", "channel_id"]).reset_index(drop=True)

    before = outputs()
    assert before._mops_window_end.nunique() == 3
    backfill(settings, "attrib", DAY - timedelta(days=2), DAY)
    pd.testing.assert_frame_equal(outputs(), before)


def test_two_runs_take_turns_on_the_warehouse(engine):
    from flows.locking import WorkflowBusy, warehouse_lock

    settings, _ = engine
    with warehouse_lock(settings):
        holder_error = []

        def second():
            try:
                with warehouse_lock(settings, wait_seconds=0.3):
                    pass
            except WorkflowBusy as exc:
                holder_error.append(str(exc))

        thread = threading.Thread(target=second)
        thread.start()
        thread.join()
    assert holder_error and "another mops run holds" in holder_error[0]


def test_a_deferred_approval_is_recorded_when_decided_after_the_run(engine):
    from flows.approvals import record_deferred

    settings, specs = engine
    budget_spec(specs, timeout=5.0)
    summary = run_once(settings, "budget", DAY, as_of=MORNING_AFTER, approvals="defer")
    assert {a.subject: a.status for a in step(summary, "budget").approvals}["google_ads"] == "pending"
    store = ApprovalStore(settings.var_path / "approvals")
    changed = store.decide(summary.run_id, approve=True, subjects=["google_ads"], by="anna")
    record_deferred(settings, store.read(summary.run_id), changed)
    rows = applied(settings)
    assert sorted(zip(rows.subject, rows.status, strict=True)) == [
        ("google_ads", "approved"),
        ("google_ads", "pending"),
        ("meta_ads", "auto_applied"),
    ]
