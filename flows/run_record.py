"""The run's own record from its first second: `running` at the start, the final status at the end.

At the start (under the run lock) runs whose process is gone are marked `crashed` and their pending
approvals `cancelled`; a run stopped by SIGTERM/SIGINT ends `cancelled`; a run interrupted harder
(a second signal) is still recorded before the process exits. The outputs of the run's context
are checked for rows written by other runs (a killed run's half), and the summary names them.
"""

from __future__ import annotations

import json

from flows.approvals import ApprovalStore
from flows.waits import announce
from mops.core import interrupts
from mops.core.base import utcnow
from mops.core.ops import OpsLog, finish_run, mixed_sources, start_run
from mops.core.runtime.context import RunContext
from mops.core.warehouse.adapter import Warehouse


def base_row(plan, context: RunContext, mode: str, day, started, chain) -> dict:
    return {
        "run_id": context.run_id,
        "workflow": plan.spec.name,
        "spec_hash": plan.spec_hash,
        "mode": mode,
        "run_date": day,
        "started_at": started,
        "event_chain": json.dumps(list(chain)),
        "context": context.model_dump_json(),
    }


def record_start(warehouse: Warehouse, approvals: ApprovalStore, row: dict) -> None:
    """Mark what died before us (runs and their pending approvals), then record this run as running."""
    ops = OpsLog(warehouse)
    for record, items in approvals.cancel_orphans():
        ops.applied(record["run_id"], record["workflow"], [(record["step"], item) for item in items])
        announce(f"run {record['run_id']}: its process is gone; {len(items)} pending approval(s) cancelled", "warning")
    for run_id in start_run(ops, row):
        announce(f"run {run_id} never finished (its process is gone): recorded as crashed", "warning")


def record_interrupted(warehouse: Warehouse, row: dict, error: BaseException) -> None:
    """The run did not get to its summary (second signal, unexpected error): record how it ended."""
    status = "cancelled" if interrupts.stop_requested() else "crashed"
    finish_run(
        OpsLog(warehouse),
        {**row, "status": status, "finished_at": utcnow(), "message": f"{type(error).__name__}: {error}"[:4000]},
    )


def output_sources(warehouse: Warehouse, context: RunContext) -> dict[str, list[str]]:
    """Tables of this run's context holding rows of more than one run (empty when all agree)."""
    try:
        return mixed_sources(OpsLog(warehouse), context.key)
    except Exception:  # a diagnostic never fails the run it describes
        return {}
