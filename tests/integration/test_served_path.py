"""The served path end to end: a real Prefect server, a process work pool, a worker, a PostgreSQL warehouse.

`mops server start` (real, detached), `mops deploy` (the CLI finds the server through its pid file), one
`prefect worker start` process; `daily` runs through its deployment, `pacing`'s threshold event triggers
`reoptimize` on the server, whose approval is resumed through Prefect's API as the UI's form does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo import generate
from mops.app import server
from mops.core.ingest_postgres import ingest_postgres
from mops.core.warehouse.adapter import PostgresWarehouse
from tests.conftest import DEMO_END_DATE, FX_SEED, make_settings
from tests.integration.test_postgres_pipeline import REGISTRY, SMALL_DEMO, throwaway_database

pytestmark = [pytest.mark.slow, pytest.mark.served]
AS_OF = "2026-07-01T06:00:00"  # the morning after DEMO_END_DATE: deadlines still ahead
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(what: str, check, seconds: float = 600.0, every: float = 1.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A PostgreSQL warehouse with the small demo ingested, a real server, the deployments and one worker."""
    root = tmp_path_factory.mktemp("served")
    with throwaway_database() as url:
        settings = make_settings(root, warehouse_url=url, prefect_port=_free_port(), work_pool="mops-e2e")
        generate(SMALL_DEMO, settings.landing_path, FX_SEED)
        ingest_postgres(url, REGISTRY, settings.landing_path)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            MOPS_WAREHOUSE_URL=url,
            MOPS_LANDING_DIR=str(settings.landing_path),
            MOPS_VAR_DIR=str(settings.var_path),
            MOPS_PREFECT_PORT=str(settings.prefect_port),
            MOPS_WORK_POOL=settings.work_pool,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
        )
        api, _, _ = server.start(settings)
        worker = None
        try:
            deploy = subprocess.run([str(BIN / "mops"), "deploy"], env=env, capture_output=True, text=True)
            assert deploy.returncode == 0, deploy.stdout + deploy.stderr
            log = (root / "worker.log").open("w")
            worker = subprocess.Popen(
                [str(BIN / "prefect"), "worker", "start", "--pool", settings.work_pool, "--limit", "2"],
                env=dict(env, PREFECT_API_URL=api),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            yield settings, api, deploy.stdout, root / "worker.log"
        finally:
            if worker is not None:
                os.killpg(worker.pid, 15)
                worker.wait(timeout=60)
            server.stop(settings)
            shutil.rmtree(settings.var_path / "prefect", ignore_errors=True)


def _deployed(api: str) -> bool:
    with _client(api) as client:
        names = {d.name for d in client.read_deployments()}
    return {"daily", "pacing", "reoptimize"} <= names


def _client(api: str):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    class Session:
        def __enter__(self):
            self.settings = temporary_settings({PREFECT_API_URL: api})
            self.settings.__enter__()
            self.client = get_client(sync_client=True).__enter__()
            return self.client

        def __exit__(self, *exc):
            self.client.__exit__(*exc)
            self.settings.__exit__(*exc)

    return Session()


def _runs_of(client, workflow: str):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    return client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[f"workflow:{workflow}"])))


def _run_deployment(api: str, name: str, parameters: dict):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}):
        return run_deployment(f"mops-workflow/{name}", parameters=parameters, timeout=0)


def _final(api: str, flow_run_id, seconds: float = 900.0):
    def done():
        with _client(api) as client:
            run = client.read_flow_run(flow_run_id)
        return run if run.state and run.state.is_final() else None

    return _wait_for(f"flow run {flow_run_id} to finish", done, seconds, every=2.0)


def test_daily_then_pacing_triggers_reoptimize_on_the_worker_with_its_approval_resumed_in_prefect(served):
    settings, api, deployed, worker_log = served
    assert "deployed daily (schedule) on pool mops-e2e" in deployed
    assert "deployed reoptimize (event)" in deployed

    def records(sql: str):
        with PostgresWarehouse(settings) as warehouse:
            return warehouse.query(sql)

    _daily_pacing_reoptimize(api, worker_log, records)


