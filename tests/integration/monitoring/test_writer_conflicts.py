"""Writer conflicts between real processes: a run that gave up on the warehouse lock and one that waited
for it are recorded with both runs, counted in the conflict rate and shown by `mops monitor`; a consumer
refused an output of another run context is recorded likewise."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from mops.app.cli import app
from mops.core.base import utcnow
from mops.core.contracts import Contract
from mops.core.monitoring.check import MonitorConfig, assess
from mops.core.ops import OpsLog, writers
from mops.core.runtime.agent import Agent, AgentManifest, AgentResult, Read, Write
from mops.core.runtime.context import ContextMismatch, RunContext
from mops.core.runtime.runner import Runner
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import DEMO_END_DATE, make_settings
from tests.toy_agents import NoParameters

DAY = date.fromisoformat(DEMO_END_DATE)

# argv: root, run_id, workflow, wait seconds, release file ("-": release at once after the pass)
RUN = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from flows import waits
    from flows.locking import WorkflowBusy, warehouse_lock
    from mops.core.monitoring.hook import after_run
    from mops.core.warehouse.adapter import DuckDBWarehouse
    from tests.conftest import make_settings
    root, run_id, workflow, wait, release = sys.argv[1:]
    settings = make_settings(Path(root))
    waits.NOTICE_LISTENERS.append(lambda kind, message: print("waiting", flush=True))
    try:
        with warehouse_lock(settings, float(wait), f"run {run_id} of {workflow}", run_id=run_id, workflow=workflow):
            print("held", flush=True)
            while release != "-" and not Path(release).exists():
                time.sleep(0.05)
            with DuckDBWarehouse(settings) as warehouse:
                after_run(warehouse, settings, run_id)
    except WorkflowBusy as exc:
        print(exc, flush=True)
        sys.exit(3)
    """
)


def _start(root, run_id, workflow, wait, release="-"):
    return subprocess.Popen(
        [sys.executable, "-c", RUN, str(root), run_id, workflow, str(wait), str(release)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _monitor(monkeypatch, settings) -> dict:
    monkeypatch.setenv("MOPS_WAREHOUSE", str(settings.warehouse_path))
    monkeypatch.setenv("MOPS_VAR_DIR", str(settings.var_path))
    result = CliRunner().invoke(app, ["monitor", "--no-kpis", "--format", "json"])
    return json.loads(result.output)


def test_a_refused_and_a_waiting_run_are_conflicts_with_both_runs(tmp_path, monkeypatch):
    settings = make_settings(tmp_path)
    with DuckDBWarehouse(settings) as warehouse:  # one earlier run, so the rate has a denominator
        OpsLog(warehouse).append(
            "workflow_runs", [{"run_id": "r0", "workflow": "daily", "status": "succeeded", "started_at": utcnow()}]
        )
    release = tmp_path / "release"
    holder = _start(tmp_path, "daily-1", "daily", 1, release)
    assert holder.stdout.readline().strip() == "held"
    refused = _start(tmp_path, "backfill-1", "backfill", 0.5)
    out, _ = refused.communicate(timeout=60)
    assert refused.returncode == 3 and out.startswith("waiting") and "run daily-1 of daily" in out
    waiter = _start(tmp_path, "daily-2", "daily", 60)
    assert waiter.stdout.readline().strip() == "waiting"
    noted = _monitor(monkeypatch, settings)  # read-only: the refusal is noted beside the lock, not yet recorded
    assert [(c["rule"], c["outcome"], c["a_run_id"], c["b_run_id"]) for c in noted["conflicts"]] == [
        ("concurrent_write", "refused", "backfill-1", "daily-1")
    ]
    release.touch()
    assert holder.wait(timeout=60) == 0
    assert waiter.stdout.readline().strip() == "held" and waiter.wait(timeout=120) == 0, waiter.stderr.read()
    with DuckDBWarehouse(settings) as warehouse:
        rows = OpsLog(warehouse).query("conflicts", order="detected_at")
    assert [(r.outcome, r.a_agent, r.a_run_id, r.b_agent, r.b_run_id) for r in rows.itertuples()] == [
        ("refused", "backfill", "backfill-1", "daily", "daily-1"),
        ("waited", "daily", "daily-2", "daily", "daily-1"),
    ]
    assert set(rows.subject) == {f"warehouse {settings.warehouse_path}"}
    assert writers.pending(settings) == []  # moved into the warehouse, once
    state = _monitor(monkeypatch, settings)
    assert sorted(c["outcome"] for c in state["conflicts"]) == ["refused", "waited"]
    assert state["impact"]["conflicts_per_run"] == 2 / 1 and state["impact"]["conflicts_caught"] == 2
    assert any("waited" in r and "daily-1" in r for r in state["reasons"])


PROBE = Contract.model_validate(
    {
        "table": "probe",
        "owner": "tests",
        "description": "one output",
        "versions": [
            {"version": 1, "grain": "one row per n", "key": ["n"], "columns": [{"name": "n", "type": "bigint"}]}
        ],
    }
)


def _agent(name: str, reads=(), writes=()) -> Agent:
    def function(inputs, context, parameters) -> AgentResult:
        return AgentResult(outputs={"probe": pd.DataFrame({"n": [1, 2]})} if writes else {})

    manifest = AgentManifest(name=name, owner="tests", description=name, reads=reads, writes=writes)
    return Agent(manifest, function, NoParameters)


def test_a_read_under_another_run_context_is_a_conflict_with_both_runs(settings):
    producer = _agent("producer", writes=(Write(table="probe", version=1),))
    consumer = _agent("consumer", reads=(Read(name="probe", version=1),))
    catalog = {a.manifest.name: a for a in (producer, consumer)}
    written = RunContext.for_day(DAY, 28, run_id="ctx-a")
    other = RunContext.for_day(DAY - timedelta(days=1), 28, run_id="ctx-b")
    with DuckDBWarehouse(settings) as warehouse:
        runner = Runner(warehouse, catalog=catalog, contracts={"probe": PROBE})
        runner.run(producer, written)
        for _ in range(2):  # refused twice: one conflict
            with pytest.raises(ContextMismatch):
                runner.run(consumer, other)
        log = OpsLog(warehouse)
        [row] = log.query("conflicts").to_dict("records")
        state = assess(log, MonitorConfig(kpi_checks=False))
    assert (row["rule"], row["outcome"], row["subject"]) == ("read_under_other_context", "refused", "agents.probe_v1")
    assert (row["a_agent"], row["a_run_id"], row["b_agent"], row["b_run_id"]) == (
        "consumer",
        "ctx-b",
        "producer",
        "ctx-a",
    )
    assert str(other.window_start) in row["a_reason"] and str(written.window_start) in row["b_reason"]
    assert [c.rule for c in state.conflicts] == ["read_under_other_context"]
