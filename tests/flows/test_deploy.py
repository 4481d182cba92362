"""`mops deploy`: every workflow on a process work pool, entrypoint in the application; DuckDB refused."""

from __future__ import annotations

import pytest

from mops.app.deploy import ENTRYPOINT, DeployRefused, check_deployable, deploy_all
from mops.core.settings import PROJECT_DIR, Settings


def test_the_embedded_duckdb_warehouse_is_refused_for_workers(tmp_path):
    settings = Settings(project_dir=PROJECT_DIR, warehouse=str(tmp_path / "w.duckdb"))
    with pytest.raises(DeployRefused) as refused:
        deploy_all(settings)
    message = str(refused.value)
    assert str(tmp_path / "w.duckdb") in message and "MOPS_WAREHOUSE_URL" in message and "mops serve" in message
    check_deployable(settings.model_copy(update={"warehouse_url": "postgresql://postgres@127.0.0.1:5432/x"}))


def test_every_workflow_is_deployed_on_the_process_pool_with_its_trigger(prefect_server):
    from prefect.client.orchestration import get_client

    settings = Settings(
        project_dir=PROJECT_DIR, warehouse_url="postgresql://postgres@127.0.0.1:5432/unused", work_pool="mops-test-pool"
    )
    first = {d.workflow: d for d in deploy_all(settings)}
    assert {(w, d.trigger) for w, d in first.items()} == {
        ("daily", "schedule"),
        ("pacing", "schedule"),
        ("reoptimize", "event"),
    }
    again = {d.workflow: d.deployment_id for d in deploy_all(settings)}  # re-deploying updates, never duplicates
    assert again == {w: d.deployment_id for w, d in first.items()}
    with get_client(sync_client=True) as client:
        pool = client.read_work_pool("mops-test-pool")
        daily = client.read_deployment(first["daily"].deployment_id)
        reoptimize = client.read_deployment(first["reoptimize"].deployment_id)
    assert pool.type == "process"
    assert daily.work_pool_name == "mops-test-pool" and daily.entrypoint == ENTRYPOINT
    assert any(str(PROJECT_DIR) in str(step) for step in daily.pull_steps)  # the worker runs in the project
    assert [s.schedule.cron for s in daily.schedules] == ["0 6 * * *"]
    assert {"workflow:daily", "trigger:schedule"} <= set(daily.tags)
    assert daily.parameters == {"workflow": "daily"}
    assert daily.global_concurrency_limit is not None and daily.global_concurrency_limit.limit == 1
    assert not reoptimize.schedules and "trigger:event" in reoptimize.tags


def test_the_worker_entrypoint_loads_the_flow_with_the_catalog_composed():
    from prefect.flows import load_flow_from_entrypoint

    flow = load_flow_from_entrypoint(str(PROJECT_DIR / ENTRYPOINT))
    assert flow.name == "mops-workflow"
    from flows.registry import catalog

    assert "budget_optimizer" in catalog(Settings(project_dir=PROJECT_DIR))
