"""Workflow commands: validate the specs, run (or backfill) one, serve them all on Prefect."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mops.app.cli import common, render
from mops.app.cli.common import catalog, console, fail
from mops.core.settings import get_settings

app = typer.Typer()
workflows_app = typer.Typer(help="Workflow specs (flows/workflows/*.yml).", no_args_is_help=True)
app.add_typer(workflows_app, name="workflows")


@workflows_app.command("validate")
def workflows_validate() -> None:
    """Check every spec: agents, cycles, one writer per table, cron, loops, deadlines against history."""
    from flows.engine import account_time_zones, step_estimates
    from flows.registry import load_plans, validate_all

    settings = get_settings()
    agents = catalog(settings).agents
    durations: dict[str, dict[str, float]] = {}
    zones: list[str] = []
    if settings.warehouse_path.exists():
        from mops.core.warehouse.adapter import open_warehouse

        with open_warehouse(settings, read_only=True) as warehouse:
            names = list(load_plans(settings, agents))
            durations = {name: step_estimates(warehouse, name) for name in names}
            zones = account_time_zones(warehouse)
    plans = validate_all(settings, agents, durations=durations, account_zones=zones)
    for name, plan in plans.items():
        trigger = plan.spec.trigger
        when = (
            f"cron '{trigger.schedule.cron}' {trigger.schedule.timezone}"
            if trigger.schedule
            else f"event {trigger.event}"
            if trigger.event
            else "manual"
        )
        console.print(
            f"[green]ok[/] {escape(name)} ({escape(when)}): {escape(' -> '.join(plan.order))}  "
            f"[dim]spec {plan.spec_hash}[/]"
        )


def show_progress() -> None:
    """Print a line as each workflow step starts and ends."""
    from flows.workflow import PROGRESS_LISTENERS

    if render.step_progress not in PROGRESS_LISTENERS:
        PROGRESS_LISTENERS.append(render.step_progress)


@app.command("run")
def run_command(
    workflow: Annotated[str, typer.Argument(help="Workflow name (flows/workflows/<name>.yml).")],
    run_date: Annotated[str | None, typer.Option("--date", help="Last day of the window (default yesterday).")] = None,
    first: Annotated[str | None, typer.Option("--from", help="Backfill: first day.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Backfill: last day.")] = None,
    approvals: Annotated[str, typer.Option(help="wait (block until decided) or defer (decide later).")] = "wait",
    as_of: Annotated[str | None, typer.Option(help="Judge deadlines as if the run started at this UTC time.")] = None,
) -> None:
    """Run a workflow locally with progress and a summary; --from/--to backfills one run per day."""
    from datetime import date, timedelta

    from flows.local import backfill, run_with_events

    settings = get_settings()
    if (first is None) != (last is None):
        raise fail("a backfill needs both --from and --to")
    try:
        show_progress()
        common.say_which_prefect_server()
        waited = {"caller_started_at": common.CALLER_STARTED_AT} if common.CALLER_STARTED_AT else {}
        if first and last:
            summaries = backfill(
                settings, workflow, date.fromisoformat(first), date.fromisoformat(last), render.run_summary, **waited
            )
        else:
            day = date.fromisoformat(run_date) if run_date else date.today() - timedelta(days=1)
            summaries = run_with_events(
                settings,
                workflow,
                day,
                render.run_summary,
                approvals=approvals,
                **waited,
                **({"as_of": as_of} if as_of else {}),
            )
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(1)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port of the local Prefect server and UI.")] = 4200,
) -> None:
    """Start a local Prefect server (UI) and serve every workflow as a deployment with its schedule/trigger."""
    from flows.serve import serve_all
    from mops.app.deploy import worker_flow

    settings = get_settings()
    serve_all(settings, port, console, worker_flow(settings))
