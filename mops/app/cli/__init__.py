"""The `mops` command line: one entry point, a subcommand per job."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mops.core.errors import MopsError
from mops.core.settings import Settings, get_settings

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
    "fct_budget_plan_daily_v1",
    "fct_ad_creative_daily_v1",
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _registry(settings: Settings):
    from mops.core.landing import load_registry

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
    from mops.core.ingest import ingest, landing_files
    from mops.core.warehouse.duckdb_file import connect_duckdb

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

        if settings.warehouse_url:
            from mops.core.ingest_postgres import ingest_postgres

            ingest_postgres(settings.warehouse_url, _registry(settings), landing, on_file=on_file)
        else:
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
    from mops.core.transform import run_dbt

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
    """Regenerate dbt sources, macros, exposures, JSON Schemas and docs from contracts/ and the agents."""
    from mops.app.generate import stale_files, write_generated

    settings = get_settings()
    registry = _registry(settings)
    catalog = _catalog(settings)
    if check:
        stale = stale_files(settings.project_dir, registry, catalog)
        if stale:
            raise _fail("out of date (run `mops generate`): " + ", ".join(map(str, stale)))
        console.print("generated files are current")
        return
    written = write_generated(settings.project_dir, registry, catalog)
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
    workflow: Annotated[str, typer.Option(help="Workflow to run on the demo (it builds the marts first).")] = "daily",
    world: Annotated[
        str, typer.Option(help="Causal world: lagged_purchase (independent causes) or funnel (staged, interacting).")
    ] = "lagged_purchase",
) -> None:
    """Generate demo exports with known truth, ingest them, and run the daily workflow (dbt build + agents)."""
    from demo import generate as generate_demo
    from demo.world import DemoConfig

    settings = get_settings()
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
        raise _fail(f"--world {escape(world)!r}: expected lagged_purchase or funnel")
    started = time.perf_counter()
    with console.status("simulating the demo world and writing platform exports"):
        truth = generate_demo(config, settings.landing_path, settings.dbt_project_dir / "seeds" / "fx_rates.csv")
    console.print(f"demo exports written to {settings.landing_path} (truth: {truth})")
    if settings.warehouse_path.exists():
        settings.warehouse_path.unlink()  # a demo starts from an empty warehouse
    refused = run_ingest(settings, settings.landing_path)
    if refused:
        raise _fail(f"{refused} demo files were refused")
    summaries: list[dict] = []
    if not skip_build:
        import json
        from datetime import date

        from flows.local import run_with_events

        run_date = date.fromisoformat(json.loads(truth.read_text())["end_date"])
        console.print(
            f"running workflow {workflow} for {run_date} (Prefect; budget approvals deferred: `mops approvals`)"
        )
        _show_progress()
        summaries = run_with_events(settings, workflow, run_date, _print_summary, approvals="defer")
        if any(s["status"] == "failed" for s in summaries):
            raise typer.Exit(1)
    _where_to_look(settings, truth, time.perf_counter() - started, summaries)


def _where_to_look(settings: Settings, truth: Path, seconds: float, summaries: list[dict]) -> None:
    from mops.core.warehouse.adapter import open_warehouse

    table = Table(title="unified marketing data model (schema marts)")
    table.add_column("mart")
    table.add_column("rows", justify="right")
    with open_warehouse(settings, read_only=True) as warehouse:
        for mart in MARTS:
            built = warehouse.exists("marts", mart)  # not with --skip-build
            rows = int(warehouse.query(f"select count(*) as n from marts.{mart}").n[0]) if built else "-"
            table.add_row(mart, f"{rows:,}" if isinstance(rows, int) else rows)
    console.print(table)
    where = (
        f"{settings.warehouse_url.rsplit('@', 1)[-1]}  (PostgreSQL"
        if settings.warehouse_url
        else f"{settings.warehouse_path}  (DuckDB"
    )
    console.print(
        f"done in {seconds:.0f}s. Where to look:\n"
        f"  warehouse   {where}; marts in schema marts, e.g. "
        "marts.fct_ad_performance_daily_v1)\n"
        f"  landing     {settings.landing_path}  (platform exports; ingest log in raw._mops_files)\n"
        f"  truth       {truth}\n"
        f"  docs        mops docs  (dbt docs site with lineage, contracts, agents as exposures)"
    )
    reports = [p for s in summaries for step in s["steps"] for n, p in step["artifacts"].items() if n.endswith(".html")]
    if reports:
        console.print(f"  report      {reports[-1]}")
    if summaries:
        console.print(
            "  agents      mops inventory; outputs in schema agents; runs, decisions, events in schema ops\n"
            "  workflows   mops serve  (Prefect UI with every workflow as a deployment)"
        )


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
        table.add_row(path, version, f"{n:,}", f"{loaded_at:%Y-%m-%d %H:%M:%S}", fingerprint)
    console.print(table)


contracts_app = typer.Typer(help="Agent output contracts: compatibility checks.", no_args_is_help=True)
agent_app = typer.Typer(help="Run and inspect single agents.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
app.add_typer(agent_app, name="agent")


def _catalog(settings: Settings):
    from mops.app.catalog import build_catalog

    return build_catalog(settings)


@app.command()
def inventory(
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Every agent: reads, writes, decisions, PII need, owner, and who depends on it (derived from manifests)."""
    import json

    settings = get_settings()
    rows = _catalog(settings).inventory()
    if output_format == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="agents (in dependency order)", show_lines=True)
    for column in ("agent", "owner", "reads", "writes", "decisions", "PII", "depends on", "used by"):
        table.add_column(column, no_wrap=column in ("agent", "reads", "writes"), overflow="fold")
    for row in rows:
        reads = "\n".join(
            f"{r['name']}"
            + (f" v{r['version']}" if r["version"] else "")
            + (f" <- {r['producer']}" if r["producer"] else "")
            for r in row["reads"]
        )
        writes = "\n".join(w["relation"] for w in row["writes"])
        writes += "".join(f"\n{w['relation']} (shadow)" for w in row["shadow_versions"])
        table.add_row(
            row["name"],
            row["owner"],
            reads,
            writes,
            "\n".join(row["decisions"]),
            "yes" if row["needs_pii"] else "no",
            ", ".join(row["depends_on"]) or "-",
            ", ".join(row["depended_on_by"]) or "-",
        )
    console.print(table)


