"""`mops serve`: a local Prefect server with its UI, and every workflow spec as a deployment.

Scheduled specs get their cron schedule (with time zone); event-triggered specs get a deployment
trigger on their event, passing the run date and the causal chain from the event payload, so the
loop guard also works on the server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

from mops.core.errors import MopsError
from mops.core.settings import Settings


def _wait_healthy(url: str, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise MopsError(f"the Prefect server at {url} did not become healthy within {seconds:.0f} s")


def deployment_options(settings: Settings) -> dict[str, dict]:
    """Per workflow: the deployment's parameters, schedule or event trigger, concurrency and tags.

    `mops serve` (this process runs the flows) and `mops deploy` (workers on a pool run them) share it.
    """
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
    from prefect.schedules import Cron

    from flows.registry import validate_all

    built: dict[str, dict] = {}
    for name, plan in validate_all(settings).items():
        trigger = plan.spec.trigger
        kind = "schedule" if trigger.schedule else "event" if trigger.event else "manual"
        options: dict = {
            "parameters": {"workflow": name},
            "description": plan.spec.description,
            "version": plan.spec_hash,
            "concurrency_limit": 1,
            "tags": ["mops", f"workflow:{name}", f"trigger:{kind}"],
        }
        if trigger.schedule:
            options["schedules"] = [Cron(trigger.schedule.cron, timezone=trigger.schedule.timezone)]
        if trigger.event:
            options["triggers"] = [
                DeploymentEventTrigger(
                    expect={trigger.event},
                    parameters={
                        "workflow": name,
                        "run_date": "{{ event.payload.run_date }}",
                        "event_chain": "{{ event.payload.chain }}",
                        "as_of": "{{ event.payload.as_of }}",
                    },
                )
            ]
        built[name] = options
    return built


def deployments(settings: Settings, flow=None):
    """Every workflow as a deployment served from this process (`mops serve`).

    `flow` is the flow as the application loads it (its entrypoint composes the agent catalog in the
    process Prefect starts for each run); by default the engine's own flow object.
    """
    if flow is None:
        from flows.workflow import run_workflow as flow

    return [flow.to_deployment(name=name, **o) for name, o in deployment_options(settings).items()]


def serve_all(settings: Settings, port: int, console, flow=None) -> None:
    """Serve on the Prefect server this process already uses (`mops server start`), else start one here."""
    if os.environ.get("PREFECT_API_URL"):
        from prefect import serve

        built = deployments(settings, flow)
        ui = os.environ["PREFECT_API_URL"].removesuffix("/api")
        console.print(f"Prefect UI: {ui}  (deployments: {', '.join(d.name for d in built)})")
        serve(*built)
        return
    url = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_API_URL=url)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(url)
        os.environ["PREFECT_API_URL"] = url
        from prefect import serve

        built = deployments(settings, flow)
        console.print(f"Prefect UI: http://127.0.0.1:{port}  (deployments: {', '.join(d.name for d in built)})")
        serve(*built)
    finally:
        server.terminate()
        server.wait(timeout=30)
