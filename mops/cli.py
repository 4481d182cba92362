"""The `mops` command line: one entry point, a subcommand per job."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mops.errors import MopsError
from mops.settings import Settings, get_settings

app = typer.Typer(
    help="mops: orchestration for marketing-operations agents.", no_args_is_help=True, pretty_exceptions_enable=False
)
console = Console()

MARTS = (
    "fct_ad_performance_daily_v1",
    "dim_campaigns_v1",
    "dim_channels_v1",
    "fct_touchpoints_v1",
    "fct_conversions_v1",
    "fct_conversion_paths_v1",
    "dim_customers_v1",
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _registry(settings: Settings):
    from mops.landing import load_registry

    return load_registry(settings.contracts_dir / "landing")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[detail]}"),
        console=console,
        transient=True,
    )


def run_ingest(settings: Settings, landing: Path) -> int:
    """Ingest a landing folder with progress; returns the number of refused files."""
    from mops.ingest import ingest, landing_files
    from mops.warehouse import connect_duckdb

    files = landing_files(landing) if landing.is_dir() else []
    status_style = {
        "loaded": "green",
        "replaced": "yellow",
        "unchanged": "dim",
        "duplicate": "dim",
        "refused": "bold red",
    }
    results = []
    with _progress() as progress:
        task = progress.add_task("ingest", total=len(files), detail="")

        def on_file(result):
            results.append(result)
            progress.update(task, advance=1, detail=result.path)

        with connect_duckdb(settings.warehouse_path) as con:
            ingest(con, _registry(settings), landing, on_file=on_file)
    table = Table(title=f"ingest {landing}", show_lines=False)
    for col in ("file", "status", "table", "version", "rows"):
        table.add_column(col)
    shown = [r for r in results if r.status != "unchanged"] or results
    for r in shown[:60]:
        table.add_row(
            r.path,
            f"[{status_style[r.status]}]{r.status}[/]",
            r.table or "",
            r.version or "",
            str(r.rows) if r.rows else "",
        )
    if len(shown) > 60:
        table.caption = f"... and {len(shown) - 60} more"
    console.print(table)
    refused = [r for r in results if r.status == "refused"]
    for r in refused:
        console.print(f"[bold red]refused[/] {r.path}: {r.message}")
    counts = {s: sum(r.status == s for r in results) for s in status_style}
    console.print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no files found")
    return len(refused)


def run_build(settings: Settings, select: str | None = None) -> bool:
    from mops.transform import run_dbt

    args = ["build"] + (["--select", select] if select else [])
    with _progress() as progress:
        task = progress.add_task("dbt build", total=None, detail="")

        def on_progress(done, total, status, detail):
            progress.update(task, completed=done, total=total, detail=f"{status} {detail[:60]}")

        result = run_dbt(settings, args, on_progress=on_progress)
    if result.ok:
        console.print(f"[green]dbt build passed[/] (log: {result.log_path})")
    else:
        console.print(f"[bold red]dbt build failed[/]; marts keep their last good build. Log: {result.log_path}")
        for line in result.failures[:20]:
            console.print(f"  {line}")
    return result.ok


@app.command()
def ingest(
    directory: Annotated[Path | None, typer.Argument(help="Landing folder (default: settings landing_dir).")] = None,
) -> None:
    """Load platform export files into the raw schema (idempotent; bad files are refused whole)."""
    settings = get_settings()
    landing = directory or settings.landing_path
    if not landing.is_dir():
        raise _fail(f"landing folder {landing} does not exist")
    try:
        refused = run_ingest(settings, landing)
    except MopsError as exc:
        raise _fail(str(exc)) from exc
    if refused:
        raise typer.Exit(2)


@app.command()
def build(select: Annotated[str | None, typer.Option(help="dbt selector")] = None) -> None:
    """Build and test the dbt project (in its own process) on the configured warehouse."""
    if not run_build(get_settings(), select):
        raise typer.Exit(1)


@app.command()
def generate(check: Annotated[bool, typer.Option(help="Only report files that are out of date.")] = False) -> None:
    """Regenerate dbt sources, the field-version macro and docs from contracts/landing."""
    from mops.generate import stale_files, write_generated

    settings = get_settings()
    registry = _registry(settings)
    if check:
        stale = stale_files(settings.project_dir, registry)
        if stale:
            raise _fail("out of date (run `mops generate`): " + ", ".join(map(str, stale)))
        console.print("generated files are current")
        return
    written = write_generated(settings.project_dir, registry)
    console.print("\n".join(f"wrote {p}" for p in written) or "generated files are current")


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=180, help="Days of history (at least 180).")] = 180,
    scale: Annotated[float, typer.Option(min=0.05, help="Volume multiplier (spend, clicks, users).")] = 1.0,
    users: Annotated[int, typer.Option(min=100, help="Users at scale 1.")] = 20_000,
    campaigns: Annotated[int, typer.Option(min=1, max=7, help="Campaigns per ad account.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed (same seed + end date = same data).")] = 42,
    end_date: Annotated[str | None, typer.Option(help="Last day (ISO); default yesterday.")] = None,
    skip_build: Annotated[bool, typer.Option(help="Generate and ingest only.")] = False,
) -> None:
    """Generate demo exports with known truth, ingest them, build the data model."""
    from mops.demo import generate as generate_demo
    from mops.demo.world import DemoConfig

    settings = get_settings()
    config = DemoConfig(
        seed=seed,
        days=days,
        end_date=end_date,
        scale=scale,
        users=users,
        campaigns_per_account=campaigns,
        property_time_zone=settings.ga4_property_timezone,
    )
    started = time.perf_counter()
    with console.status("simulating the demo world and writing platform exports"):
        truth = generate_demo(config, settings.landing_path, settings.dbt_project_dir / "seeds" / "fx_rates.csv")
    console.print(f"demo exports written to {settings.landing_path} (truth: {truth})")
    if settings.warehouse_path.exists():
        settings.warehouse_path.unlink()  # a demo starts from an empty warehouse
    refused = run_ingest(settings, settings.landing_path)
    if refused:
        raise _fail(f"{refused} demo files were refused")
    if not skip_build and not run_build(settings):
        raise typer.Exit(1)
    _where_to_look(settings, truth, time.perf_counter() - started)


def _where_to_look(settings: Settings, truth: Path, seconds: float) -> None:
    from mops.warehouse import connect_duckdb

    table = Table(title="unified marketing data model (schema marts)")
    table.add_column("mart")
    table.add_column("rows", justify="right")
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        for mart in MARTS:
            try:
                rows = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            except Exception:  # not built (e.g. --skip-build)
                rows = "-"
            table.add_row(mart, f"{rows:,}" if isinstance(rows, int) else rows)
    console.print(table)
    console.print(
        f"done in {seconds:.0f}s. Where to look:\n"
        f"  warehouse   {settings.warehouse_path}  (DuckDB; marts in schema marts, e.g. "
        "marts.fct_ad_performance_daily_v1)\n"
        f"  landing     {settings.landing_path}  (platform exports; ingest log in raw._mops_files)\n"
        f"  truth       {truth}\n"
        f"  docs        mops docs  (dbt docs site with lineage, contracts and the landing formats)"
    )


@app.command()
def docs(
    port: Annotated[int, typer.Option(help="Port for the docs site.")] = 8080,
    serve: Annotated[bool, typer.Option(help="Serve after generating.")] = True,
) -> None:
    """Generate the dbt docs site and serve it."""
    from mops.transform import dbt_env, dbt_executable, run_dbt

    settings = get_settings()
    result = run_dbt(settings, ["docs", "generate"])
    if not result.ok:
        raise _fail(f"dbt docs generate failed; log: {result.log_path}")
    console.print(f"docs generated in {settings.dbt_project_dir / 'target'}")
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
    from mops.ingest import FILES_TABLE
    from mops.warehouse import connect_duckdb

    settings = get_settings()
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        rows = con.execute(
            f"select file_path, format_version, row_count, loaded_at, schema_fingerprint from {FILES_TABLE} "
            "order by file_path"
        ).fetchall()
    table = Table(title="loaded files")
    for col in ("file", "version", "rows", "loaded at (UTC)", "schema fingerprint"):
        table.add_column(col)
    for path, version, n, loaded_at, fingerprint in rows:
        table.add_row(path, version, f"{n:,}", f"{loaded_at:%Y-%m-%d %H:%M:%S}", fingerprint)
    console.print(table)


def main() -> None:  # pragma: no cover
    app()
