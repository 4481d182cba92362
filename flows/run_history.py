"""A run's history and record: step durations from earlier runs (the deadlines' estimates), the accounts'
time zones, the run's ops rows, its orchestration overhead and its status."""

from __future__ import annotations

from flows.engine import StepOutcome
from flows.plan import Plan
from mops.core import interrupts
from mops.core.base import utcnow
from mops.core.errors import MopsError
from mops.core.ops import OpsLog, finish_run
from mops.core.warehouse.adapter import Warehouse


def step_estimates(warehouse: Warehouse, workflow: str) -> dict[str, float]:
    """Median duration of each step's recent successful runs (the history deadlines are judged on)."""
    return OpsLog(warehouse).step_estimates(workflow)


def account_time_zones(warehouse: Warehouse) -> list[str]:
    try:
        relation = warehouse.manifest.resolve("dim_campaigns")
        if not warehouse.exists(relation.schema, relation.name):  # a fresh warehouse before its first build
            return []
        frame = warehouse.read(relation.schema, relation.name, ["account_time_zone"])
    except MopsError:
        return []
    return sorted(set(frame.account_time_zone.dropna()))


def record_run(warehouse: Warehouse, record: dict, outcomes: dict[str, StepOutcome]) -> None:
    ops = OpsLog(warehouse)
    now = utcnow()
    finish_run(ops, record)  # replaces the `running` row written at the start
    ops.append(
        "workflow_steps",
        [
            {
                "run_id": record["run_id"],
                "workflow": record["workflow"],
                "step": o.step,
                "kind": o.kind,
                "status": o.status,
                "duration_s": o.duration_s,
                "attempts": o.attempts,
                "message": o.message[:4000],
                "finished_at": now,
                "due_at": o.due_at,
                "deadline_share": o.deadline_share,
            }
            for o in outcomes.values()
        ],
    )
    ops.applied(record["run_id"], record["workflow"], [(o.step, a) for o in outcomes.values() for a in o.approvals])


def overhead(plan: Plan, outcomes: dict[str, StepOutcome], wall_s: float) -> dict[str, float]:
    """Wall time minus the step compute on the critical path, absolute and as a share of wall time."""
    critical, _ = plan.critical_path({k: o.duration_s for k, o in outcomes.items()})
    spent = max(wall_s - critical, 0.0)
    return {
        "wall_s": wall_s,
        "critical_path_s": critical,
        "overhead_s": spent,
        "overhead_share": spent / wall_s if wall_s > 0 else 0.0,
    }


def run_status(outcomes: dict[str, StepOutcome]) -> str:
    statuses = {o.status for o in outcomes.values()}
    if interrupts.stop_requested() or "cancelled" in statuses:
        return "cancelled"
    if statuses <= {"succeeded"}:
        return "succeeded"
    if "failed" in statuses or "halted" in statuses:
        return "failed"
    return "succeeded_with_skips"
