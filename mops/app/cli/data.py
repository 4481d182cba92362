"""Data commands: ingest, build, files, generate, docs and the demo."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mops.app.cli import render
from mops.app.cli.common import catalog, console, fail, progress, registry
from mops.core.errors import MopsError
from mops.core.settings import Settings, get_settings

app = typer.Typer()


def run_ingest(settings: Settings, landing: Path) -> int:
    """Ingest a landing folder with progress; returns the number of refused files."""
    from mops.core.ingest import ingest, landing_files
    from mops.core.warehouse.connections import connect_duckdb

    files = landing_files(landing) if landing.is_dir() else []
    results = []
    with progress() as bar:
        task = bar.add_task("ingest", total=len(files), detail="")

        def on_file(result):
            results.append(result)
            bar.update(task, advance=1, detail=escape(result.path))

        if settings.warehouse_url:
            from mops.core.ingest_postgres import ingest_postgres

            ingest_postgres(settings.warehouse_url, registry(settings), landing, on_file=on_file)
        else:
            with connect_duckdb(settings.warehouse_path) as con:
                ingest(con, registry(settings), landing, on_file=on_file)
    render.ingest_results(landing, results)
    record_ingest(settings, results)
    return sum(r.status == "refused" for r in results)


def record_ingest(settings: Settings, results: list) -> None:
    """What ingest did with each path, in ops.ingests (per-source telemetry `mops monitor` reads)."""
    import json

    from mops.core.base import utcnow
    from mops.core.ops import OpsLog
    from mops.core.warehouse.adapter import open_warehouse

    now = utcnow()
    rows = [
        {
            "path": r.path,
            "source": r.path.split("/")[0],
            "table_name": (r.table or "").split(".")[-1] or None,
            "status": r.status,
            "rows": r.rows,
            "new_fields": json.dumps(list(r.new_fields)),
            "message": r.message[:2000],
            "ingested_at": now,
        }
        for r in results
    ]
    try:
        with open_warehouse(settings) as warehouse:
            OpsLog(warehouse).append("ingests", rows)
    except MopsError as exc:  # the files are loaded; only their telemetry is missing
        console.print(f"[yellow]ingest telemetry not recorded: {escape(str(exc))}[/]")


def forget_ledger_head(settings: Settings) -> None:
    """The demo's warehouse was deleted: its ledger starts again, so the head recorded for it goes too."""
    from mops.core.governance.guard import spool_only

    spool_only(settings).forget_head()


def run_build(
    settings: Settings, select: str | None = None, full_refresh: bool = False, changed_only: bool = True
) -> bool:
    """dbt build in its own process; by default only what new data and changed code reach (mops.core.build_plan)."""
    from mops.core.build_plan import build as planned_build

    with progress() as bar:
        task = bar.add_task("dbt build", total=None, detail="")

        def on_progress(done, total, status, detail):
            bar.update(task, completed=done, total=total, detail=escape(f"{status} {detail[:60]}"))

        outcome = planned_build(
            settings, "build", select, changed_only=changed_only, full_refresh=full_refresh, on_progress=on_progress
        )
    result = outcome.result
    render.build_report(outcome.report(settings))
    if result is None:
        console.print(f"[green]{escape(outcome.message)}[/]")
    elif result.ok:
        console.print(f"[green]dbt build passed[/]: {escape(outcome.message)} (log: {escape(str(result.log_path))})")
    else:
        console.print(
            "[bold red]dbt build failed[/]; models downstream of a failed test keep their last good build. "
            f"Log: {escape(str(result.log_path))}"
        )
        for line in result.failures[:20]:
            console.print(f"  {escape(line)}")
    return outcome.ok


@app.command()
def ingest(
    directory: Annotated[Path | None, typer.Argument(help="Landing folder (default: settings landing_dir).")] = None,
) -> None:
    """Load platform export files into the raw schema (idempotent; bad files are refused whole)."""
    from mops.core.governance.guard import Guard

    settings = get_settings()
    landing = directory or settings.landing_path
    if not landing.is_dir():
        raise fail(f"landing folder {landing} does not exist")
    guard = Guard(settings)
    guard.check("ingest", ["*"])
    try:
        refused = run_ingest(settings, landing)
    except MopsError as exc:
        raise fail(str(exc)) from exc
    guard.record("ingest", str(landing), {"refused_files": refused})
    if refused:
        raise typer.Exit(2)


@app.command()
def build(
    select: Annotated[str | None, typer.Option(help="dbt selector")] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models from every raw row.")] = False,
    changed_only: Annotated[
        bool,
        typer.Option(
            "--changed-only/--all",
            help="Only models downstream of sources with new data or of changed code (default), or every model.",
        ),
    ] = True,
) -> None:
    """Build and test the dbt project (in its own process) on the configured warehouse.

    By default only what changed since the last successful build is rebuilt; an unchanged day rebuilds nothing.
    """
    if not run_build(get_settings(), select, full_refresh, changed_only):
        raise typer.Exit(1)


@app.command()
def generate(check: Annotated[bool, typer.Option(help="Only report files that are out of date.")] = False) -> None:
    """Regenerate dbt sources, macros, exposures, JSON Schemas and docs from contracts/ and the agents."""
    from mops.app.generate import stale_files, write_generated

    settings = get_settings()
    if check:
        stale = stale_files(settings.project_dir, registry(settings), catalog(settings))
        if stale:
            raise fail("out of date (run `mops generate`): " + ", ".join(map(str, stale)))
        console.print("generated files are current")
        return
    written = write_generated(settings.project_dir, registry(settings), catalog(settings))
    console.print("\n".join(f"wrote {p}" for p in written) or "generated files are current")


