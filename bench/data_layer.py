"""Benchmark of the data path: demo generation, ingest and dbt build at several scales.

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
    started = time.perf_counter()
    with connect_duckdb(settings.warehouse_path) as con:
        results = ingest(con, load_registry(settings.contracts_dir / "landing"), settings.landing_path)
    timings["ingest_s"] = time.perf_counter() - started
    started = time.perf_counter()
    result = run_dbt(settings, ["build"])
    timings["dbt_build_s"] = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"dbt build failed at scale {scale}: {result.failures}")
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        rows = {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in MARTS}
        raw_rows = con.execute("select sum(row_count) from raw._mops_files").fetchone()[0]
    return {
        "scale": scale,
        "files": len(results),
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
            f"dbt build {r['dbt_build_s']:6.1f}s  raw rows {r['raw_rows']:,}"
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
