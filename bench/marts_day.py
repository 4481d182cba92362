"""The next GA4 day's build of the web marts, each alone, on one snapshot: old code against new.

`bench/history.py --scales 10 --no-daily` leaves a warehouse built through the next day (var/bench/run-10).
This lands the day after (the history cache's days/2), ingests it and runs everything upstream of the web marts
(`--snapshot`), then, for each project tree given (`--tree label=path`, e.g. a checkout of main and this one),
copies the snapshot fresh and runs `dbt run --select <mart>` once per mart and repeat. Recorded per run: dbt's
time in the model (run_results.json), the dbt process's CPU seconds (user + system; DuckDB runs inside it) and
the load average, since the cores are shared. Writes bench/results/marts_day.json.
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

from bench.history import CACHE, _ingest, _land  # noqa: E402
from mops.core.settings import PROJECT_DIR, Settings  # noqa: E402
from mops.core.transform import run_dbt  # noqa: E402

MARTS = ["fct_conversion_paths_v1", "fct_touchpoints_v1", "fct_conversions_v1"]
RUN = PROJECT_DIR / "var" / "bench" / "run-10"
SNAPSHOT = PROJECT_DIR / "var" / "bench" / "marts-day" / "snapshot.duckdb"


def _settings(project_dir: Path, warehouse: Path) -> Settings:
    return Settings(project_dir=project_dir, warehouse=str(warehouse), landing_dir=RUN / "landing", var_dir=RUN / "var")


def _dbt(settings: Settings, args: list[str]) -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = used.ru_utime + used.ru_stime
    result = run_dbt(settings, args)
    if not result.ok:
        raise SystemExit(f"dbt {' '.join(args)} failed: {result.failures[:5]} (log {result.log_path})")
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime - before


def snapshot() -> None:
    settings = _settings(PROJECT_DIR, RUN / "w.duckdb")
    _land(CACHE / "scale-10" / "days" / "2", settings)
    _ingest(settings)
    _dbt(settings, ["run", "--select", "source:ga4.events+", "--exclude", *MARTS])
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(RUN / "w.duckdb", SNAPSHOT)


def measure(label: str, tree: Path, model: str) -> dict:
    copy = SNAPSHOT.with_name(f"{label}.duckdb")
    shutil.copy(SNAPSHOT, copy)
    settings = _settings(tree, copy)
    load = os.getloadavg()[0]
    cpu = _dbt(settings, ["run", "--select", model])
    results = json.loads((settings.dbt_target_path / "run_results.json").read_text())["results"]
    (built,) = [r for r in results if r["unique_id"].startswith("model.")]  # not the on-run-start hook
    copy.unlink()
    return {
        "label": label,
        "model": model,
        "model_s": round(built["execution_time"], 2),
        "dbt_cpu_s": round(cpu, 2),
        "load_average": round(load, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshot", action="store_true", help="land and build the day after first")
    parser.add_argument("--tree", action="append", required=True, help="label=path of a project checkout")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=MARTS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "marts_day.json")
    args = parser.parse_args()
    if args.snapshot:
        snapshot()
    trees = [(label, Path(path)) for label, path in (t.split("=", 1) for t in args.tree)]
    runs = []
    for _ in range(args.repeat):
        for model in args.models:
            for label, tree in trees:  # alternating, so both see the same load
                runs.append(measure(label, tree, model))
                print(runs[-1])
    args.out.write_text(
        json.dumps({"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "runs": runs}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
