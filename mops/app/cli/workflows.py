"""Workflow commands: validate the specs, run (or backfill) one, serve them all on Prefect."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mops.app.cli import common, render
from mops.app.cli.common import catalog, console, fail
from mops.core.base import load_yaml
from mops.core.settings import get_settings

app = typer.Typer()
workflows_app = typer.Typer(help="Workflow specs (flows/workflows/*.yml).", no_args_is_help=True)
app.add_typer(workflows_app, name="workflows")


@workflows_app.command("validate")
def workflows_validate() -> None:
    """Check every spec: agents, cycles, one writer per table, cron, loops, deadlines against history."""
    from flows.registry import load_plans, validate_all
    from flows.run_history import account_time_zones, step_estimates

    settings = get_settings()
    agents = catalog(settings).agents
    durations: dict[str, dict[str, float]] = {}
    zones: list[str] = []
    names = list(load_plans(settings, agents))  # the specs first: they validate without any warehouse
    try:  # run history judges deadlines, when it can be read; a busy or missing warehouse is not an error
        from mops.core.warehouse.adapter import open_warehouse

        if settings.warehouse_url or settings.warehouse_path.exists():
            with open_warehouse(settings, read_only=True) as warehouse:
                durations = {name: step_estimates(warehouse, name) for name in names}
                zones = account_time_zones(warehouse)
        else:
            console.print("[dim]no warehouse yet: deadlines are not checked against run history[/]")
    except Exception as exc:  # history is optional here
        console.print(
            f"[yellow]warning:[/] run history unavailable ({escape(type(exc).__name__)}: {escape(str(exc)[:200])}); "
            "deadlines are not checked against it",
            highlight=False,
        )
    plans = validate_all(settings, agents, durations=durations, account_zones=zones)
    _check_approver_roles(settings, plans)
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


def _check_approver_roles(settings, plans) -> None:
    """Every approval rule's approver_role is a role of the governance policy (else nobody could approve)."""
    from mops.core.governance.policy import load_policy

    roles = load_policy(settings.policy_path).roles
    for name, plan in plans.items():
        for step in plan.spec.steps:
            role = step.approval.approver_role if step.approval else None
            if role and role not in roles:
                raise fail(
                    f"workflow {name}, step {step.id}: approval.approver_role {role!r} is not a role of "
                    f"{settings.policy_file}; known: {', '.join(roles)}"
                )


def show_progress() -> None:
    """Print a line as each workflow step starts and ends, and what a waiting run waits for."""
    from flows.waits import NOTICE_LISTENERS
    from flows.workflow import PROGRESS_LISTENERS
    from mops.app.cli.errors import quiet_prefect_tracebacks

    quiet_prefect_tracebacks()  # a failed flow is one line on the console; its traceback goes to var/logs

    if render.step_progress not in PROGRESS_LISTENERS:
        PROGRESS_LISTENERS.append(render.step_progress)
    if render.notice not in NOTICE_LISTENERS:
        NOTICE_LISTENERS.append(render.notice)


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
    from flows.local_server import temporary_server
    from mops.core import interrupts

    settings = get_settings()
    if (first is None) != (last is None):
        raise fail("a backfill needs both --from and --to")
    _prewarm_dbt(settings, workflow)  # first: it only imports dbt and waits (a refused run ends it at exit)
    from mops.core.governance.guard import Guard  # pandas, casbin: after dbt's import has started

    guard = Guard(settings)  # the policy before anything runs; the runs are ledgered with who started them
    guard.check("backfill" if first else "run_workflow", [f"workflow:{workflow}"])
    try:
        show_progress()
        common.say_which_prefect_server()
        waited = {"caller_started_at": common.CALLER_STARTED_AT} if common.CALLER_STARTED_AT else {}
        with temporary_server():  # Prefect's temporary server dies with this process, even on kill -9
            summaries = _run_or_backfill(settings, workflow, run_date, first, last, approvals, as_of, waited)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if interrupts.stop_requested() or any(s.status == "cancelled" for s in summaries):
        console.print(f"[magenta]cancelled[/] by {escape(interrupts.reason() or 'a stop')}; the run is recorded")
        raise typer.Exit(interrupts.exit_code())
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(1)


def _prewarm_dbt(settings, workflow: str) -> None:
    """A workflow with a dbt step: dbt's import starts now, on another core, while Prefect and the catalog load."""
    import yaml

    from mops.core.transform import prewarm

    try:
        steps = load_yaml((settings.workflows_path / f"{workflow}.yml").read_text()).get("steps") or []
    except (OSError, ValueError, AttributeError, yaml.YAMLError):
        return  # the run itself reports a missing or broken spec
    if any(isinstance(step, dict) and "dbt" in step for step in steps):
        prewarm(settings)


def _run_or_backfill(settings, workflow, run_date, first, last, approvals, as_of, waited: dict) -> list:
    from datetime import date, timedelta

    from flows.local import backfill, run_with_events

    if first and last:
        first_day, last_day = date.fromisoformat(first), date.fromisoformat(last)
        return backfill(settings, workflow, first_day, last_day, render.run_summary, **waited)
    day = date.fromisoformat(run_date) if run_date else date.today() - timedelta(days=1)
    options = {"as_of": as_of} if as_of else {}
    return run_with_events(settings, workflow, day, render.run_summary, approvals=approvals, **waited, **options)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port of the local Prefect server and UI.")] = 4200,
) -> None:
    """Start a local Prefect server (UI) and serve every workflow as a deployment with its schedule/trigger."""
    from flows.serve import serve_all
    from mops.app.deploy import worker_flow

    settings = get_settings()
    serve_all(settings, port, console, worker_flow(settings))
