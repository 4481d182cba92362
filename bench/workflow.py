"""Benchmark of the workflow engine: the `daily` workflow on Prefect vs the same steps as plain calls.

For each scale: demo exports -> ingest, then
- engine: `daily` through the Prefect flow (each step a task; overhead = wall - critical path),
- plain: the same dbt build and agents called one after another in dependency order, no Prefect.
- monitoring: the pass the engine runs after each run (anomalies, conflicts, alerts, dashboard), timed
  over a 90-day ops history (the run's own records repeated for each earlier day) against the run's wall.
Writes bench/results/workflow.json; `make bench` runs it at 1x and 10x. `--only-monitoring` measures
just the daily run and its monitoring pass (bench/results/monitoring_overhead.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

RUN_DATE = date(2026, 6, 30)


def prepare(scale: float, root: Path):
    from demo import generate
    from demo.world import DemoConfig
    from mops.core.ingest import ingest
    from mops.core.landing import load_registry
    from mops.core.settings import get_settings
    from mops.core.warehouse.connections import connect_duckdb

    os.environ.update(
        MOPS_WAREHOUSE=str(root / "w.duckdb"), MOPS_LANDING_DIR=str(root / "landing"), MOPS_VAR_DIR=str(root / "var")
    )
    settings = get_settings()
    generate(
        DemoConfig(end_date=RUN_DATE.isoformat(), scale=scale),
        settings.landing_path,
        settings.dbt_project_dir / "seeds" / "fx_rates.csv",
    )
    with connect_duckdb(settings.warehouse_path) as con:
        ingest(con, load_registry(settings.contracts_dir / "landing"), settings.landing_path)
    return settings


def plain(settings) -> dict:
    """The daily steps as plain calls, in the plan's order: what the engine adds is the difference."""
    from flows.engine import RunSettings, WarehouseSession, execute_step
    from flows.registry import load_plan
    from mops.core.runtime.context import RunContext

    plan, catalog = load_plan(settings, "daily")
    spec = plan.spec.context
    context = RunContext.for_day(RUN_DATE, spec.window_days, attribution_model=spec.attribution_model)
    session = WarehouseSession(settings)
    run = RunSettings(settings, session, catalog, context.run_id, "daily", mode="backfill")
    started = time.perf_counter()
    steps = {}
    for step_id in plan.order:
        outcome = execute_step(plan.steps[step_id], context, run)
        steps[step_id] = round(outcome.duration_s, 3)
        if outcome.status != "succeeded":
            raise SystemExit(f"plain run: {step_id} {outcome.status}: {outcome.message}")
    session.release()
    return {"wall_s": round(time.perf_counter() - started, 3), "steps": steps}


def engine(settings) -> dict:
    from flows.local import run_once

    summary = run_once(settings, "daily", RUN_DATE, mode="backfill")
    if summary.status != "succeeded":
        raise SystemExit(f"daily failed: {[s for s in summary.steps if s.status != 'succeeded']}")
    return {
        "wall_s": round(summary.wall_s, 3),
        "critical_path_s": round(summary.critical_path_s, 3),
        "overhead_s": round(summary.overhead_s, 3),
        "overhead_share": round(summary.overhead_share, 4),
        "steps": {s.step: s.duration_s for s in summary.steps},
    }


# ops tables copied back in time for the history a monitoring pass reads, with their time columns
HISTORY_TABLES = {
    "agent_runs": ("started_at", "finished_at"),
    "agent_reads": ("read_at",),
    "workflow_runs": ("started_at", "finished_at", "run_date"),
    "workflow_steps": ("finished_at",),
    "decisions": ("decided_at",),
}


def seed_history(settings, days: int) -> int:
    """Repeat the latest run's ops rows for each of the `days - 1` earlier days; rows added."""
    from mops.core.ops.tables import TABLES
    from mops.core.warehouse.connections import connect_duckdb

    added = 0
    with connect_duckdb(settings.warehouse_path) as con:
        latest = con.execute("select run_id from ops.workflow_runs order by started_at desc limit 1").fetchone()[0]
        for table, times in HISTORY_TABLES.items():
            columns = []
            for column in TABLES[table]:
                if column in times:
                    columns.append(f"{column} - to_days(k::integer)")
                elif column == "run_id":
                    columns.append("run_id || '-h' || k")
                else:
                    columns.append(column)
            before = con.execute(f"select count(*) from ops.{table}").fetchone()[0]
            con.execute(
                f"insert into ops.{table} ({', '.join(TABLES[table])}) select {', '.join(columns)} "
                f"from ops.{table} cross join range(1, {days}) as r(k) where run_id = ?",
                [latest],
            )
            added += con.execute(f"select count(*) from ops.{table}").fetchone()[0] - before
    return added


