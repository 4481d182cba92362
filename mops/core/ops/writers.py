"""Writer conflicts: runs that met at the warehouse, and consumers that met another run's outputs.

Two kinds, both recorded in `ops.conflicts` with both sides and their run ids, so they count in the
conflict rate and `mops monitor` shows them:
- `concurrent_write`: a run wanted to write while another held the warehouse lock; it waited
  (outcome `waited`) or gave up (`refused`). The waiting run cannot write to a DuckDB warehouse the
  holder has open, so it notes the meeting in a spool file beside the lock (one JSON line, appended
  under its own flock); the next run to hold the lock moves the notes into `ops.conflicts`.
- `read_under_other_context`: a consumer would have read an output stamped with another run context
  (ContextMismatch); recorded by the runner at once (it holds the lock), outcome `refused`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from pathlib import Path

import pandas as pd

from mops.core.base import utcnow
from mops.core.ops.records import OpsLog

CONCURRENT_WRITE = "concurrent_write"
OTHER_CONTEXT = "read_under_other_context"
WRITER_RULES = (CONCURRENT_WRITE, OTHER_CONTEXT)


def spool_path(settings) -> Path:
    """Beside the DuckDB file (its lock is there too); under var/ for a PostgreSQL warehouse."""
    if settings.warehouse_url:
        return settings.var_path / "monitoring" / "writer-conflicts.jsonl"
    path = settings.warehouse_path
    return path.with_name(path.name + ".mops-writers.jsonl")


def _id(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def lock_meeting(
    outcome: str, subject: str, waiter: dict, holder: dict, waited_s: float, limit_s: float, at=None
) -> dict:
    """The conflicts row of a run (`waiter`) that met the lock `holder` (both: run_id, what, pid, host)."""
    at = at or utcnow()
    verb = f"waited {waited_s:.1f} s for" if outcome == "waited" else f"gave up after {waited_s:.1f} s waiting for"
    who = holder.get("what") or f"process {holder.get('pid', '?')}"
    return {
        "conflict_id": _id(CONCURRENT_WRITE, subject, waiter.get("run_id"), waiter.get("pid"), at.isoformat()),
        "run_id": waiter.get("run_id"),
        "rule": CONCURRENT_WRITE,
        "subject": subject,
        "a_agent": waiter.get("workflow") or "mops",
        "a_kind": "write",
        "a_action": "wait_for_lock",
        "a_run_id": waiter.get("run_id"),
        "a_reason": f"{waiter.get('what') or 'a run'} (pid {waiter.get('pid')} on {waiter.get('host')}) {verb} "
        f"the warehouse (limit {limit_s:.0f} s)",
        "b_agent": holder.get("workflow") or "mops",
        "b_kind": "write",
        "b_action": "hold_lock",
        "b_run_id": holder.get("run_id"),
        "b_reason": f"{who} (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, since {holder.get('since')})",
        "outcome": outcome,
        "message": f"{waiter.get('what') or 'a run'} {verb} {subject}, held by {who}",
        "detected_at": at,
    }


def note(settings, row: dict) -> None:
    """Append one meeting to the spool (never raises: the lock's own error is what the user needs)."""
    path = spool_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(json.dumps(row, default=str) + "\n")
            handle.flush()
    except OSError:
        pass


def pending(settings) -> list[dict]:
    """Meetings noted and not yet recorded in the warehouse (for a read-only `mops monitor`)."""
    path = spool_path(settings)
    if not path.exists():
        return []
    with path.open() as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        return [_parsed(line) for line in handle if line.strip()]


def _parsed(line: str) -> dict:
    row = json.loads(line)
    row["detected_at"] = pd.Timestamp(row["detected_at"]).to_pydatetime()
    return row


def drain(log: OpsLog, settings) -> int:
    """Move the spooled meetings into ops.conflicts (the caller holds the warehouse); how many."""
    path = spool_path(settings)
    if not path.exists():
        return 0
    with path.open("r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        rows = [_parsed(line) for line in handle if line.strip()]
        known = set(log.query("conflicts").conflict_id) if rows else set()
        log.append("conflicts", [r for r in rows if r["conflict_id"] not in known])
        handle.seek(0)
        handle.truncate()  # only once they are in the warehouse
    return len(rows)


def context_mismatch(consumer: str, run_id: str, label: str, reading: str, newest: dict, producer: str) -> dict:
    """The conflicts row of a consumer refused an output written under another run context."""
    return {
        "conflict_id": _id(OTHER_CONTEXT, label, run_id, newest.get("run_id")),
        "run_id": run_id,
        "rule": OTHER_CONTEXT,
        "subject": label,
        "a_agent": consumer,
        "a_kind": "read",
        "a_action": "read_refused",
        "a_run_id": run_id,
        "a_reason": f"reads for {reading}",
        "b_agent": producer,
        "b_kind": "write",
        "b_action": "wrote_output",
        "b_run_id": newest.get("run_id"),
        "b_reason": f"wrote it for {newest.get('describe')}",
        "outcome": "refused",
        "message": f"{consumer} would read {label}, written under another run context "
        f"(run {newest.get('run_id')}); the read was refused",
        "detected_at": utcnow(),
    }


def recorded(log: OpsLog, since) -> pd.DataFrame:
    """Writer conflicts recorded since `since` (the open ones a monitoring pass shows)."""
    rules = ", ".join(f"'{r}'" for r in WRITER_RULES)  # constants, never input
    return log.query("conflicts", f"rule in ({rules}) and detected_at >= ?", [since], order="detected_at")
