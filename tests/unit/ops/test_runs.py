"""The run record: one row per run (running, then final), crashed when its process is gone; mixed outputs found."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date, datetime

import pandas as pd
import pytest

from mops.core.ops import OpsLog, context_sources, finish_run, mixed_sources, start_run
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import make_settings


@pytest.fixture
def ops(tmp_path):
    with open_warehouse(make_settings(tmp_path)) as warehouse:
        yield OpsLog(warehouse)


def row(run_id: str, **extra) -> dict:
    base = {"run_id": run_id, "workflow": "daily", "run_date": date(2026, 6, 30), "started_at": datetime(2026, 7, 1)}
    return base | extra


def runs(ops: OpsLog) -> list[tuple]:
    frame = ops.query("workflow_runs", order="run_id")
    return list(zip(frame.run_id, frame.status, strict=True))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_is_recorded_running_at_its_start_and_replaced_by_its_end(ops):
    start_run(ops, row("r1"))
    frame = ops.query("workflow_runs")
    assert runs(ops) == [("r1", "running")]
    assert frame.pid.iloc[0] == os.getpid() and frame.host.iloc[0] == socket.gethostname()
    finish_run(ops, row("r1", status="succeeded", finished_at=datetime(2026, 7, 1, 0, 5)))
    assert runs(ops) == [("r1", "succeeded")]  # one row per run id, never two


def test_a_run_left_running_by_a_dead_process_is_marked_crashed_at_the_next_start(ops):
    ops.append("workflow_runs", [row("killed", status="running", pid=dead_pid(), host=socket.gethostname())])
    ops.append("workflow_runs", [row("done", status="succeeded", pid=dead_pid(), host=socket.gethostname())])
    crashed = start_run(ops, row("next"))
    assert crashed == ["killed"]
    assert runs(ops) == [("done", "succeeded"), ("killed", "crashed"), ("next", "running")]
    message = ops.query("workflow_runs", "run_id = 'killed'").message.iloc[0]
    assert "stopped before the run finished (its process is gone)" in message


def test_a_run_from_another_host_left_running_is_crashed_too_since_we_hold_the_run_lock(ops):
    ops.append("workflow_runs", [row("elsewhere", status="running", pid=os.getpid(), host="worker-7")])
    assert start_run(ops, row("next")) == ["elsewhere"]
    assert "another host" in ops.query("workflow_runs", "run_id = 'elsewhere'").message.iloc[0]


def _output(ops: OpsLog, table: str, rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["_mops_context_key", "_mops_run_id"]).assign(value=1.0)
    types = {"_mops_context_key": "varchar", "_mops_run_id": "varchar", "value": "double precision"}
    ops.warehouse.append_rows("agents", table, frame, types)


def test_outputs_of_one_context_from_two_runs_are_named_and_one_run_is_not_mixed(ops):
    _output(ops, "attribution_credit_v2", [("ctx", "a"), ("ctx", "a"), ("other", "z")])
    _output(ops, "segments_v1", [("ctx", "a")])
    assert mixed_sources(ops, "ctx") == {}
    assert context_sources(ops, "ctx") == {"attribution_credit_v2": ["a"], "segments_v1": ["a"]}
    _output(ops, "budget_shifts_v1", [("ctx", "b")])  # the killed rerun wrote this one only
    mixed = {"attribution_credit_v2": ["a"], "budget_shifts_v1": ["b"], "segments_v1": ["a"]}
    assert mixed_sources(ops, "ctx") == mixed
    assert mixed_sources(ops, "other") == {}
