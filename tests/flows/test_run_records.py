"""The run's record through the real flow: running from the start, crashed when killed, cancelled when stopped."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date

import pytest

from flows.approvals import ApprovalStore
from flows.local import run_once, run_with_events
from flows.locking import warehouse_lock
from flows.waits import NOTICE_LISTENERS
from flows.workflow import PROGRESS_LISTENERS
from mops.core import interrupts
from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import DEMO_END_DATE
from tests.flows.conftest import write_spec

DAY = date.fromisoformat(DEMO_END_DATE)
PIPE = "steps:\n  - {id: attribution, agent: t_attribution}\n  - {id: reporting, agent: t_reporting}\n"
BUDGET = """
steps:
  - id: budget
    agent: t_budget
    approval: {decision: shift_budget, above: 0.15, timeout_minutes: 10, poll_seconds: 5}
"""


@pytest.fixture(autouse=True)
def _clean():
    interrupts.reset()
    yield
    interrupts.reset()
    PROGRESS_LISTENERS.clear()
    NOTICE_LISTENERS.clear()


def runs(settings) -> dict[str, str]:
    with open_warehouse(settings) as warehouse:
        frame = OpsLog(warehouse).query("workflow_runs")
    return dict(zip(frame.run_id, frame.status, strict=True))


def test_the_run_is_recorded_running_while_it_runs_and_its_one_row_ends_with_its_status(engine):
    settings, specs = engine
    write_spec(specs, "pipe", PIPE)
    seen = []

    def during(workflow, step, outcome):
        if outcome is None and step == "reporting":
            seen.append(runs(settings))

    PROGRESS_LISTENERS.append(during)
    summary = run_once(settings, "pipe", DAY)
    assert seen == [{summary.run_id: "running"}]
    assert runs(settings) == {summary.run_id: "succeeded"}
    assert summary.output_runs == {}  # every output of the context from this one run


def test_a_run_whose_process_died_is_marked_crashed_at_the_next_start(engine):
    settings, specs = engine
    write_spec(specs, "pipe", PIPE)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with open_warehouse(settings) as warehouse:
        OpsLog(warehouse).append(
            "workflow_runs", [{"run_id": "killed1", "workflow": "pipe", "status": "running", "pid": gone.pid}]
        )
    summary = run_once(settings, "pipe", DAY)
    assert runs(settings) == {"killed1": "crashed", summary.run_id: "succeeded"}


def test_a_stop_during_the_approval_wait_cancels_the_run_its_approvals_and_frees_the_lock(engine):
    settings, specs = engine
    write_spec(specs, "budget", BUDGET)
    notices = []

    def stop_once_waiting(kind, message):
        notices.append(message)
        if "waits for approval" in message:
            threading.Timer(0.2, interrupts.request_stop, ["SIGTERM"]).start()

    NOTICE_LISTENERS.append(stop_once_waiting)
    summary = run_once(settings, "budget", DAY, as_of="2026-07-01T06:00:00")
    assert summary.status == "cancelled" and summary.step("budget").status == "cancelled"
    assert "mops.workflow.budget.completed" not in summary.events
    assert any(f"mops approve {summary.run_id}" in n for n in notices)
    assert runs(settings) == {summary.run_id: "cancelled"}
    with open_warehouse(settings) as warehouse:
        applied = warehouse.query("select subject, status from ops.applied_decisions order by subject")
    assert applied.values.tolist() == [["google_ads", "cancelled"], ["meta_ads", "auto_applied"]]
    record = ApprovalStore(settings.var_path / "approvals").read(summary.run_id)
    assert [i["status"] for i in record["items"]] == ["cancelled"]
    with warehouse_lock(settings, wait_seconds=1):  # released
        pass


def test_a_broken_spec_elsewhere_is_a_warning_not_a_failed_run(engine):
    settings, specs = engine
    write_spec(specs, "pipe", PIPE)
    write_spec(specs, "broken", "steps:\n  - {id: x, agent: no_such_agent}\n")
    notices = []
    NOTICE_LISTENERS.append(lambda kind, message: notices.append((kind, message)))
    summaries = run_with_events(settings, "pipe", DAY)
    assert [s.status for s in summaries] == ["succeeded"]
    assert any(kind == "warning" and "broken" in message for kind, message in notices)


def test_outputs_of_a_context_written_by_two_runs_are_named_in_the_summary(engine):
    settings, specs = engine
    write_spec(specs, "pipe", PIPE)
    first = run_once(settings, "pipe", DAY)
    with open_warehouse(settings) as warehouse:  # the half a killed run left: another table, another run id
        warehouse.query(
            "create table agents.budget_shifts_v1 as select _mops_context_key, 'killedrun' as _mops_run_id "
            "from agents.attribution_credit_v2 limit 3"
        )
    second = run_once(settings, "pipe", DAY)
    assert second.output_runs == {
        "attribution_credit_v1": [second.run_id],
        "attribution_credit_v2": [second.run_id],
        "budget_shifts_v1": ["killedrun"],
    }
    assert first.run_id != second.run_id


def test_a_warehouse_without_marts_but_with_a_manifest_fails_the_step_not_the_process(engine):
    import duckdb

    settings, specs = engine
    write_spec(specs, "budget", BUDGET + '    deadline: {before: "23:59", timezone: account}\n')
    with duckdb.connect(str(settings.warehouse_path)) as con:  # e.g. the warehouse file deleted and re-created
        con.execute("drop schema marts cascade")
    summary = run_once(settings, "budget", DAY, as_of="2026-07-01T06:00:00")
    assert summary.status == "failed" and "dim_channels" in summary.step("budget").message
    assert runs(settings) == {summary.run_id: "failed"}
