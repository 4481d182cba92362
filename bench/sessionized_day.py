"""The next GA4 day's build of `int_ga4_events_sessionized` alone: CPU seconds and rows it processes.

One snapshot per scale (the cached exports of bench/history.py ingested and built, then the next day landed,
ingested and `stg_ga4__events` built), copied fresh for each measurement, so every variant of the model does
the same day's work: `--label before` with the model as a table, `--label after` with it incremental (check
out the model's version first). CPU is the dbt process's user + system time (the cores are shared, wall time
is noisy), next to dbt's start-up with no model run; rows are those the model's compiled select returns.
When both labels exist, their tables are compared row for row. Writes bench/results/sessionized_day.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.history import _ingest, _land, cached_exports  # noqa: E402
from mops.core.settings import PROJECT_DIR, Settings  # noqa: E402
from mops.core.transform import run_dbt  # noqa: E402
from mops.core.warehouse.connections import connect_duckdb  # noqa: E402

MODEL = "int_ga4_events_sessionized"
OUT = PROJECT_DIR / "bench" / "results" / "sessionized_day.json"


def _children_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _settings(root: Path, warehouse: str) -> Settings:
    return Settings(
        project_dir=PROJECT_DIR, warehouse=str(root / warehouse), landing_dir=root / "landing", var_dir=root / "var"
    )


def _dbt(settings: Settings, args: list[str]) -> float:
    """dbt's CPU seconds for `args`; stops on failure."""
    cpu = _children_cpu_s()
    result = run_dbt(settings, args)
    if not result.ok:
        raise SystemExit(f"dbt {' '.join(args)} failed: {result.failures[:5]} (log {result.log_path})")
    return _children_cpu_s() - cpu


def snapshot(scale: float) -> Path:
    """History built and the next day's staging built, once per scale."""
    root = PROJECT_DIR / "var" / "bench" / f"sessionized-{scale:g}"
    if (root / "snapshot.duckdb").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    exports, settings = cached_exports(scale), _settings(root, "w.duckdb")
    land_history_and_next_day(exports, settings, _ingest)
    shutil.copy(settings.warehouse_path, root / "snapshot.duckdb")
    return root


def land_history_and_next_day(exports: Path, settings, ingest) -> None:
    """The history ingested and built, then the next day's files ingested and only GA4 staging built."""
    _land(exports / "landing", settings)
    ingest(settings)
    _dbt(settings, ["seed"])
    _dbt(settings, ["run"])
    _land(exports / "days" / "1", settings)
    ingest(settings)
    _dbt(settings, ["run", "--select", "stg_ga4__events"])


def _rows_selected(settings: Settings) -> int:
    """Rows the model's select returns on this warehouse now (what its next build processes)."""
    _dbt(settings, ["compile", "--select", MODEL])
    files = (settings.dbt_target_path / "compiled").rglob(f"{MODEL}.sql")
    compiled = next(f for f in files if f.parent.suffix != ".yml").read_text()  # not a unit test's fixture
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        return con.execute(f"select count(*) from ({compiled}) as selected").fetchone()[0]


def measure(scale: float, label: str) -> dict:
    root = snapshot(scale)
    settings = _settings(root, f"run-{label}.duckdb")
    shutil.copy(root / "snapshot.duckdb", settings.warehouse_path)
    out = {"scale": scale, "label": label, "warehouse": "duckdb", "load_average_at_start": round(os.getloadavg()[0], 1)}
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        out["staged_events"] = con.execute("select count(*) from staging.stg_ga4__events").fetchone()[0]
    out["rows_processed"] = _rows_selected(settings)
    out["dbt_start_up_cpu_s"] = round(_dbt(settings, ["run", "--select", MODEL, "--exclude", MODEL]), 2)
    out["dbt_run_cpu_s"] = round(_dbt(settings, ["run", "--select", MODEL]), 2)
    results = json.loads((settings.dbt_target_path / "run_results.json").read_text())["results"]
    out["model_execution_s"] = round(next(r["execution_time"] for r in results if r["unique_id"].endswith(MODEL)), 2)
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        out["model_rows"] = con.execute(f"select count(*) from intermediate.{MODEL}").fetchone()[0]
    out["load_average_at_end"] = round(os.getloadavg()[0], 1)
    return out


def compare(root: Path) -> int | None:
    """Rows in one label's table and not the other's (both ways); None until both were measured."""
    before, after = root / "run-before.duckdb", root / "run-after.duckdb"
    if not (before.is_file() and after.is_file()):
        return None
    with connect_duckdb(after, read_only=True) as con:
        con.execute(f"attach '{before}' as before (read_only)")
        a, b = f"intermediate.{MODEL}", f"before.intermediate.{MODEL}"
        return con.execute(
            f"select (select count(*) from (select * from {a} except all select * from {b})) "
            f"+ (select count(*) from (select * from {b} except all select * from {a}))"
        ).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--label", choices=["before", "after"], required=True)
    args = parser.parse_args()
    run = measure(args.scale, args.label)
    previous = json.loads(OUT.read_text()) if OUT.is_file() else {"runs": [], "rows_differing_before_after": {}}
    key = (args.scale, args.label, "duckdb")
    runs = [r for r in previous["runs"] if (r["scale"], r["label"], r["warehouse"]) != key] + [run]
    differing = {**previous["rows_differing_before_after"], f"{args.scale:g}": compare(snapshot(args.scale))}
    OUT.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "cpu_count": os.cpu_count(),
                "rows_differing_before_after": differing,
                "runs": sorted(runs, key=lambda r: (r["warehouse"], r["scale"], r["label"])),
            },
            indent=2,
        )
        + "\n"
    )
    print(json.dumps(run, indent=2), f"\nrows differing before/after: {differing}")


if __name__ == "__main__":
    main()
