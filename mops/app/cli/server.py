"""Prefect operations: the persistent local server (`mops server start|stop|status`) and `mops deploy`."""

from __future__ import annotations

import typer
from rich.markup import escape

from mops.app.cli.common import console, fail
from mops.core.settings import get_settings

app = typer.Typer()
server_app = typer.Typer(help="The project's persistent local Prefect server (UI and API).", no_args_is_help=True)
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start() -> None:
    """Start one Prefect server in the background (database under var/prefect); runs then skip their own."""
    from mops.app.server import files, start, warm_enabled, warm_pid

    settings = get_settings()
    url, pid, started = start(settings)
    state = "started" if started else "already running"
    console.print(f"Prefect server {state} (pid {pid}): UI {escape(url.removesuffix('/api'))}")
    _say_warm(warm_pid(settings), warm_enabled())
    console.print(f"[dim]log {escape(str(files(settings).log))}; `mops server stop` stops it[/]")


def _say_warm(pid: int | None, enabled: bool) -> None:
    if pid:
        console.print(f"warm starter running (pid {pid}): commands start from its imports")
    elif enabled:
        console.print("[yellow]warm starter not running[/] (commands start cold; `mops server start` starts it)")
    else:
        console.print("warm starter off (MOPS_WARM_START=false)")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the background Prefect server this project started."""
    from mops.app.server import stop

    pid = stop(get_settings())
    console.print(f"Prefect server (pid {pid}) stopped" if pid else "no Prefect server running for this project")


@server_app.command("status")
def server_status() -> None:
    """Say whether the server is up and answering; exit code 1 when it is not."""
    from mops.app.server import api_url, running_pid, running_url, warm_enabled, warm_pid

    settings = get_settings()
    pid, url = running_pid(settings), running_url(settings)
    if url:
        console.print(f"Prefect server running (pid {pid}): UI {escape(url.removesuffix('/api'))}")
        _say_warm(warm_pid(settings), warm_enabled())
        return
    if pid:
        console.print(f"[yellow]Prefect server process {pid} is up but {escape(api_url(settings))} does not answer[/]")
    else:
        console.print("no Prefect server running for this project (`mops server start`)")
    raise typer.Exit(1)


@app.command()
def deploy() -> None:
    """Register every workflow as a deployment on the work pool (MOPS_WORK_POOL); workers run them."""
    import os

    from mops.app.deploy import check_deployable, deploy_all

    settings = get_settings()
    check_deployable(settings)
    if not os.environ.get("PREFECT_API_URL"):
        raise fail(
            "mops deploy needs a Prefect server that stays up: `mops server start` here, "
            "or PREFECT_API_URL=http://<server>:4200/api for a shared one"
        )
    for item in deploy_all(settings):
        console.print(
            f"[green]deployed[/] {escape(item.workflow)} ({escape(item.trigger)}) on pool "
            f"{escape(settings.work_pool)}  [dim]{item.deployment_id}[/]"
        )
    console.print(f"start workers with: prefect worker start --pool {escape(settings.work_pool)}")
