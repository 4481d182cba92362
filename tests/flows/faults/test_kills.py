"""The fault suite: real `mops run` processes killed (kill -9) or stopped (SIGTERM) at points of a run.

After each fault: no process is left behind (dbt, the temporary Prefect server), the killed run is
recorded crashed (kill -9, at the next start) or cancelled (SIGTERM), and a rerun succeeds with
outputs equal to an uninterrupted run's. Runs alone with `pytest -m faults`.
"""

from __future__ import annotations

import random
import re
import signal
import time

import pandas as pd
import pytest

from flows.approvals import ApprovalStore
from flows.locking import warehouse_lock
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import DEMO_END_DATE
from tests.flows.conftest import write_spec
from tests.flows.faults.cli import left_behind, run, start

pytestmark = pytest.mark.faults

AGENTS = "steps:\n  - {id: attribution, agent: t_attribution}\n  - {id: reporting, agent: t_reporting}\n"
WITH_DBT = """
steps:
  - id: build
    dbt: {command: run, select: dim_channels}
  - {id: attribution, agent: t_attribution}
  - {id: reporting, agent: t_reporting}
"""
BUDGET = """
steps:
  - id: budget
    agent: t_budget
    approval: {decision: shift_budget, above: 0.15, timeout_minutes: 10, poll_seconds: 0.5}
"""
RUN = ["run", "--date", DEMO_END_DATE, "--as-of", "2026-07-01T06:00:00"]


@pytest.fixture
def cli(engine):
    """Settings, the specs folder and the env of a CLI process (the session's Prefect server)."""
    from prefect.settings import PREFECT_API_URL

    settings, specs = engine
    return settings, specs, {"PREFECT_API_URL": PREFECT_API_URL.value()}


@pytest.fixture(scope="session")
def prefect_home(tmp_path_factory):
    return tmp_path_factory.mktemp("prefect-home")  # one database for the suite's temporary servers


@pytest.fixture
def temporary_server_env(prefect_home) -> dict[str, str]:
    """No PREFECT_API_URL: the run starts its own temporary server (which must die with it)."""
    return {"PREFECT_API_URL": "", "PREFECT_HOME": str(prefect_home)}


def runs(settings) -> dict[str, str]:
    with open_warehouse(settings) as warehouse:
        frame = warehouse.query("select run_id, status from ops.workflow_runs")
    return dict(zip(frame.run_id, frame.status, strict=True))


def applied(settings, run_id: str) -> list[tuple[str, str]]:
    with open_warehouse(settings) as warehouse:
        frame = warehouse.query(
            "select subject, status from ops.applied_decisions where run_id = ? order by subject, recorded_at",
            [run_id],
        )
    return list(zip(frame.subject, frame.status, strict=True))


def outputs(settings) -> pd.DataFrame:
    with open_warehouse(settings) as warehouse:
        frame = warehouse.query("select * from agents.attribution_credit_v2")
    keep = [c for c in frame.columns if c not in ("_mops_run_id", "_mops_written_at")]
    return frame[keep].sort_values(["conversion_id", "channel_id"]).reset_index(drop=True)


def dbt_logs(settings) -> set:
    return set((settings.var_path / "logs").glob("dbt-run-*.log"))


def wait_for_dbt_running(mops, settings, earlier: set, timeout: float = 90.0) -> None:
    """The build step started and its dbt process runs its command (a prewarmed dbt exists before the run)."""
    mops.wait_for("build started")
    mops.wait_for_child("dbt")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any("Running with dbt" in log.read_text() for log in dbt_logs(settings) - earlier):
            return
        time.sleep(0.05)
    raise AssertionError(f"dbt did not start its command within {timeout} s:\n{mops.output}")


def waiting_run_id(line: str) -> str:
    return re.search(r"run (\w+) \(", line).group(1)


def test_kill_9_during_dbt_leaves_no_dbt_behind_and_the_rerun_succeeds(cli):
    settings, specs, env = cli
    write_spec(specs, "faulty", WITH_DBT)
    earlier = dbt_logs(settings)
    mops = start([*RUN[:1], "faulty", *RUN[1:]], env)
    wait_for_dbt_running(mops, settings, earlier)
    before = mops.kill(signal.SIGKILL)
    mops.finish()
    assert left_behind(before) == []
    code, output = run([*RUN[:1], "faulty", *RUN[1:]], env)
    assert code == 0, output
    assert sorted(runs(settings).values()) == ["crashed", "succeeded"]
    assert "recorded as crashed" in output


