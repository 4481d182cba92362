"""The volume gate's history: which earlier reads a read is compared with, and accepted new levels.

Like is compared with like (issue 11, issue 16): a read is compared only with earlier reads of the same input by
the same agent, in the same mode (a backfill's reads apart from live runs') and for the same window length;
zero-row reads of optional inputs are no history; failed reads are (so a lasting new level moves the median);
and a person can accept a new level (`mops gates accept`), after which only later reads count. Each acceptance
is a row in ops.volume_acceptances: who, when, why and the level, so the audit trail shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mops.core.base import utcnow
from mops.core.errors import MopsError
from mops.core.ops.records import OpsLog
from mops.core.ops.tables import OPS_SCHEMA

HISTORY_READS = 10  # the most recent comparable reads the median is taken over


class UnknownInput(MopsError):
    """`mops gates accept` named an input the agent has never read."""


@dataclass(frozen=True)
class ReadKind:
    """What makes two reads comparable."""

    agent: str
    input: str
    mode: str
    window_days: int


def comparable_volumes(ops: OpsLog, kind: ReadKind, limit: int = HISTORY_READS) -> list[int]:
    """Rows of the most recent comparable reads (newest first), after the latest accepted level."""
    if not ops.exists("agent_reads"):
        return []
    accepted = latest_acceptance(ops, kind)
    sql = (
        f"select rows from {OPS_SCHEMA}.agent_reads where agent = ? and input = ? and mode = ? and window_days = ?"
        " and not (coalesce(is_optional, false) and rows = 0)"
    )
    params: list = [kind.agent, kind.input, kind.mode, kind.window_days]
    if accepted is not None:
        sql += " and read_at > ?"
        params.append(accepted)
    rows = ops.warehouse.query(sql + " order by read_at desc limit ?", [*params, limit])
    return [int(r) for r in rows["rows"]]


def latest_acceptance(ops: OpsLog, kind: ReadKind):
    if not ops.exists("volume_acceptances"):
        return None
    rows = ops.warehouse.query(
        f"select max(accepted_at) as at from {OPS_SCHEMA}.volume_acceptances "
        "where agent = ? and input = ? and mode = ? and window_days = ?",
        [kind.agent, kind.input, kind.mode, kind.window_days],
    )
    value = rows["at"].iloc[0] if len(rows) else None
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def record_reads(ops: OpsLog, run_id: str, context_key: str, reads: list[dict], mode: str, window_days: int) -> None:
    """One row per input read (input, rows, is_optional, status), passed or failed."""
    stamp = {"run_id": run_id, "context_key": context_key, "mode": mode, "window_days": window_days}
    ops.append("agent_reads", [{**r, **stamp, "read_at": utcnow()} for r in reads])


def accept_level(ops: OpsLog, agent: str, name: str, accepted_by: str, reason: str) -> list[dict]:
    """Accept the latest read level of an agent's input, per mode and window length it was read under.

    `name` is the input as recorded (e.g. main_marts.fct_conversion_paths_v1) or its model/table name
    (fct_conversion_paths). Returns the acceptances written.
    """
    if not reason.strip():
        raise MopsError("an accepted volume level needs a reason (it goes to the audit trail)")
    reads = ops.query("agent_reads", "agent = ?", [agent], order="read_at desc")
    if reads.empty:
        raise UnknownInput(f"agent {agent} has no recorded reads (ops.agent_reads): nothing to accept")
    labels = sorted(set(reads["input"]))
    matching = [label for label in labels if _names(label, name)]
    if not matching:
        raise UnknownInput(f"agent {agent} has never read an input named {name!r}; it reads: {', '.join(labels)}")
    now = utcnow()
    accepted = []
    for label in matching:
        latest = reads[reads["input"] == label].copy()
        latest["mode"] = latest["mode"].fillna("live")
        latest = latest.dropna(subset=["window_days"]).drop_duplicates(["mode", "window_days"])
        for row in latest.itertuples():
            accepted.append(
                {
                    "agent": agent,
                    "input": label,
                    "mode": row.mode,
                    "window_days": int(row.window_days),
                    "rows": int(row.rows),
                    "accepted_by": accepted_by,
                    "reason": reason,
                    "accepted_at": now,
                }
            )
    if not accepted:
        raise UnknownInput(f"agent {agent}: the reads of {name!r} predate read kinds (no window length recorded)")
    ops.append("volume_acceptances", accepted)
    return accepted


def _names(label: str, name: str) -> bool:
    """A recorded input label ('fct_conversions v1 (marts.fct_conversions_v1)') is named by any of its parts."""
    if label == name:
        return True
    parts = {label.split(" ")[0], *(p.strip("()") for p in label.split(" ")[1:] if p.startswith("("))}
    for part in parts:
        relation = part.split(".")[-1]
        base, _, version = relation.rpartition("_v")
        if name in (part, relation) or (base == name and version.isdigit()):
            return True
    return False
