"""`mops deploy`: every workflow spec as a deployment on a Prefect work pool, run by workers.

Schedules, event triggers and concurrency are those `mops serve` uses (flows.serve.deployment_options);
the code is the project folder itself (a local source), so a worker needs the project at the same
path and `MOPS_WAREHOUSE_URL` in its environment. The embedded DuckDB warehouse is refused: it is
a file on one machine with one writer at a time, which workers on other machines cannot share.
"""

from __future__ import annotations

from dataclasses import dataclass

from mops.core.errors import MopsError
from mops.core.settings import Settings

ENTRYPOINT = "mops/app/entrypoint.py:run_workflow"


class DeployRefused(MopsError):
    """A deployment that workers could not run correctly."""


@dataclass(frozen=True)
class Deployed:
    workflow: str
    deployment_id: str
    trigger: str


def check_deployable(settings: Settings) -> None:
    if not settings.warehouse_url:
        raise DeployRefused(
            f"mops deploy puts runs on workers in other processes and machines, but the warehouse is the embedded "
            f"DuckDB file {settings.warehouse_path} (one machine, one writer at a time). Set MOPS_WAREHOUSE_URL="
            "postgresql://user@host:5432/db for a shared warehouse, or use `mops serve` to run every workflow "
            "on this machine."
        )


def ensure_pool(name: str) -> bool:
    """Create the process work pool when it is missing; True when created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            return True
    if pool.type != "process":
        raise DeployRefused(f"work pool {name!r} is of type {pool.type!r}; mops deploys to a process pool")
    return False


def worker_flow(settings: Settings):
    """The workflow flow loaded from the application's entrypoint: each run's process composes the catalog.

    Prefect runs a deployment's flow in a new process (a worker's, or a spawned child of `mops serve`);
    loaded from this source, that process imports the entrypoint, not just the engine.
    """
    from flows.workflow import run_workflow

    return run_workflow.from_source(source=str(settings.project_dir), entrypoint=ENTRYPOINT)


def deploy_all(settings: Settings) -> list[Deployed]:
    """Register (or update) one deployment per workflow spec on the settings' work pool."""
    check_deployable(settings)
    from flows.serve import deployment_options

    options = deployment_options(settings)
    ensure_pool(settings.work_pool)
    flow = worker_flow(settings)
    deployed = []
    for name, option in options.items():
        deployment_id = flow.deploy(
            name=name, work_pool_name=settings.work_pool, build=False, push=False, print_next_steps=False, **option
        )
        trigger = next(t.removeprefix("trigger:") for t in option["tags"] if t.startswith("trigger:"))
        deployed.append(Deployed(name, str(deployment_id), trigger))
    return deployed