def monitoring(settings, wall_s: float, days: int = 90, repeats: int = 3) -> dict:
    """The monitoring pass after a run over `days` of history, against the run's own wall time."""
    import statistics

    from mops.core.monitoring.hook import after_run
    from mops.core.warehouse.adapter import open_warehouse

    rows = seed_history(settings, days)
    seconds, phases = [], []
    for _ in range(repeats):
        with open_warehouse(settings) as warehouse:
            run_id = warehouse.query("select run_id from ops.workflow_runs order by started_at desc limit 1").run_id[0]
            started = time.perf_counter()
            result = after_run(warehouse, settings, run_id)
            seconds.append(time.perf_counter() - started)
            phases.append(result.phases)
        if result.error:
            raise SystemExit(f"monitoring pass failed: {result.error}")
    hook_s = statistics.median(seconds)
    return {
        "history_days": days,
        "history_rows_added": rows,
        "pass_s": [round(s, 3) for s in seconds],
        "hook_s": round(hook_s, 3),
        "phases_s": phases[seconds.index(hook_s)] if hook_s in seconds else phases[-1],
        "run_wall_s": round(wall_s, 3),
        "share_of_run": round(hook_s / (wall_s + hook_s), 4),
        "anomalies": len(result.state.anomalies),
        "conflicts": len(result.state.conflicts),
    }


def caller(settings, server_up: bool) -> dict:
    """`mops run daily` as a user runs it: a new process, timed from outside, against what it recorded."""
    import socket
    import subprocess
    import sys

    from mops.app import server
    from mops.core.warehouse.adapter import open_warehouse

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["MOPS_PREFECT_PORT"] = str(port)
    settings = settings.model_copy(update={"prefect_port": port})
    if server_up:
        server.start(settings)
    try:
        mops = [str(Path(sys.executable).parent / "mops"), "run", "daily", "--date", RUN_DATE.isoformat()]
        started = time.perf_counter()
        done = subprocess.run([*mops, "--approvals", "defer"], env=env, capture_output=True, text=True)
        seen = time.perf_counter() - started
        ended = datetime.now(UTC).replace(tzinfo=None)
    finally:
        if server_up:
            server.stop(settings)
    if done.returncode != 0:
        raise SystemExit(f"mops run daily failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    with open_warehouse(settings, read_only=True) as warehouse:
        row = warehouse.query(
            "select wall_s, critical_path_s, overhead_s, finished_at from ops.workflow_runs "
            "order by started_at desc limit 1"
        ).iloc[0]
    return {
        "caller_wall_s": round(seen, 3),
        "recorded_wall_s": round(float(row.wall_s), 3),
        "critical_path_s": round(float(row.critical_path_s), 3),
        "recorded_overhead_s": round(float(row.overhead_s), 3),
        # after the run was recorded: artifacts, events, the summary, Prefect's log/event flush, exit
        "after_record_s": round((ended - row.finished_at.to_pydatetime().replace(tzinfo=None)).total_seconds(), 3),
    }


def main() -> None:
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")  # run logs go to the API only
    from mops.app.catalog import compose

    compose()  # the application wires the agent catalog into the engine
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--only-monitoring", action="store_true", help="the daily run and its monitoring pass")
    args = parser.parse_args()
    results = Path(__file__).parent / "results"
    args.out = args.out or results / ("monitoring_overhead.json" if args.only_monitoring else "workflow.json")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    runs = []
    with prefect_test_harness(server_startup_timeout=120):  # one local server, not one per flow run
        for scale in args.scales:
            with tempfile.TemporaryDirectory() as tmp:
                settings = prepare(scale, Path(tmp))
                plain_run = None if args.only_monitoring else plain(settings)
                engine(settings)  # warm-up: the first flow run registers the flow and its tasks
                engine_run = engine(settings)
                watch = monitoring(settings, engine_run["wall_s"])
                print(
                    f"scale {scale:>5}: monitoring pass {watch['hook_s']:.2f}s over {watch['history_days']} days of "
                    f"history = {watch['share_of_run']:.1%} of the daily run ({engine_run['wall_s']:.1f}s)"
                )
                if args.only_monitoring:
                    runs.append({"scale": scale, "engine": engine_run, "monitoring": watch})
                    continue
                with_server = caller(settings, server_up=True)
                without_server = caller(settings, server_up=False)
            runs.append(
                {
                    "scale": scale,
                    "engine": engine_run,
                    "plain": plain_run,
                    "mops_run_with_server": with_server,
                    "mops_run_without_server": without_server,
                    "monitoring": watch,
                }
            )
            print(
                f"scale {scale:>5}: `mops run daily` as the caller sees it: {with_server['caller_wall_s']:.1f}s with "
                f"`mops server start` (recorded wall {with_server['recorded_wall_s']:.1f}s), "
                f"{without_server['caller_wall_s']:.1f}s without (recorded {without_server['recorded_wall_s']:.1f}s)"
            )
            print(
                f"scale {scale:>5}: daily on Prefect {engine_run['wall_s']:6.1f}s (critical path "
                f"{engine_run['critical_path_s']:.1f}s, overhead {engine_run['overhead_s']:.2f}s = "
                f"{engine_run['overhead_share']:.1%})  plain calls {plain_run['wall_s']:6.1f}s"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count()},
                "note": "engine: daily via the Prefect flow (steps as tasks, parallel where independent); plain: "
                "the same steps called sequentially. overhead = wall - step time on the critical path. "
                "mops_run_*: `mops run daily` in a new process timed from outside (caller_wall_s) against the "
                "wall time it recorded (counted from the CLI's start), with the persistent server up and without.",
                "monitoring_note": "monitoring: the after-run pass (writer conflicts, detectors, conflict rules, "
                "alerts, dashboard) timed directly (median of 3) over 90 days of history made by repeating the run's "
                "ops rows for each earlier day; share_of_run = pass / (run wall + pass); target <= 2%.",
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
