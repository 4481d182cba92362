"""`mops monitor`: the current state of the system from the ops records; exit 1 when something is red."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mops.app.cli.common import console, fail
from mops.core.settings import get_settings

app = typer.Typer()

COLOURS = {"green": "green", "amber": "yellow", "red": "red"}


@app.command()
def monitor(
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    kpis: Annotated[bool, typer.Option(help="Also check daily spend, clicks, conversions per channel.")] = True,
    as_of: Annotated[str | None, typer.Option(help="Judge as of this UTC time (ISO), e.g. to replay a day.")] = None,
    html: Annotated[Path | None, typer.Option(help="Also write the operations dashboard (one HTML file) here.")] = None,
) -> None:
    """Last runs, failing or slow agents, open anomalies and conflicts, the overhead trend."""
    from mops.core.monitoring.check import assess, config_from
    from mops.core.ops import OpsLog, writers
    from mops.core.warehouse.adapter import open_warehouse

    if output_format not in ("table", "json"):
        raise fail(f"--format must be table or json, got {output_format!r}", code=2)
    try:
        now = datetime.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise fail(f"--as-of must be an ISO date or time like 2026-07-01T09:00, got {as_of!r}", code=2) from None
    settings = get_settings()
    config = config_from(settings).model_copy(update={"kpi_checks": kpis})
    try:
        warehouse = open_warehouse(settings, read_only=True)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    with warehouse:
        log = OpsLog(warehouse, snapshot=True)
        state = assess(log, config, now, pending=writers.pending(settings))
        if html is not None:
            from mops.core.monitoring.dashboard import write

            write(html, log, state)
    if output_format == "json":
        typer.echo(json.dumps(state.model_dump(mode="json"), indent=2, default=str))
    else:
        _print(state)
        if html is not None:
            console.print(f"dashboard: {escape(str(html))}")
    if state.level == "red":
        raise typer.Exit(1)


def _table(title: str, columns: list[str], rows: list[list]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[escape("" if v is None else str(v)) for v in row])
    return table


def _seconds(value) -> str:
    return "" if value is None else f"{float(value):,.1f}s"


def _share(value) -> str:
    return "" if value is None else f"{float(value):.1%}"


def _hours(value) -> str:
    return "" if value is None else f"{float(value):,.0f}h"


def _print(state) -> None:
    colour = COLOURS[state.level]
    console.print(f"[bold {colour}]{state.level.upper()}[/] as of {state.checked_at:%Y-%m-%d %H:%M} UTC")
    for reason in state.reasons:
        console.print(f"  - {escape(reason)}")
    runs = [
        [
            r["workflow"],
            r["run_id"],
            str(r["run_date"] or "")[:10],
            r["status"],
            _seconds(r["wall_s"]),
            _share(r["overhead_share"]),
        ]
        for r in state.last_runs
    ]
    console.print(_table("last runs", ["workflow", "run", "day", "status", "wall", "overhead"], runs))
    agents = [
        [
            a["agent"],
            a["runs"],
            _share(a["success_rate"]),
            _seconds(a["median_s"]),
            _seconds(a["latest_s"]),
            a["latest_status"],
        ]
        for a in state.agents
    ]
    console.print(_table("agents", ["agent", "runs", "success", "median", "latest", "latest status"], agents))
    anomalies = [[a.family, a.subject, a.direction, a.message] for a in state.anomalies]
    console.print(_table(f"open anomalies ({len(anomalies)})", ["family", "subject", "direction", "what"], anomalies))
    conflicts = [[c.rule, c.subject, c.outcome, f"{c.a_run_id} / {c.b_run_id}", c.message] for c in state.conflicts]
    console.print(
        _table(f"open conflicts ({len(conflicts)})", ["rule", "subject", "outcome", "runs", "what"], conflicts)
    )
    sources = [
        [
            f"{f.source}.{f.table}",
            f.status,
            f.newest_day,
            _hours(f.data_lag_hours),
            _hours(f.load_lag_hours),
            f.rows_ingested,
            f.files_refused,
            ", ".join(f.new_fields),
        ]
        for f in state.sources
        if f.status != "no_data"
    ]
    columns = ["source table", "status", "newest day", "data lag", "load lag", "rows", "refused", "new fields"]
    console.print(_table("freshness per source", columns, sources))
    held = [[h["run_id"], h["step"], h["subject"], h["reason"]] for h in state.held]
    console.print(_table(f"decisions held by an anomaly ({len(held)})", ["run", "step", "subject", "why"], held))
    trend = " ".join(_share(r["overhead_share"]) for r in state.overhead[-10:]) or "no runs yet"
    console.print(f"overhead trend (oldest to newest): {escape(trend)}")
    if state.alerts:
        delivered = sum(a["status"] == "delivered" for a in state.alerts)
        suppressed = state.impact.get("alerts_suppressed", 0)
        console.print(
            f"alerts in the last 7 days: {delivered} delivered, {len(state.alerts) - delivered} failed or without "
            f"a destination, {suppressed:.0f} repeats suppressed"
        )
    figures = state.impact
    console.print(
        f"impact over the history window: {figures['decisions_made']:.0f} decisions made, "
        f"{figures['decisions_applied']:.0f} applied, {figures['gates_stopped_agent']:.0f} agent runs stopped by a "
        f"gate, {figures['conflicts_caught']:.0f} conflicts caught before applying, "
        f"{figures['conflicts_per_run']:.2f} conflicts per run, {figures['decisions_held']:.0f} decisions held by an "
        f"anomaly, {figures['errors_prevented']:.0f} errors prevented, "
        f"~{figures['analyst_hours_saved']:.1f} analyst hours saved "
        f"({figures['handoffs_automated']:.0f} automated handoffs)"
    )
    for note in state.notes:
        console.print(f"[dim]note: {escape(note)}[/]")
