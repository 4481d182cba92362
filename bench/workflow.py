"""Benchmark of the workflow engine: `mops run daily` as the caller sees it, the flow, and plain calls.

Per scale, once: the demo's exports with the last GA4 day held back, ingest, the first (full) build and
one plain pass of the agents; then the held-back day is landed and ingested, and that state (warehouse
file + var/) is the snapshot every variant starts from, so each does the same work: the next day's
incremental build and every agent, live, approvals deferred, judged as of the morning after.
- plain: the same dbt build and agents called one after another in this process, no Prefect;
- plain_commands: the same as a user without a workflow would type it: `mops build`, then
  `mops agent run <agent>` per agent, each a new process, timed from outside;
- engine: `daily` through the Prefect flow in this process (imports done, server up): the
  workflow's own wall time (first step's start to the run's record; overhead = wall - critical path);
- mops_run_with_server / _without_server: `mops run daily` in a new process timed from outside
  (caller_wall_s), against what it recorded (its wall counts from the process start); with the server
  up once started by the warm starter (`mops_run_warm`, the default when the server is up) and once
  with a plain start (MOPS_WARM_START=false: Python, imports and all in the new process).
Writes bench/results/workflow.json; `make bench` runs it at 1x and 10x.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_DATE = date(2026, 6, 30)
AS_OF = f"{RUN_DATE + timedelta(days=1)}T10:00:00"  # the morning after: deadlines judged as a live run would
ACTOR = "demo-operator"  # an operator in governance/policy.yml: may run workflows and agents
MOPS = str(Path(sys.executable).parent / "mops")


def _hold_back_last_day(landing: Path, held: Path) -> None:
    """Move the run date's GA4 events out of the exports: they land as "the next day" before each run."""
    import duckdb

    stamp = f"{RUN_DATE:%Y%m%d}"
    events = landing / "ga4" / "events"
    target = held / "ga4" / "events"
    target.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"create table ev as select * from read_parquet('{events}/*.parquet', filename = true)")
    day_file = target / f"events_{stamp}.parquet"
    con.execute(f"copy (select * exclude (filename) from ev where event_date = '{stamp}') to '{day_file}'")
    for (name,) in con.execute("select distinct filename from ev").fetchall():
        con.execute(f"copy (select * exclude (filename) from ev where filename = '{name}' and event_date <> '{stamp}') "
                    f"to '{name}.rest' (format parquet)")  # fmt: skip
        os.replace(f"{name}.rest", name)


def _ingest(settings) -> None:
    from mops.core.ingest import ingest
    from mops.core.landing import load_registry
    from mops.core.warehouse.connections import connect_duckdb

    with connect_duckdb(settings.warehouse_path) as con:
        refused = [r for r in ingest(con, load_registry(settings.contracts_dir / "landing"), settings.landing_path)
                   if r.status == "refused"]  # fmt: skip
    if refused:
        raise SystemExit(f"refused: {refused[:3]}")


def prepare(scale: float, root: Path):
    """The snapshot every variant starts from (see the module docstring); returns the settings."""
    from demo import generate
    from demo.world import DemoConfig
    from mops.core.build_plan import build
    from mops.core.settings import get_settings

    os.environ.update(
        MOPS_WAREHOUSE=str(root / "w.duckdb"),
        MOPS_LANDING_DIR=str(root / "landing"),
        MOPS_VAR_DIR=str(root / "var"),
        MOPS_ACTOR=os.environ.get("MOPS_ACTOR", ACTOR),
    )
    settings = get_settings()
    generate(DemoConfig(end_date=RUN_DATE.isoformat(), scale=scale), settings.landing_path,
             settings.dbt_project_dir / "seeds" / "fx_rates.csv")  # fmt: skip
    _hold_back_last_day(settings.landing_path, root / "held")
    _ingest(settings)
    if not build(settings).ok:
        raise SystemExit("the first build failed")
    plain(settings)  # the agents' outputs exist before the measured runs, as on any day after the first
    shutil.copytree(root / "held", settings.landing_path, dirs_exist_ok=True)
    _ingest(settings)
    shutil.copy(settings.warehouse_path, root / "snapshot.duckdb")
    shutil.copytree(settings.var_path, root / "snapshot-var")
    return settings


def restore(settings, root: Path) -> None:
    """Back to the snapshot: the next day landed and ingested, not yet built."""
    shutil.copy(root / "snapshot.duckdb", settings.warehouse_path)
    for child in settings.var_path.iterdir():
        if child.name != "prefect":  # the persistent server's home, when it is up
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(root / "snapshot-var", settings.var_path, dirs_exist_ok=True)