def test_sigterm_during_dbt_kills_dbt_and_records_the_run_cancelled(cli):
    settings, specs, env = cli
    write_spec(specs, "faulty", WITH_DBT)
    earlier = dbt_logs(settings)
    mops = start([*RUN[:1], "faulty", *RUN[1:]], env)
    wait_for_dbt_running(mops, settings, earlier)
    before = mops.kill(signal.SIGTERM)
    assert mops.finish(60) == 143, mops.output
    assert left_behind(before) == []
    assert list(runs(settings).values()) == ["cancelled"]
    assert "cancelled" in mops.output and "Traceback" not in mops.output


def test_kill_9_at_random_points_of_the_agent_steps_then_each_rerun_equals_an_uninterrupted_run(cli):
    settings, specs, env = cli
    write_spec(specs, "agents", AGENTS)
    code, output = run([*RUN[:1], "agents", *RUN[1:]], env)
    assert code == 0, output
    reference = outputs(settings)
    for seed in (1, 2):
        mops = start([*RUN[:1], "agents", *RUN[1:]], env)
        mops.wait_for("attribution started")
        time.sleep(random.Random(seed).uniform(0.0, 1.5))  # inside the attribution step, its write or the report
        before = mops.kill(signal.SIGKILL)
        mops.finish()
        assert left_behind(before) == []
        code, output = run([*RUN[:1], "agents", *RUN[1:]], env)
        assert code == 0, output
        pd.testing.assert_frame_equal(outputs(settings), reference)
    statuses = sorted(runs(settings).values())
    # killed mid-run a run is crashed; a kill after its record was written leaves it succeeded
    assert statuses.count("crashed") + statuses.count("succeeded") == 5
    assert statuses.count("succeeded") >= 3 and "running" not in statuses


def test_sigterm_during_the_approval_wait_cancels_and_leaves_no_temporary_server(cli, temporary_server_env):
    settings, specs, _ = cli
    write_spec(specs, "budget", BUDGET)
    mops = start([*RUN[:1], "budget", *RUN[1:]], temporary_server_env)
    line = mops.wait_for("waits for approval", timeout=120)
    run_id = waiting_run_id(line)
    assert f"mops approve {run_id}" in line and "until" in line
    before = mops.kill(signal.SIGTERM)
    assert any("uvicorn" in cmd for cmd in mops.killed_children.values())  # the temporary server was running
    assert mops.finish(60) == 143, mops.output
    assert left_behind(before) == []
    assert runs(settings) == {run_id: "cancelled"}
    assert applied(settings, run_id) == [("google_ads", "cancelled"), ("meta_ads", "auto_applied")]
    record = ApprovalStore(settings.var_path / "approvals").read(run_id)
    assert [i["status"] for i in record["items"]] == ["cancelled"]


def test_kill_9_during_the_approval_wait_then_a_rejection_is_recorded_and_the_next_run_marks_it_crashed(
    cli, temporary_server_env
):
    settings, specs, env = cli
    write_spec(specs, "budget", BUDGET)
    mops = start([*RUN[:1], "budget", *RUN[1:]], temporary_server_env)
    run_id = waiting_run_id(mops.wait_for("waits for approval", timeout=120))
    before = mops.kill(signal.SIGKILL)
    assert any("uvicorn" in cmd for cmd in mops.killed_children.values())
    mops.finish()
    assert left_behind(before) == []  # the temporary Prefect server died with it
    approver = {**env, "MOPS_ACTOR": "test-approver"}  # not the proposer (tester)
    code, output = run(["approve", run_id, "--reject"], approver)  # nobody waits: recorded now
    assert code == 0, output
    assert applied(settings, run_id) == [("google_ads", "rejected")]
    code, output = run([*RUN[:1], "budget", *RUN[1:], "--approvals", "defer"], env)
    assert code == 0, output
    assert runs(settings)[run_id] == "crashed"


def test_sigterm_during_the_run_lock_wait_gives_up_at_once(cli):
    settings, specs, env = cli
    write_spec(specs, "agents", AGENTS)
    with warehouse_lock(settings, what="a test holding the warehouse"):
        mops = start([*RUN[:1], "agents", *RUN[1:]], env)
        line = mops.wait_for("waits for the warehouse")
        assert "a test holding the warehouse" in line and "up to 600 s" in line
        before = mops.kill(signal.SIGTERM)
        assert mops.finish(30) == 143, mops.output
    assert left_behind(before) == []
    assert "Traceback" not in mops.output, mops.output
