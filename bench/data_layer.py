"""Benchmark of the data path: demo generation, ingest and dbt build at several scales.

The last demo day's GA4 events are held back and landed after the first build, as the next day's file:
`dbt_build_s` is the first (full) build of the history, `incremental_day_build_s` the build after that
day lands (incremental models process only it), `full_refresh_build_s` the same data rebuilt whole.
Writes bench/results/data_layer.json and prints a table; `make bench` runs it at 1x and 10x.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from demo import generate
from demo.world import DemoConfig
from mops.core.ingest import ingest
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR, Settings
from mops.core.transform import run_dbt
from mops.core.warehouse.connections import connect_duckdb

MARTS = (
    "fct_ad_performance_daily_v1",
    "fct_touchpoints_v1",
    "fct_conversions_v1",
    "fct_conversion_paths_v1",
    "dim_customers_v1",
)


def hold_back_last_day(landing: Path, holding: Path) -> int:
    """Move the last day's GA4 events out of the landing folder into their own daily file; its rows."""
    month_file = max((landing / "ga4" / "events").glob("*.parquet"))
    con = duckdb.connect()
    con.execute(f"create table ev as select * from read_parquet('{month_file}')")
    last = con.execute("select max(event_date) from ev").fetchone()[0]
    holding.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy (select * from ev where event_date = '{last}') to '{holding / f'events_{last}.parquet'}'")
    con.execute(f"copy (select * from ev where event_date <> '{last}') to '{month_file}'")
    return con.execute(f"select count(*) from ev where event_date = '{last}'").fetchone()[0]


INCREMENTAL_MODELS = (
    "stg_ga4__events",
    "int_ga4_sessions_aggregated",
    "int_sessions_channel_mapped",
    "int_user_identities_stitched",
    "int_purchases_deduplicated",
    "int_conversion_paths_built",
)


def _timed_build(settings: Settings, label: str, timings: dict, full_refresh: bool = False) -> None:
    """Wall time of `dbt build`, and dbt's own time in the incremental models, in all models and in tests."""
    started = time.perf_counter()
    result = run_dbt(settings, ["build"], full_refresh=full_refresh)
    if not result.ok:
        raise SystemExit(f"{label} failed: {result.failures} (log {result.log_path})")
    timings[f"{label}_s"] = time.perf_counter() - started
    nodes = json.loads((settings.dbt_target_path / "run_results.json").read_text())["results"]
    of = {
        "incremental_models": lambda uid: uid.startswith("model.") and uid.split(".")[-1] in INCREMENTAL_MODELS,
        "models": lambda uid: uid.startswith("model."),
        "tests": lambda uid: uid.startswith(("test.", "unit_test.")),
    }
    for kind, chosen in of.items():
        timings[f"{label}_{kind}_s"] = sum(n["execution_time"] for n in nodes if chosen(n["unique_id"]))


def _ingest(settings: Settings) -> list:
    with connect_duckdb(settings.warehouse_path) as con:
        return ingest(con, load_registry(settings.contracts_dir / "landing"), settings.landing_path)


def measure(scale: float, root: Path) -> dict:
    settings = Settings(
        project_dir=PROJECT_DIR, warehouse=str(root / "w.duckdb"), landing_dir=root / "landing", var_dir=root / "var"
    )
    timings = {}
    started = time.perf_counter()
    generate(
        DemoConfig(end_date="2026-06-30", scale=scale),
        settings.landing_path,
        settings.dbt_project_dir / "seeds" / "fx_rates.csv",
    )
    timings["generate_s"] = time.perf_counter() - started
    day_events = hold_back_last_day(settings.landing_path, root / "next_day")
    started = time.perf_counter()
    results = _ingest(settings)
    timings["ingest_s"] = time.perf_counter() - started
    _timed_build(settings, "dbt_build", timings)
    target = settings.landing_path / "ga4" / "events"
    for path in (root / "next_day").iterdir():
        path.rename(target / path.name)
    started = time.perf_counter()
    _ingest(settings)
    timings["ingest_day_s"] = time.perf_counter() - started
    _timed_build(settings, "incremental_day_build", timings)
    _timed_build(settings, "full_refresh_build", timings, full_refresh=True)
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        rows = {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in MARTS}
        raw_rows = con.execute("select sum(row_count) from raw._mops_files").fetchone()[0]
    return {
        "scale": scale,
        "files": len(results),
        "day_ga4_events": day_events,
        "raw_rows": raw_rows,
        "mart_rows": rows,
        **{k: round(v, 2) for k, v in timings.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench" / "results" / "data_layer.json")
    args = parser.parse_args()
    runs = []
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(measure(scale, Path(tmp)))
        r = runs[-1]
        print(
            f"scale {r['scale']:>5}: generate {r['generate_s']:6.1f}s  ingest {r['ingest_s']:6.1f}s  "
            f"dbt build {r['dbt_build_s']:6.1f}s  incremental day {r['incremental_day_build_s']:6.1f}s  "
            f"full refresh {r['full_refresh_build_s']:6.1f}s  raw rows {r['raw_rows']:,}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "python": platform.python_version(),
                    "cpu_count": __import__("os").cpu_count(),
                    "platform": platform.platform(),
                },
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