def plain(settings) -> dict:
    """The daily steps as plain calls, in the plan's order: what the engine adds is the difference."""
    from flows.engine import RunSettings, WarehouseSession, execute_step
    from flows.registry import load_plan
    from mops.core.runtime.context import RunContext

    plan, catalog = load_plan(settings, "daily")
    spec = plan.spec.context
    context = RunContext.for_day(RUN_DATE, spec.window_days, attribution_model=spec.attribution_model)
    session = WarehouseSession(settings)
    as_of = datetime.fromisoformat(AS_OF)
    run = RunSettings(settings, session, catalog, context.run_id, "daily", approvals_mode="defer",
                      clock=lambda: as_of, started_at=as_of, run_date=RUN_DATE, actor=ACTOR)  # fmt: skip
    started = time.perf_counter()
    steps = {}
    for step_id in plan.order:
        outcome = execute_step(plan.steps[step_id], context, run)
        steps[step_id] = round(outcome.duration_s, 3)
        if outcome.status not in ("succeeded", "skipped"):
            raise SystemExit(f"plain run: {step_id} {outcome.status}: {outcome.message}")
    session.release()
    return {"wall_s": round(time.perf_counter() - started, 3), "steps": steps}


def _timed(command: list[str], env: dict) -> float:
    return _timed_process(command, env)[0]


def _timed_process(command: list[str], env: dict) -> tuple[float, int]:
    """Wall seconds of a command run to its end, and its pid."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {out[-2000:]} {err[-2000:]}")
    return time.perf_counter() - started, process.pid


def plain_commands(settings) -> dict:
    """`mops build` then `mops agent run` per agent, in the plan's order: each a new process, timed from outside."""
    from flows.registry import load_plan

    plan, _ = load_plan(settings, "daily")
    env = dict(os.environ)
    steps = {}
    for step_id in plan.order:
        agent = plan.steps[step_id].agent
        command = [MOPS, "build"] if agent is None else [MOPS, "agent", "run", agent.name, "--date", str(RUN_DATE)]
        steps[step_id] = round(_timed(command, env), 3)
    return {"wall_s": round(sum(steps.values()), 3), "steps": steps}


def engine(settings) -> dict:
    from flows.local import run_once

    summary = run_once(settings, "daily", RUN_DATE, approvals="defer", as_of=AS_OF)
    if summary.status != "succeeded":
        raise SystemExit(f"daily failed: {[s for s in summary.steps if s.status != 'succeeded']}")
    return {
        "run_id": summary.run_id,
        "wall_s": round(summary.wall_s, 3),
        "critical_path_s": round(summary.critical_path_s, 3),
        "overhead_s": round(summary.overhead_s, 3),
        "overhead_share": round(summary.overhead_share, 4),
        "steps": {s.step: s.duration_s for s in summary.steps},
    }


def ledger_cost(settings, run_id: str, wall_s: float, appends: int = 20) -> dict:
    """What the audit ledger added to one daily run: its entries, the content hashing they record, and
    the appends (timed here on the same warehouse, as many as the run wrote)."""
    from mops.core.governance.ledger import Ledger
    from mops.core.warehouse.adapter import open_warehouse

    with open_warehouse(settings) as warehouse:
        entries = warehouse.query("select action, details from ops.audit_log where run_id = ?", [run_id])
        hash_ms = sum(float(json.loads(d).get("hash_ms") or 0) for d in entries.details)
        ledger = Ledger(warehouse, settings.audit_head_path)
        started = time.perf_counter()
        for i in range(appends):
            ledger.append(ACTOR, "bench_append", f"bench-{i}", {"inputs": [{"rows": i, "hash": "0" * 64}]}, "bench")
        append_ms = (time.perf_counter() - started) * 1000 / appends
    cost_s = hash_ms / 1000 + len(entries) * append_ms / 1000
    return {
        "entries": len(entries),
        "actions": entries.action.value_counts().to_dict(),
        "hash_s": round(hash_ms / 1000, 3),
        "append_ms_each": round(append_ms, 2),
        "cost_s": round(cost_s, 3),
        "share_of_wall": round(cost_s / wall_s, 4),
    }


def caller(settings, server_up: bool, warm: bool = False) -> dict:
    """`mops run daily` as a user runs it: a new process, timed from outside, against what it recorded.

    warm: through the warm starter that `mops server start` starts beside the server (else a plain start)."""
    from mops.app import server
    from mops.core.warehouse.adapter import open_warehouse

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["MOPS_PREFECT_PORT"] = str(port)
    env["MOPS_WARM_START"] = "true" if warm else "false"
    settings = settings.model_copy(update={"prefect_port": port})
    if server_up:
        server.start(settings)
    try:
        command = [MOPS, "run", "daily", "--date", RUN_DATE.isoformat(), "--approvals", "defer", "--as-of", AS_OF]
        seen, pid = _timed_process(command, env)
        ended = datetime.now(UTC).replace(tzinfo=None)
        if warm:  # the warm starter's log names the caller it served: a cold fallback must not pass as warm
            log = (settings.var_path / "prefect" / "warm.log").read_text()
            if f"runs the command of pid {pid}\n" not in log:
                raise SystemExit(f"`mops run` (pid {pid}) was not served by the warm starter:\n{log[-2000:]}")
    finally:
        if server_up:
            server.stop(settings)
    with open_warehouse(settings, read_only=True) as warehouse:
        row = warehouse.query(
            "select wall_s, critical_path_s, overhead_s, started_at, finished_at from ops.workflow_runs "
            "order by started_at desc limit 1"
        ).iloc[0]
    # as_of shifts the recorded timestamps by one fixed offset; their difference is real time
    recorded_s = (row.finished_at - row.started_at).total_seconds()
    return {
        "caller_wall_s": round(seen, 3),
        "recorded_wall_s": round(float(row.wall_s), 3),
        "critical_path_s": round(float(row.critical_path_s), 3),
        "recorded_overhead_s": round(float(row.overhead_s), 3),
        # process start to the flow body: interpreter, imports, the Prefect flow run (counted in the record)
        "startup_s": round(float(row.wall_s) - recorded_s, 3),
        # after the run was recorded: artifacts, events, the summary, Prefect's log/event flush, exit
        "after_record_s": round(seen - float(row.wall_s), 3),
        "ended_at": ended.isoformat(timespec="seconds"),
    }


