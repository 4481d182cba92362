"""Ingest benchmark: raw rows per second of `mops.core.ingest.ingest` on the demo exports, and where the time goes.

Per scale, over the cached demo exports of bench/history.py (var/bench/history/, generated once), into a
fresh DuckDB file: the whole ingest (format match, casts, value checks, the transaction per file, the close
of the warehouse) timed as wall and as process CPU time (DuckDB's threads included: the steadier measure
on a shared machine), best of `--repeat` runs, with the load average beside it. The timed runs use ingest's
default of two files in flight (`--workers`). One more run, with one file at a time so that every statement
has its own CPU time, goes through a timing wrapper around the connection that sorts every statement into
a phase, so the note can say where the time goes (the wrapper adds a little Python per statement). Writes
bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from history import cached_exports  # noqa: E402

import mops  # noqa: E402
from mops.core.ingest import ingest  # noqa: E402
from mops.core.ingest_pool import WORKERS  # noqa: E402
from mops.core.landing import load_registry  # noqa: E402
from mops.core.warehouse.connections import connect_duckdb  # noqa: E402

REGISTRY = load_registry(ROOT / "contracts" / "landing")
PHASES = (  # first match wins, on the statement's text
    ("read (parse CSV/JSON, describe)", r"^(create or replace temp table _mops_raw|describe )"),
    ("checks (one aggregate: row count, types, value rules, key hashes)", r"^select count\(\*\)|_mops_units"),
    ("key check (exact, on a repeated key hash)", r"group by all having count|order by 1 limit 2$"),
    ("offending-row lookups", r"where _mops_row = \?|limit 1$"),
    ("write (insert, replace, commit)", r"^(insert into raw\.|delete from raw\.|commit|begin|rollback)"),
    ("ingest log lookups", r"raw\._mops_files"),
)  # fmt: skip


class Timed:
    """A DuckDB connection whose execute() adds its CPU and wall time to a phase."""

    def __init__(self, con, totals: dict):
        self._con, self._totals = con, totals

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, sql, *args, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            text = " ".join(str(sql).split()).lower()
            phase = next((name for name, pattern in PHASES if re.search(pattern, text)), "other SQL (DDL, settings)")
            wall_cpu = self._totals.setdefault(phase, [0.0, 0.0])
            wall_cpu[0] += time.perf_counter() - started
            wall_cpu[1] += time.process_time() - cpu


def landed(scale: float, root: Path) -> Path:
    """The cached exports of this scale hard-linked into a fresh landing folder."""
    exports = cached_exports(scale) / "landing"
    landing = root / "landing"
    for path in exports.rglob("*"):
        if path.is_file():
            target = landing / path.relative_to(exports)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    return landing


def run_once(landing: Path, warehouse: Path, workers: int, phases: dict | None = None) -> dict:
    for stale in (warehouse, Path(f"{warehouse}.wal")):
        stale.unlink(missing_ok=True)
    started, cpu = time.perf_counter(), time.process_time()
    with connect_duckdb(warehouse) as con:
        if phases is not None:  # one file at a time: each statement's CPU time is its own
            results = ingest(Timed(con, phases), REGISTRY, landing, workers=1)
        else:
            results = ingest(con, REGISTRY, landing, workers=workers)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    refused = [r for r in results if r.status == "refused"]
    if refused:
        raise SystemExit(f"refused: {refused[:3]}")
    rows = sum(r.rows for r in results)
    return {"files": len(results), "raw_rows": rows, "wall_s": wall, "cpu_s": cpu}


def measure(scale: float, repeat: int, trace: bool = True, workers: int = WORKERS) -> dict:
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        landing = landed(scale, Path(tmp))
        runs = []
        for _ in range(repeat):
            load = os.getloadavg()[0]
            runs.append(run_once(landing, Path(tmp) / "w.duckdb", workers) | {"load_avg_1m": round(load, 1)})
        phases: dict = {}
        traced = run_once(landing, Path(tmp) / "w.duckdb", 1, phases) if trace else None
    best = min(runs, key=lambda r: r["wall_s"])
    out = {
        "scale": scale,
        "workers": workers,
        "files": best["files"],
        "raw_rows": best["raw_rows"],
        "wall_s": round(best["wall_s"], 2),
        "cpu_s": round(best["cpu_s"], 2),
        "rows_per_s": round(best["raw_rows"] / best["wall_s"]),
        "rows_per_cpu_s": round(best["raw_rows"] / best["cpu_s"]),
        "load_avg_1m": best["load_avg_1m"],
        "runs": [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in runs],
    }
    if traced:
        out["phases_traced_run"] = _phases(traced, phases) | {"workers": 1}
    return out


def _phases(traced: dict, phases: dict) -> dict:
    sql_wall = sum(w for w, _ in phases.values())
    return {
        "wall_s": round(traced["wall_s"], 2),
        "cpu_s": round(traced["cpu_s"], 2),
        **{name: {"wall_s": round(w, 2), "cpu_s": round(c, 2)} for name, (w, c) in sorted(phases.items())},
        "python outside SQL (hashing, UTF-8 check, framing, mapping)": {
            "wall_s": round(traced["wall_s"] - sql_wall, 2),
            "cpu_s": round(traced["cpu_s"] - sum(c for _, c in phases.values()), 2),
        },
    }


def _commit() -> str:
    """The commit the measured code is at (the mops package actually imported)."""
    where = Path(mops.__file__).parent
    try:
        git = {"cwd": where.parent, "capture_output": True, "text": True}
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], **git)
        dirty = subprocess.run(["git", "status", "--porcelain", "mops"], **git)
    except OSError:
        return str(where)
    return head.stdout.strip() + (" (uncommitted changes)" if dirty.stdout.strip() else "") or str(where)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=WORKERS, help="files in flight (ingest's default)")
    parser.add_argument("--no-trace", action="store_true", help="skip the run that sorts statements into phases")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest.json")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    runs = []
    for scale in args.scales:
        runs.append(measure(scale, args.repeat, trace=not args.no_trace, workers=args.workers))
        r = runs[-1]
        print(
            f"scale {scale:>5g}: {r['raw_rows']:,} raw rows in {r['files']} files: {r['wall_s']:.2f} s wall "
            f"({r['rows_per_s']:,} rows/s), {r['cpu_s']:.2f} s CPU ({r['rows_per_cpu_s']:,} rows per CPU s), "
            f"load {r['load_avg_1m']}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    measured = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": _commit(),
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count()},
        "runs": runs,
    }
    args.out.write_text(json.dumps(measured, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