def _daily_pacing_reoptimize(api: str, worker_log: Path, records) -> None:
    """daily through its deployment, pacing's event triggers reoptimize, its approval resumed via the API."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.flow_runs import resume_flow_run
    from prefect.settings import PREFECT_API_URL, temporary_settings

    _wait_for("the deployments", lambda: _deployed(api), 120)

    daily = _run_deployment(api, "daily", {"run_date": DEMO_END_DATE, "as_of": AS_OF, "approvals": "defer"})
    daily = _final(api, daily.id)
    assert daily.state.is_completed(), f"{daily.state} (worker log {worker_log})"
    assert daily.name == f"daily {DEMO_END_DATE}"
    assert {"workflow:daily", "trigger:manual", "actor:prefect-ui-or-api"} <= set(daily.tags)

    pacing = _final(api, _run_deployment(api, "pacing", {"run_date": DEMO_END_DATE, "as_of": AS_OF}).id)
    assert pacing.state.is_completed(), f"{pacing.state} (worker log {worker_log})"

    def reoptimize_run():
        with _client(api) as client:
            runs = _runs_of(client, "reoptimize")
        return runs[0] if runs else None

    reoptimize = _wait_for("the threshold event to trigger reoptimize", reoptimize_run, 180)

    def paused_or_done():
        with _client(api) as client:
            run = client.read_flow_run(reoptimize.id)
        return run if run.state and (run.state.is_paused() or run.state.is_final()) else None

    waiting = _wait_for("reoptimize to pause for its approval", paused_or_done, 600)
    assert waiting.state.is_paused(), f"reoptimize did not wait for an approval: {waiting.state}"
    with _client(api) as client:
        form = client.read_flow_run_input(waiting.id, waiting.state.state_details.run_input_keyset["schema"])
    import json

    rows = json.loads(form)["properties"]["decisions"]["default"]
    assert rows and all(r["decision"] == "pending" for r in rows)
    with temporary_settings({PREFECT_API_URL: api}):
        resume_flow_run(
            waiting.id,
            run_input={
                "reviewer": "test-approver",
                "decisions": [dict(r, decision="approve", reason="e2e") for r in rows],
            },
        )
    reoptimize = _final(api, reoptimize.id)
    assert reoptimize.state.is_completed(), f"{reoptimize.state} (worker log {worker_log})"
    assert reoptimize.name == f"reoptimize {DEMO_END_DATE}"
    assert {"workflow:reoptimize", "trigger:event", "actor:event-from-pacing"} <= set(reoptimize.tags)

    runs = records("select workflow, status, event_chain from ops.workflow_runs order by started_at")
    applied = records("select workflow, status, decided_by from ops.applied_decisions")
    assert runs.workflow.tolist() == ["daily", "pacing", "reoptimize"]
    assert runs.event_chain.tolist()[-1] == '["pacing"]'
    approved = applied[(applied.workflow == "reoptimize") & (applied.status == "approved")]
    assert len(approved) == len(rows) and set(approved.decided_by) == {"prefect-ui:test-approver"}
    # every served run is in the audit ledger, written by the process that ran it (governance)
    ledgered = records("select object, run_id from ops.audit_log where action = 'run_workflow' order by seq")
    assert ledgered.object.tolist() == ["workflow:daily", "workflow:pacing", "workflow:reoptimize"]
    assert set(ledgered.run_id) == set(records("select run_id from ops.workflow_runs").run_id)

    with _client(api) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[daily.id])))
        keys = {a.key for a in client.read_artifacts()}
    lines = [log.message for log in logs]
    assert any(line.startswith("step build succeeded") for line in lines)
    assert any(line.startswith("step reporting succeeded") for line in lines)
    assert {"mops-daily", "mops-daily-report", "mops-pacing", "mops-reoptimize"} <= keys
