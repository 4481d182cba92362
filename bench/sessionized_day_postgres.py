"""bench/sessionized_day.py on PostgreSQL: the next GA4 day's build of `int_ga4_events_sessionized` alone.

The snapshot is a database (history ingested and built, the next day's staging built); each label runs on a
fresh copy (`create database ... template`). Reported: rows the model's select returns, dbt's client CPU
seconds, dbt's time in the model (wall: the server's work happens in PostgreSQL's processes, which other
sessions share) and a content hash of the table, equal between labels when they build the same rows.
Appends to bench/results/sessionized_day.json with `"warehouse": "postgres"`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from contextlib import closing
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.history import cached_exports  # noqa: E402
from bench.sessionized_day import MODEL, OUT, _dbt, land_history_and_next_day  # noqa: E402
from mops.core.ingest_postgres import ingest_postgres  # noqa: E402
from mops.core.landing import load_registry  # noqa: E402
from mops.core.settings import PROJECT_DIR, Settings  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"


def _admin(sql: str) -> None:
    with closing(psycopg2.connect(f"{SERVER}/postgres")) as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(sql)


def _query(database: str, sql: str):
    with closing(psycopg2.connect(f"{SERVER}/{database}")) as con, con.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _server_cpu_s() -> float:
    """CPU seconds of the local PostgreSQL server: every live postgres process, plus the finished backends
    and parallel workers the postmaster reaped (its children's time). Another client's work would count too,
    so the other connections are reported beside it."""
    ticks, processes = os.sysconf("SC_CLK_TCK"), {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if fields[0].endswith("(postgres"):
            rest = fields[1].split()
            processes[int(stat.parent.name)] = (int(rest[1]), sum(map(int, rest[11:15])), sum(map(int, rest[11:13])))
    total = sum(own for _, _, own in processes.values())
    total += sum(both - own for ppid, both, own in processes.values() if ppid not in processes)  # reaped
    return total / ticks


def _other_connections(database: str) -> int:
    return _query(
        database, "select count(*) from pg_stat_activity where client_port is not null and pid <> pg_backend_pid()"
    )


def _settings(root: Path, database: str) -> Settings:
    return Settings(
        project_dir=PROJECT_DIR,
        warehouse=str(root / "unused.duckdb"),
        warehouse_url=f"{SERVER}/{database}",
        landing_dir=root / "landing",
        var_dir=root / "var",
    )


def _ingest(settings: Settings) -> None:
    results = ingest_postgres(
        settings.warehouse_url, load_registry(settings.contracts_dir / "landing"), settings.landing_path
    )
    refused = [r for r in results if r.status == "refused"]
    if refused:
        raise SystemExit(f"refused: {refused[:3]}")


def snapshot(scale: float) -> tuple[Path, str]:
    root, database = PROJECT_DIR / "var" / "bench" / f"sessionized-pg-{scale:g}", f"mops_bench_sessionized_{scale:g}"
    if (root / "snapshot.done").is_file():
        return root, database
    shutil.rmtree(root, ignore_errors=True)
    _admin(f'drop database if exists "{database}" with (force)')
    _admin(f'create database "{database}"')
    exports, settings = cached_exports(scale), _settings(root, database)
    land_history_and_next_day(exports, settings, _ingest)
    (root / "snapshot.done").write_text(database)
    return root, database


def measure(scale: float, label: str) -> dict:
    root, snap = snapshot(scale)
    database = f"{snap}_{label}"
    _admin(f'drop database if exists "{database}" with (force)')
    _admin(f'create database "{database}" template "{snap}"')
    settings = _settings(root, database)
    out = {
        "scale": scale,
        "label": label,
        "warehouse": "postgres",
        "load_average_at_start": round(os.getloadavg()[0], 1),
    }
    out["staged_events"] = _query(database, "select count(*) from staging.stg_ga4__events")
    _dbt(settings, ["compile", "--select", MODEL])
    files = (settings.dbt_target_path / "compiled").rglob(f"{MODEL}.sql")
    compiled = next(f for f in files if f.parent.suffix != ".yml").read_text()
    out["rows_processed"] = _query(database, f"select count(*) from ({compiled}) as selected")
    out["dbt_start_up_cpu_s"] = round(_dbt(settings, ["run", "--select", MODEL, "--exclude", MODEL]), 2)
    out["other_connections_at_start"] = _other_connections(database)
    server = _server_cpu_s()
    out["dbt_run_cpu_s"] = round(_dbt(settings, ["run", "--select", MODEL]), 2)
    out["server_cpu_s"] = round(_server_cpu_s() - server, 2)
    out["other_connections_at_end"] = _other_connections(database)
    results = json.loads((settings.dbt_target_path / "run_results.json").read_text())["results"]
    out["model_execution_s"] = round(next(r["execution_time"] for r in results if r["unique_id"].endswith(MODEL)), 2)
    out["model_rows"] = _query(database, f"select count(*) from intermediate.{MODEL}")
    out["content_md5"] = _query(
        database, f"select md5(string_agg(md5(t::text), '' order by md5(t::text))) from intermediate.{MODEL} as t"
    )
    out["load_average_at_end"] = round(os.getloadavg()[0], 1)
    _admin(f'drop database if exists "{database}" with (force)')
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--label", choices=["before", "after"], required=True)
    args = parser.parse_args()
    run = measure(args.scale, args.label)
    results = json.loads(OUT.read_text())
    key = (args.scale, args.label, "postgres")
    results["runs"] = [r for r in results["runs"] if (r["scale"], r["label"], r["warehouse"]) != key] + [run]
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(run, indent=2))


if __name__ == "__main__":
    main()
