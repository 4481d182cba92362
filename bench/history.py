"""History-scale benchmark: what a daily run costs as history grows (1x, 10x; 100x via `make bench-large`).

Per scale, on a fresh DuckDB warehouse over the same cached demo exports (generated once under
var/bench/history/, the last two GA4 days held back as the next days' files):
1. ingest of the history (raw rows/s), 2. the first (full) build, 3. the next day landed and the
incremental changed-only build (`mops.core.build_plan`), 4. a build with nothing new, 5. the day after
landed and ingested, then `mops run daily` timed as the caller sees it (the whole CLI in a subprocess,
Prefect's temporary server included), with each step's time from ops.workflow_steps, and the peak
resident memory: the largest single process (getrusage of children) and the whole process tree
(sampled from /proc every 0.2 s). Each build also records dbt's time in every model (run_results.json; dbt
runs two models at a time, so a model's time includes waiting for the other's commit). `--no-daily` stops
after the builds. Writes bench/results/history[-large].json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.history_tiles import tile_exports  # noqa: E402
from demo import generate  # noqa: E402
from demo.world import DemoConfig  # noqa: E402
from mops.core.build_plan import build  # noqa: E402
from mops.core.ingest import ingest  # noqa: E402
from mops.core.landing import load_registry  # noqa: E402
from mops.core.settings import PROJECT_DIR, Settings  # noqa: E402
from mops.core.warehouse.connections import connect_duckdb  # noqa: E402

END = date(2026, 6, 30)
CACHE = PROJECT_DIR / "var" / "bench" / "history"
HELD_BACK = (END - timedelta(days=1), END)  # landed as "the next day" and "the day after"


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished children: unlike wall time, not
    stretched by other sessions sharing the cores."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _tree_rss_mb(root_pid: int) -> float:
    """Resident memory of a process and all its descendants (walked through /proc/<pid>/task/*/children), MB."""
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo += [int(c) for c in children.read().split()]
        except (OSError, ValueError):
            continue
    return total / 2**20


class TreePeak:
    """Peak resident memory of a process tree, sampled in a thread while the block runs."""

    def __init__(self, pid: int | None = None):
        self.pid = pid or os.getpid()
        self.peak_mb = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(self.pid))
            self._stop.wait(0.2)

    def __enter__(self) -> TreePeak:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def cached_exports(scale: float) -> Path:
    """The demo's exports at this scale, generated once; the held-back GA4 days in days/1 and days/2."""
    folder = CACHE / f"scale-{scale:g}"
    if (folder / "done.json").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    generate(
        DemoConfig(end_date=END.isoformat(), scale=scale), folder / "landing", ROOT / "dbt_project/seeds/fx_rates.csv"
    )
    events = folder / "landing" / "ga4" / "events"
    con = duckdb.connect()
    con.execute(f"create table ev as select * from read_parquet('{events}/*.parquet', filename = true)")
    for step, day in enumerate(HELD_BACK, start=1):
        target = folder / "days" / str(step) / "ga4" / "events"
        target.mkdir(parents=True)
        stamp = f"{day:%Y%m%d}"
        day_file = target / f"events_{stamp}.parquet"
        con.execute(f"copy (select * exclude (filename) from ev where event_date = '{stamp}') to '{day_file}'")
    for (name,) in con.execute("select distinct filename from ev").fetchall():
        kept = ", ".join(f"'{d:%Y%m%d}'" for d in HELD_BACK)
        con.execute(
            f"copy (select * exclude (filename) from ev where filename = '{name}' and event_date not in ({kept})) "
            f"to '{name}.rest' (format parquet)"
        )
        os.replace(f"{name}.rest", name)
    (folder / "done.json").write_text(json.dumps({"generate_s": round(time.perf_counter() - started, 1)}))
    return folder


def _land(exports: Path, settings: Settings) -> None:
    for path in exports.rglob("*"):
        if path.is_file():
            target = settings.landing_path / path.relative_to(exports)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)  # ingest only reads: no copy of a large export


def _ingest(settings: Settings) -> float:
    started = time.perf_counter()
    with connect_duckdb(settings.warehouse_path) as con:
        results = ingest(con, load_registry(settings.contracts_dir / "landing"), settings.landing_path)
    refused = [r for r in results if r.status == "refused"]
    if refused:
        raise SystemExit(f"refused: {refused[:3]}")
    return time.perf_counter() - started


def _raw_rows(settings: Settings) -> int:
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        return int(con.execute("select sum(row_count) from raw._mops_files").fetchone()[0])


def _build(settings: Settings, label: str, out: dict) -> None:
    started, cpu = time.perf_counter(), cpu_s()
    outcome = build(settings)
    if not outcome.ok:
        raise SystemExit(f"{label} failed: {outcome.result.failures[:5]} (log {outcome.result.log_path})")
    out[f"{label}_s"] = round(time.perf_counter() - started, 2)
    out[f"{label}_cpu_s"] = round(cpu_s() - cpu, 2)
    out[f"{label}_mode"] = outcome.plan.mode
    out[f"{label}_models"] = sum(n.startswith("model.") for n in outcome.nodes)
    out[f"{label}_selector"] = outcome.plan.select
    if outcome.plan.mode != "nothing":  # no dbt process: run_results.json is the previous build's
        out[f"{label}_model_s"] = _model_timings(settings)


def _model_timings(settings: Settings) -> dict[str, float]:
    """dbt's own time in each model of the last build (run_results.json), slowest first."""
    results = json.loads((settings.dbt_target_path / "run_results.json").read_text())["results"]
    models = {
        r["unique_id"].removeprefix("model.mops."): round(r["execution_time"], 2)
        for r in results
        if r["unique_id"].startswith("model.")
    }
    return dict(sorted(models.items(), key=lambda kv: -kv[1]))


def _daily(settings: Settings, root: Path, out: dict) -> None:
    """`mops run daily` in a subprocess, timed from the caller's side, memory sampled over its process tree."""
    env = dict(
        os.environ,
        MOPS_WAREHOUSE=str(settings.warehouse_path),
        MOPS_LANDING_DIR=str(settings.landing_path),
        MOPS_VAR_DIR=str(settings.var_path),
        PREFECT_HOME=str(root / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        # governance: the daily workflow needs an operator (governance/policy.yml); the demo's by default
        MOPS_ACTOR=os.environ.get("MOPS_ACTOR") or "demo-operator",
        # the temporary server may take more than its default 20 s to start on a loaded machine
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
    )
    command = [
        str(Path(sys.executable).parent / "mops"),
        "run",
        "daily",
        "--date",
        END.isoformat(),
        "--approvals",
        "defer",
        "--as-of",
        f"{END + timedelta(days=1)}T10:00:00",
    ]
    started, cpu = time.perf_counter(), cpu_s()
    with (
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as child,
        TreePeak(child.pid) as peak,
    ):
        output, _ = child.communicate()
    out["daily_run_wall_s"] = round(time.perf_counter() - started, 2)
    out["daily_run_cpu_s"] = round(cpu_s() - cpu, 2)
    out["daily_run_exit_code"] = child.returncode
    out["daily_run_peak_tree_rss_mb"] = round(peak.peak_mb)
    (root / "daily.log").write_text(output)
    if child.returncode != 0:
        out["daily_run_output_tail"] = output[-2000:]
        return
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        rows = con.execute(
            "select step, status, duration_s, message from ops.workflow_steps where run_id = "
            "(select run_id from ops.workflow_runs order by started_at desc limit 1) order by step"
        ).fetchall()
    out["daily_steps"] = {s: {"status": st, "s": round(d, 2), "message": (m or "")[:160]} for s, st, d, m in rows}


def measure(scale: float, save, tile_base: float | None = None, daily: bool = True) -> dict:
    """One scale's series; `save(out)` after each phase, so a run stopped early keeps what it measured.

    With `tile_base`, the history is that scale's exports tiled to `scale` (bench/history_tiles.py)."""
    if tile_base:
        tiles = round(scale / tile_base)
        exports = tile_exports(cached_exports(tile_base), CACHE / f"scale-{scale:g}-tiled", tiles)
    else:
        exports = cached_exports(scale)
    root = PROJECT_DIR / "var" / "bench" / f"run-{scale:g}"
    shutil.rmtree(root, ignore_errors=True)
    settings = Settings(
        project_dir=PROJECT_DIR, warehouse=str(root / "w.duckdb"), landing_dir=root / "landing", var_dir=root / "var"
    )
    # other sessions share the cores: the load average says how far the timings are from a quiet machine
    out: dict = {"scale": scale, "complete": False, "load_average_at_start": round(os.getloadavg()[0], 1)}
    if tile_base:
        out["tiled_from_scale"] = tile_base
    with TreePeak() as peak:
        _land(exports / "landing", settings)
        cpu = cpu_s()
        ingest_s = _ingest(settings)
        out["ingest_cpu_s"] = round(cpu_s() - cpu, 2)
        out["raw_rows"] = _raw_rows(settings)
        out["ingest_s"] = round(ingest_s, 2)
        out["ingest_rows_per_s"] = round(out["raw_rows"] / ingest_s)
        save(out)
        _build(settings, "full_build", out)
        save(out)
        _land(exports / "days" / "1", settings)
        out["ingest_day_s"] = round(_ingest(settings), 2)
        _build(settings, "incremental_day_build", out)
        _build(settings, "unchanged_day_build", out)
    out["build_peak_tree_rss_mb"] = round(peak.peak_mb)
    save(out)
    if not daily:  # the builds only (--no-daily): the run stays incomplete
        return out
    _land(exports / "days" / "2", settings)
    out["ingest_day_2_s"] = round(_ingest(settings), 2)
    _daily(settings, root, out)
    out["peak_child_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    out["peak_self_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["load_average_at_end"] = round(os.getloadavg()[0], 1)
    out["complete"] = True
    save(out)
    shutil.rmtree(root / "landing", ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument(
        "--tile-base", type=float, default=None, help="tile this scale's exports up to each scale (memory)"
    )
    parser.add_argument("--no-daily", action="store_true", help="stop after the builds (no `mops run daily`)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "history.json")
    args = parser.parse_args()
    # runs of other scales already in the file are kept: the large scale is measured on its own
    previous = json.loads(args.out.read_text())["runs"] if args.out.is_file() else []
    runs = [r for r in previous if r["scale"] not in args.scales]

    def save(current: dict) -> None:
        chosen = sorted([r for r in runs if r["scale"] != current["scale"]] + [current], key=lambda r: r["scale"])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        measured = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count()},
            "runs": chosen,
        }
        args.out.write_text(json.dumps(measured, indent=2) + "\n")

    for scale in args.scales:
        r = measure(scale, save, args.tile_base, daily=not args.no_daily)
        runs.append(r)
        if not r["complete"]:
            day = r["incremental_day_build_s"]
            print(f"scale {scale:>5g}: incremental day {day:.1f}s: {r['incremental_day_build_model_s']}")
            continue
        print(
            f"scale {scale:>5g}: raw {r['raw_rows']:,} rows, ingest {r['ingest_rows_per_s']:,.0f} rows/s; "
            f"full build {r['full_build_s']:.1f}s; incremental day {r['incremental_day_build_s']:.1f}s "
            f"({r['incremental_day_build_models']} models); unchanged {r['unchanged_day_build_s']:.1f}s; "
            f"mops run daily {r['daily_run_wall_s']:.1f}s (exit {r['daily_run_exit_code']}), "
            f"peak tree RSS {r['daily_run_peak_tree_rss_mb']} MB"
        )


if __name__ == "__main__":
    main()
