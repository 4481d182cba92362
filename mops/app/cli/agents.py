"""Agent commands: the inventory and running one agent for a run context."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mops.app.cli import render
from mops.app.cli.common import catalog, console, fail
from mops.core.settings import get_settings

app = typer.Typer()
agent_app = typer.Typer(help="Run and inspect single agents.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")


@app.command()
def inventory(
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Every agent: reads, writes, decisions, PII need, owner, and who depends on it (derived from manifests)."""
    import json

    rows = catalog(get_settings()).inventory()
    if output_format == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    render.inventory(rows)


def _parse_params(agent, values: list[str]):
    from mops.core.runtime.parameters import ParameterError, parse_parameters

    try:
        return parse_parameters(agent.parameters, values, owner=f"agent {agent.name}")
    except ParameterError as exc:
        raise fail(str(exc)) from exc


@agent_app.command("run")
def agent_run(
    name: Annotated[str, typer.Argument(help="Agent name (see `mops inventory`).")],
    run_date: Annotated[str, typer.Option("--date", help="Last day of the run window (YYYY-MM-DD).")],
    window_days: Annotated[int, typer.Option(help="Days in the run window.")] = 28,
    attribution_model: Annotated[str, typer.Option(help="Attribution model of the run context.")] = "counterfactual",
    param: Annotated[list[str] | None, typer.Option(help="Agent parameter KEY=VALUE (repeatable).")] = None,
    allow_pii: Annotated[bool, typer.Option(help="Grant the run permission to read PII columns.")] = False,
) -> None:
    """Run one agent against the warehouse for a run context; its outputs replace the previous ones atomically."""
    from datetime import date

    from mops.core.errors import MopsError
    from mops.core.governance.guard import Guard
    from mops.core.runtime.agent import written_versions
    from mops.core.runtime.context import ATTRIBUTION_OUTPUT, RunContext
    from mops.core.runtime.runner import Runner
    from mops.core.warehouse.adapter import open_warehouse

    settings = get_settings()
    agents = catalog(settings).agents
    if name not in agents:
        raise fail(f"unknown agent {name!r}; known: {', '.join(agents)}")
    agent = agents[name]
    guard = Guard(settings)  # the policy first: running the agent, and granting it PII
    guard.check("run_agent", [f"agent:{name}"])
    if allow_pii:
        guard.check("grant_pii", [f"agent:{name}"])
    parameters = _parse_params(agent, param or [])
    try:
        context = RunContext.for_day(
            date.fromisoformat(run_date),
            window_days,
            attribution_model=attribution_model,
            attribution_version=max(written_versions(agents, ATTRIBUTION_OUTPUT), default=2),
            reporting_currency=settings.reporting_currency,
        )
    except ValueError as exc:
        raise fail(str(exc)) from exc
    with open_warehouse(settings) as warehouse:
        if allow_pii:
            guard.record("grant_pii", f"agent:{name}", {"context": context.describe()}, context.run_id, warehouse)
        try:
            run = Runner(warehouse, allow_pii=allow_pii, catalog=agents).run(agent, context, parameters)
        except MopsError as exc:
            failed = {"status": "failed", "message": str(exc), "allow_pii": allow_pii}
            guard.record("run_agent", f"agent:{name}", failed, context.run_id, warehouse)
            raise
        details = {"status": run.status, "context": context.describe(), "allow_pii": allow_pii}
        details |= {"rows_written": run.rows_written, "decisions": len(run.decisions)}
        guard.record("run_agent", f"agent:{name}", details, context.run_id, warehouse)
    console.print(
        f"[green]{run.agent} {run.status}[/] in {run.duration_s:.2f} s (agent compute {run.compute_s:.2f} s); "
        f"{escape(context.describe())}"
    )
    for relation, rows in run.rows_written.items():
        console.print(f"  wrote {relation}: {rows:,} rows")
    if run.decisions:
        render.decisions(run.decisions)
    for artifact, path in run.artifacts.items():
        console.print(f"  artifact {escape(artifact)}: {escape(str(path))}")
