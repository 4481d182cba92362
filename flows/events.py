"""Event-driven runs with loop prevention.

Every event carries its causal chain (the workflows that led to it). Before an event starts a
workflow, the guard stops it when the chain already contains that workflow, is longer than the
trigger's max_depth, or the workflow was started by an event within its cooldown. Stopped events
are recorded with the reason, like triggered ones (ops.events).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows.spec import WorkflowSpec
from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import Warehouse


@dataclass(frozen=True)
class Event:
    name: str
    source_workflow: str
    source_run_id: str
    run_date: str
    chain: tuple[str, ...]  # workflows from the first trigger to the source, in order
    payload: dict = field(default_factory=dict)
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def stop_reason(event: Event, target: WorkflowSpec, last_started: datetime | None, now: datetime) -> str | None:
    """Why the event must not start `target`, or None when it may."""
    if target.name in event.chain:
        return f"loop: {' -> '.join([*event.chain, target.name])} revisits {target.name}"
    if len(event.chain) >= target.trigger.max_depth:
        return (
            f"depth: chain {' -> '.join(event.chain)} is {len(event.chain)} long, max_depth {target.trigger.max_depth}"
        )
    cooldown = timedelta(minutes=target.trigger.cooldown_minutes)
    if last_started is not None and now - last_started < cooldown:
        return (
            f"cooldown: {target.name} was started by an event at {last_started:%H:%M:%S} UTC, "
            f"within its {target.trigger.cooldown_minutes:g} min cooldown"
        )
    return None


def last_event_start(warehouse: Warehouse, workflow: str) -> datetime | None:
    return OpsLog(warehouse).last_event_start(workflow)


def record_event(warehouse: Warehouse, event: Event, target: str, status: str, reason: str, at: datetime) -> None:
    row = {
        "event_id": event.event_id,
        "name": event.name,
        "source_workflow": event.source_workflow,
        "source_run_id": event.source_run_id,
        "run_date": event.run_date,
        "chain": " -> ".join(event.chain),
        "target_workflow": target,
        "status": status,
        "reason": reason,
        "occurred_at": at,
    }
    OpsLog(warehouse).append("events", [row])
