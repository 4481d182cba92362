"""Benchmark of the monitoring layer's cost: the pass the engine runs after each daily run.

Per scale: the snapshot bench/workflow.py prepares (demo exports, ingest, first build, next day landed),
one warm-up daily run and one measured, then the after-run pass (writer conflicts, detectors, conflict
rules, alerts, dashboard) timed directly, median of 3, over a 90-day ops history made by repeating the
run's own ops rows for each earlier day. share_of_run = pass / (run wall + pass); the target is <= 2%.
Writes bench/results/monitoring_overhead.json; `make bench` runs it at 1x and 10x.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from workflow import engine, ledger_cost, prepare, restore

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


def main() -> None:
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from mops.app.catalog import compose

    compose()
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "monitoring_overhead.json")
    args = parser.parse_args()
    from prefect.testing.utilities import prefect_test_harness

    runs = []
    with prefect_test_harness(server_startup_timeout=180):
        for scale in args.scales:
            with tempfile.TemporaryDirectory() as tmp:
                settings = prepare(scale, Path(tmp))
                restore(settings, Path(tmp))
                engine(settings)  # warm-up: the first flow run registers the flow and its tasks
                restore(settings, Path(tmp))
                engine_run = engine(settings)
                ledger = ledger_cost(settings, engine_run["run_id"], engine_run["wall_s"])
                watch = monitoring(settings, engine_run["wall_s"])
                print(
                    f"scale {scale:>5}: monitoring pass {watch['hook_s']:.2f}s over {watch['history_days']} days of "
                    f"history = {watch['share_of_run']:.1%} of the daily run ({engine_run['wall_s']:.1f}s)"
                )
                print(f"scale {scale:>5}: audit ledger {ledger['entries']} entries, {ledger['cost_s']:.2f}s "
                      f"({ledger['share_of_wall']:.1%} of the daily run)")  # fmt: skip
                runs.append({"scale": scale, "engine": engine_run, "monitoring": watch, "audit_ledger": ledger})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average": [round(x, 1) for x in os.getloadavg()],
        },
        "note": __doc__.split("\n\n", 1)[1].strip(),
        "runs": runs,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
