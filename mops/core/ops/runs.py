"""The run record: written when a run starts, replaced when it ends, marked crashed when its process died.

`ops.workflow_runs` keeps one row per run id: `running` from the start (with the process id and host),
then the final status (succeeded, failed, cancelled, ...). A run that never finished (kill -9, power
loss) is found on the next start, under the run lock, and marked `crashed`, so the record never lies.
"""

from __future__ import annotations

import os
import socket

import pandas as pd

from mops.core.base import utcnow
from mops.core.interrupts import pid_alive
from mops.core.ops.records import OpsLog
from mops.core.ops.tables import OPS_SCHEMA, TABLES

RUNS = "workflow_runs"
AGENTS_SCHEMA = "agents"


def _replace(ops: OpsLog, row: dict) -> None:
    """The run's one row, replaced in one transaction (never two rows for one run id)."""
    frame = pd.DataFrame([{column: row.get(column) for column in TABLES[RUNS]}])
    ops.warehouse.replace_partitions({(OPS_SCHEMA, RUNS): (frame, TABLES[RUNS])}, "run_id", row["run_id"])


def start_run(ops: OpsLog, row: dict) -> list[str]:
    """Record a run as `running` (this process); first mark earlier runs whose process is gone. Returns those."""
    crashed = mark_crashed(ops, row["run_id"])
    _replace(ops, {**row, "status": "running", "pid": os.getpid(), "host": socket.gethostname()})
    return crashed


def finish_run(ops: OpsLog, row: dict) -> None:
    """Replace the run's `running` row with its final record."""
    _replace(ops, {**row, "pid": os.getpid(), "host": socket.gethostname()})


def mark_crashed(ops: OpsLog, current_run_id: str) -> list[str]:
    """Runs still `running` though we hold the run lock: their process is gone (or no longer owns the run)."""
    rows = ops.query(RUNS, "status = 'running' and run_id <> ?", [current_run_id])
    here = socket.gethostname()
    crashed = []
    for row in rows.to_dict("records"):
        pid = None if pd.isna(row.get("pid")) else int(row["pid"])
        if row.get("host") != here:
            why = "it ran on another host and no longer holds the run lock"
        elif not pid_alive(pid):
            why = "its process is gone"
        else:
            why = "its process no longer holds the run lock"
        _replace(
            ops,
            {
                **row,
                "status": "crashed",
                "finished_at": utcnow(),
                "message": f"process {pid} on {row.get('host')} stopped before the run finished ({why})",
            },
        )
        crashed.append(str(row["run_id"]))
    return crashed


def latest_runs(ops: OpsLog, workflow: str | None = None) -> pd.DataFrame:
    """The run records (one per run id), newest first."""
    where, params = ("workflow = ?", [workflow]) if workflow else ("", [])
    return ops.query(RUNS, where, params, order="started_at desc")


def context_sources(ops: OpsLog, context_key: str) -> dict[str, list[str]]:
    """Per agents.* table, the run ids of its rows under one run context (more than one id = mixed)."""
    tables = ops.warehouse.query(
        "select distinct table_name from information_schema.columns where table_schema = ? and column_name = ?",
        [AGENTS_SCHEMA, "_mops_context_key"],
    )
    found: dict[str, list[str]] = {}
    for name in sorted(tables.table_name):
        runs = ops.warehouse.query(
            f'select distinct _mops_run_id as run_id from {AGENTS_SCHEMA}."{name}" '  # names from the catalog
            "where _mops_context_key = ? order by 1",
            [context_key],
        )
        if len(runs):
            found[name] = [str(r) for r in runs.run_id]
    return found


def mixed_sources(ops: OpsLog, context_key: str) -> dict[str, list[str]]:
    """The context's tables when its outputs come from more than one run; empty when they agree."""
    sources = context_sources(ops, context_key)
    run_ids = {run_id for ids in sources.values() for run_id in ids}
    return sources if len(run_ids) > 1 else {}