def measure(scale: float, root: Path) -> dict:
    settings = prepare(scale, root)
    restore(settings, root)
    plain_run = plain(settings)
    restore(settings, root)
    commands_run = plain_commands(settings)
    restore(settings, root)
    engine(settings)  # warm-up: the first flow run registers the flow and its tasks
    restore(settings, root)
    engine_run = engine(settings)
    ledger = ledger_cost(settings, engine_run["run_id"], engine_run["wall_s"])
    restore(settings, root)
    warm = caller(settings, server_up=True, warm=True)
    restore(settings, root)
    with_server = caller(settings, server_up=True)
    restore(settings, root)
    without_server = caller(settings, server_up=False)
    flow = engine_run["wall_s"]
    for name, seen in (("warm start", warm), ("plain start", with_server)):
        print(f"scale {scale:>5}: `mops run daily` as the caller sees it, server up, {name}: "
              f"{seen['caller_wall_s']:.1f}s ({seen['caller_wall_s'] / flow - 1:+.1%} on the flow's own {flow:.1f}s; "
              f"{seen['startup_s']:.1f}s from the process start to the flow body, "
              f"{seen['after_record_s']:.1f}s after the record)")  # fmt: skip
    print(f"scale {scale:>5}: without the server {without_server['caller_wall_s']:.1f}s")
    print(f"scale {scale:>5}: audit ledger {ledger['entries']} entries, {ledger['cost_s']:.2f}s "
          f"({ledger['share_of_wall']:.1%} of the flow's wall)")  # fmt: skip
    print(f"scale {scale:>5}: plain calls {plain_run['wall_s']:.1f}s in one process, "
          f"{commands_run['wall_s']:.1f}s as commands; flow overhead {engine_run['overhead_s']:.2f}s")  # fmt: skip
    return {
        "scale": scale,
        "engine": engine_run,
        "audit_ledger": ledger,
        "plain": plain_run,
        "plain_commands": commands_run,
        "mops_run_warm": warm,
        "mops_run_with_server": with_server,
        "mops_run_without_server": without_server,
        "caller_over_flow": round(warm["caller_wall_s"] / flow - 1, 4),
        "caller_over_plain": round(warm["caller_wall_s"] / plain_run["wall_s"] - 1, 4),
        "plain_start_over_flow": round(with_server["caller_wall_s"] / flow - 1, 4),
        "plain_start_over_plain": round(with_server["caller_wall_s"] / plain_run["wall_s"] - 1, 4),
    }


def main() -> None:
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")  # run logs go to the API only
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from mops.app.catalog import compose

    compose()  # the application wires the agent catalog into the engine
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "workflow.json")
    args = parser.parse_args()
    from prefect.testing.utilities import prefect_test_harness

    runs = []
    with prefect_test_harness(server_startup_timeout=180):  # the in-process flow's server
        for scale in args.scales:
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(measure(scale, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    note = (
        "Every variant starts from the same snapshot (next GA4 day landed, not built) and does the same work: "
        "the incremental build and every agent, live, approvals deferred, as of the morning after. engine: the "
        "daily flow in this process (its own wall time; overhead = wall - step time on the critical path); "
        "plain: the same steps called sequentially in this process; plain_commands: `mops build` and `mops agent "
        "run` per agent, each a new process; mops_run_*: `mops run daily` in a new process timed from outside "
        "(caller_wall_s) against the wall time it recorded (counted from the process start), with the persistent "
        "server up and without; mops_run_warm: server up, started by the warm starter (the default), "
        "mops_run_with_server: server up, plain start (MOPS_WARM_START=false). caller_over_flow / "
        "caller_over_plain: caller wall (server up, warm start) over the flow's own wall and over the plain "
        "calls, minus 1; plain_start_over_*: the same for the plain start. Measured on a shared 2-core machine "
        "(other jobs running)."
    )
    result = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                          "load_average": [round(x, 1) for x in os.getloadavg()]},
              "note": note, "runs": runs}  # fmt: skip
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