@contracts_app.command("check")
def contracts_check(
    against: Annotated[str | None, typer.Option(help="Git ref to compare with (default: origin/main or main).")] = None,
    dbt: Annotated[bool, typer.Option(help="Also run dbt's breaking-change detection on contracted models.")] = True,
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Classify every contract change (BACKWARD/FORWARD/FULL/BREAKING); exit 1 on an unshipped breaking change."""
    import json
    from datetime import date

    from mops.core.compat import compare, contracts_at, dbt_state_check, default_ref
    from mops.core.transform import dbt_executable

    settings = get_settings()
    ref = against or default_ref(settings.project_dir)
    catalog = _catalog(settings)
    findings = compare(contracts_at(settings.project_dir, ref), catalog, date.today())
    dbt_result = dbt_state_check(settings.project_dir, ref, dbt_executable()) if dbt else None
    failed = [f for f in findings if not f.ok] or (dbt_result is not None and not dbt_result.ok)
    if output_format == "json":
        payload = {
            "against": ref,
            "ok": not failed,
            "agent_contracts": [f.as_dict() for f in findings],
            "dbt": None if dbt_result is None else {"ok": dbt_result.ok, "output": dbt_result.output},
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        table = Table(title=f"agent contracts vs {ref}", show_lines=True)
        for column in ("table", "version", "change", "mode", "ok", "details", "would break"):
            table.add_column(column)
        for f in findings:
            table.add_row(
                f.table,
                "-" if f.version is None else f"v{f.version}",
                f.change,
                f.mode,
                "[green]yes[/]" if f.ok else "[bold red]NO[/]",
                "\n".join(f.details),
                "\n".join(f.breaks) or "-",
            )
        if findings:
            console.print(table)
        else:
            console.print(f"agent contracts: no changes against {ref}")
        if dbt_result is not None:
            status = "[green]no breaking change[/]" if dbt_result.ok else "[bold red]breaking change[/]"
            console.print(f"dbt contracted models vs {ref}: {status}")
            if not dbt_result.ok:
                console.print(dbt_result.output[-3000:], highlight=False, markup=False)
    if failed:
        raise typer.Exit(1)


def _parse_params(agent, values: list[str]):
    from mops.core.runtime.parameters import ParameterError, parse_parameters

    try:
        return parse_parameters(agent.parameters, values, owner=f"agent {agent.name}")
    except ParameterError as exc:
        raise _fail(escape(str(exc))) from exc


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

    from mops.core.runtime.context import RunContext
    from mops.core.runtime.runner import Runner
    from mops.core.warehouse.adapter import open_warehouse

    settings = get_settings()
    catalog = _catalog(settings)
    if name not in catalog.agents:
        raise _fail(f"unknown agent {name!r}; known: {', '.join(catalog.agents)}")
    agent = catalog.agents[name]
    parameters = _parse_params(agent, param or [])
    try:
        context = RunContext.for_day(
            date.fromisoformat(run_date),
            window_days,
            attribution_model=attribution_model,
            reporting_currency=settings.reporting_currency,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    with open_warehouse(settings) as warehouse:
        run = Runner(warehouse, allow_pii=allow_pii, catalog=catalog.agents).run(agent, context, parameters)
    console.print(
        f"[green]{run.agent} {run.status}[/] in {run.duration_s:.2f} s (agent compute {run.compute_s:.2f} s); "
        f"{context.describe()}"
    )
    for relation, rows in run.rows_written.items():
        console.print(f"  wrote {relation}: {rows:,} rows")
    if run.decisions:
        table = Table(title="decisions")
        for column in ("kind", "subject", "action", "value", "interval", "confidence", "reason"):
            table.add_column(column)
        for d in run.decisions:
            interval = f"[{d.low:.3g}, {d.high:.3g}]" if d.low is not None and d.high is not None else "-"
            value = "-" if d.value is None else f"{d.value:.3g}"
            table.add_row(d.kind, d.subject, d.action, value, interval, f"{d.confidence:.2f}", d.reason)
        console.print(table)
    for name_, path in run.artifacts.items():
        console.print(f"  artifact {name_}: {path}")


from mops.app.cli.gates import gates_app  # noqa: E402 - one module per subject (the split in progress)

app.add_typer(gates_app, name="gates")

workflows_app = typer.Typer(help="Workflow specs (flows/workflows/*.yml).", no_args_is_help=True)
app.add_typer(workflows_app, name="workflows")


@workflows_app.command("validate")
def workflows_validate() -> None:
    """Check every spec: agents, cycles, one writer per table, cron, loops, deadlines against history."""
    from flows.engine import account_time_zones, step_estimates
    from flows.registry import load_plans, validate_all

    settings = get_settings()
    durations: dict[str, dict[str, float]] = {}
    zones: list[str] = []
    if settings.warehouse_path.exists():
        from mops.core.warehouse.adapter import open_warehouse

        with open_warehouse(settings, read_only=True) as warehouse:
            names = list(load_plans(settings))
            durations = {name: step_estimates(warehouse, name) for name in names}
            zones = account_time_zones(warehouse)
    plans = validate_all(settings, durations=durations, account_zones=zones)
    for name, plan in plans.items():
        trigger = plan.spec.trigger
        when = (
            f"cron '{trigger.schedule.cron}' {trigger.schedule.timezone}"
            if trigger.schedule
            else f"event {trigger.event}"
            if trigger.event
            else "manual"
        )
        console.print(f"[green]ok[/] {name} ({when}): {' -> '.join(plan.order)}  [dim]spec {plan.spec_hash}[/]")


def _show_progress() -> None:
    """Print a line as each workflow step starts and ends."""
    from flows.workflow import PROGRESS_LISTENERS

    def show(workflow: str, step: str, outcome) -> None:
        if outcome is None:
            console.print(f"[dim]{workflow}: {step} started[/]")
        else:
            style = {"succeeded": "green", "skipped": "yellow"}.get(outcome.status, "bold red")
            console.print(f"{workflow}: {step} [{style}]{outcome.status}[/] in {outcome.duration_s:.1f} s")

    if not PROGRESS_LISTENERS:
        PROGRESS_LISTENERS.append(show)


def _print_summary(summary: dict) -> None:
    status_style = {"succeeded": "green", "skipped": "yellow", "failed": "bold red", "halted": "red"}
    table = Table(title=f"{summary['workflow']} {summary['run_date']}: {summary['status']}  (run {summary['run_id']})")
    for column in ("step", "status", "duration", "attempts", "stale inputs", "note"):
        table.add_column(column)
    for step in summary["steps"]:
        style = status_style.get(step["status"], "")
        counts: dict[str, int] = {}
        for a in step["approvals"]:
            counts[a["status"]] = counts.get(a["status"], 0) + 1
        approvals = ", ".join(f"{n} {status}" for status, n in counts.items())
        if counts.get("pending"):
            approvals += f" (mops approve {summary['run_id']})"
        note = "; ".join(x for x in (step["message"], "; ".join(step["warnings"]), approvals) if x)
        table.add_row(
            step["step"],
            f"[{style}]{step['status']}[/]",
            f"{step['duration_s']:.2f} s",
            str(step["attempts"]),
            ", ".join(step["stale_inputs"]) or "-",
            note[:200],
        )
    console.print(table)
    console.print(
        f"wall {summary['wall_s']:.1f} s, critical path {summary['critical_path_s']:.1f} s, orchestration overhead "
        f"{summary['overhead_s']:.2f} s ({summary['overhead_share']:.1%}); {summary['context']}"
    )
    for step in summary["steps"]:
        for name, path in step["artifacts"].items():
            console.print(f"  {step['step']}: {name} -> {path}")
    for started in summary.get("started_events", []):
        console.print(f"  [cyan]event[/] {started}")
    for stopped in summary.get("stopped_events", []):
        console.print(f"  [yellow]event stopped[/] {stopped}")


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
        raise _fail("a backfill needs both --from and --to")
    try:
        _show_progress()
        if first and last:
            summaries = backfill(
                settings, workflow, date.fromisoformat(first), date.fromisoformat(last), _print_summary
            )
        else:
            day = date.fromisoformat(run_date) if run_date else date.today() - timedelta(days=1)
            summaries = run_with_events(
                settings, workflow, day, _print_summary, approvals=approvals, **({"as_of": as_of} if as_of else {})
            )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if any(s["status"] == "failed" for s in summaries):
        raise typer.Exit(1)


@app.command()
def approve(
    run_id: Annotated[str, typer.Argument(help="Run id waiting for approval (see `mops approvals`).")],
    reject: Annotated[bool, typer.Option(help="Reject instead of approve.")] = False,
    subject: Annotated[list[str] | None, typer.Option(help="Only these subjects (e.g. a channel); repeatable.")] = None,
    by: Annotated[str, typer.Option(help="Who decides (recorded).")] = "cli",
) -> None:
    """Approve (or reject) a run's pending budget decisions."""
    from flows.approvals import ApprovalStore

    settings = get_settings()
    store = ApprovalStore(settings.var_path / "approvals")
    changed = store.decide(run_id, not reject, subject, by)
    record = store.read(run_id)
    if record.get("mode") == "defer":  # the run is over: record what is applied now
        from flows.approvals import record_deferred

        record_deferred(settings, record, changed)
    for item in changed:
        console.print(f"{item['status']}: {item['subject']} {item['action']} {item['value']:+.1%} ({item['reason']})")


@app.command("approvals")
def approvals_list() -> None:
    """Pending approval requests."""
    from flows.approvals import ApprovalStore

    pending = ApprovalStore(get_settings().var_path / "approvals").pending()
    if not pending:
        console.print("nothing pending")
    for record in pending:
        for item in record["items"]:
            if item["status"] == "pending":
                console.print(
                    f"{record['run_id']} {record['workflow']}/{record['step']}: {item['subject']} {item['action']} "
                    f"{item['value']:+.1%} (expires {record['expires_at']} UTC) - {item['reason']}"
                )


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port of the local Prefect server and UI.")] = 4200,
) -> None:
    """Start a local Prefect server (UI) and serve every workflow as a deployment with its schedule/trigger."""
    from flows.serve import serve_all

    serve_all(get_settings(), port, console)


def main() -> None:  # pragma: no cover
    """Entry point: a MopsError is a message for the user, not a traceback."""
    import os

    # the run summary is the output; Prefect's own chatter (and its usage telemetry) only on request
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from mops.app.catalog import compose

    compose()
    try:
        app()
    except MopsError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise SystemExit(1) from None


if __name__ == "__main__":  # python -m mops.app.cli
    main()