@app.command()
def docs(
    port: Annotated[int, typer.Option(help="Port for the docs site.")] = 8080,
    serve: Annotated[bool, typer.Option(help="Serve after generating.")] = True,
) -> None:
    """Generate the dbt docs site and serve it."""
    from mops.core.transform import dbt_env, dbt_executable, run_dbt

    settings = get_settings()
    result = run_dbt(settings, ["docs", "generate"])
    if not result.ok:
        raise fail(f"dbt docs generate failed; log: {result.log_path}")
    console.print(f"docs generated in {settings.dbt_target_path}")
    if serve:
        console.print(f"serving on http://localhost:{port} (Ctrl+C to stop)")
        subprocess.run(
            [dbt_executable(), "docs", "serve", "--port", str(port), "--no-browser"],
            cwd=settings.dbt_project_dir,
            env=dbt_env(settings),
            check=False,
        )


@app.command()
def files() -> None:
    """Show the ingest log: every loaded file with its version, rows, load time and schema fingerprint."""
    from mops.core.ingest import FILES_TABLE
    from mops.core.warehouse.adapter import open_warehouse

    settings = get_settings()
    with open_warehouse(settings, read_only=True) as warehouse:
        rows = warehouse.query(
            f"select file_path, format_version, row_count, loaded_at, schema_fingerprint from {FILES_TABLE} "
            "order by file_path"
        ).itertuples(index=False)
    table = Table(title="loaded files")
    for col in ("file", "version", "rows", "loaded at (UTC)", "schema fingerprint"):
        table.add_column(col)
    for path, version, n, loaded_at, fingerprint in rows:
        table.add_row(escape(path), version, f"{n:,}", f"{loaded_at:%Y-%m-%d %H:%M:%S}", fingerprint)
    console.print(table)


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=180, help="Days of history (at least 180).")] = 180,
    scale: Annotated[float, typer.Option(min=0.05, help="Volume multiplier (spend, clicks, users).")] = 1.0,
    users: Annotated[int, typer.Option(min=100, help="Users at scale 1.")] = 20_000,
    campaigns: Annotated[int, typer.Option(min=1, max=7, help="Campaigns per ad account.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed (same seed + end date = same data).")] = 42,
    end_date: Annotated[str | None, typer.Option(help="Last day (ISO); default yesterday.")] = None,
    skip_build: Annotated[bool, typer.Option(help="Generate and ingest only.")] = False,
    workflow: Annotated[str, typer.Option(help="Workflow to run on the demo (it builds the marts first).")] = "daily",
    world: Annotated[
        str, typer.Option(help="Causal world: lagged_purchase (independent causes) or funnel (staged, interacting).")
    ] = "lagged_purchase",
) -> None:
    """Generate demo exports with known truth, ingest them, and run the daily workflow (dbt build + agents)."""
    import json
    from datetime import date

    from demo import generate as generate_demo
    from demo.world import DemoConfig
    from mops.app.cli.demo_summary import where_to_look
    from mops.core.governance.guard import Guard

    settings = get_settings()
    guard = Guard(settings)  # make demo runs as MOPS_ACTOR=demo-operator (governance/policy.yml)
    guard.check("ingest", ["*"])
    if not skip_build:
        guard.check("run_workflow", [f"workflow:{workflow}"])
    config = DemoConfig(
        seed=seed,
        days=days,
        end_date=end_date,
        scale=scale,
        users=users,
        campaigns_per_account=campaigns,
        property_time_zone=settings.ga4_property_timezone,
        world=world,
    )
    if world not in ("lagged_purchase", "funnel"):
        raise fail(f"--world {world!r}: expected lagged_purchase or funnel")
    started = time.perf_counter()
    with console.status("simulating the demo world and writing platform exports"):
        truth = generate_demo(config, settings.landing_path, settings.dbt_project_dir / "seeds" / "fx_rates.csv")
    console.print(f"demo exports written to {settings.landing_path} (truth: {truth})")
    if settings.warehouse_path.exists():
        settings.warehouse_path.unlink()  # a demo starts from an empty warehouse (and a new audit ledger)
    forget_ledger_head(settings)
    refused = run_ingest(settings, settings.landing_path)
    guard.record("ingest", str(settings.landing_path), {"refused_files": refused, "demo": True})
    if refused:
        raise fail(f"{refused} demo files were refused")
    summaries = []
    if not skip_build:
        from flows.local import run_with_events
        from mops.app.cli.workflows import show_progress

        run_date = date.fromisoformat(json.loads(truth.read_text())["end_date"])
        console.print(
            f"running workflow {workflow} for {run_date} (Prefect; budget approvals deferred: `mops approvals`)"
        )
        from flows.local_server import temporary_server

        show_progress()
        with temporary_server():  # dies with this process, even on kill -9
            summaries = run_with_events(settings, workflow, run_date, render.run_summary, approvals="defer")
            from mops.core import interrupts

        if interrupts.stop_requested():
            raise typer.Exit(interrupts.exit_code())
        if any(s.status == "failed" for s in summaries):
            raise typer.Exit(1)
    where_to_look(settings, truth, time.perf_counter() - started, summaries)
