"""Telemetry over time, read from the ops records: durations, rows, overhead, success and retry rates.

Readers only; each returns a tidy frame (empty with its columns when nothing was recorded yet) that
the monitoring detectors, `mops monitor` and the dashboard share, so they always agree.
"""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from mops.core.ops.records import OpsLog


def _since(column: str, since: datetime | None) -> tuple[str, list]:
    return (f"{column} >= ?", [since]) if since is not None else ("", [])


def agent_durations(log: OpsLog, since: datetime | None = None) -> pd.DataFrame:
    """One row per agent run, oldest first: wall and compute seconds and status."""
    where, params = _since("started_at", since)
    runs = log.query("agent_runs", where, params, order="started_at")
    return runs[["agent", "run_id", "status", "started_at", "duration_s", "compute_s"]].reset_index(drop=True)


def rows_written(log: OpsLog, since: datetime | None = None) -> pd.DataFrame:
    """Rows each agent run wrote per output table (`agent`, `run_id`, `started_at`, `table`, `rows`)."""
    where, params = _since("started_at", since)
    runs = log.query("agent_runs", where, params, order="started_at")
    out = [
        {"agent": r.agent, "run_id": r.run_id, "started_at": r.started_at, "table": table, "rows": int(rows)}
        for r in runs.itertuples()
        for table, rows in json.loads(r.rows_written or "{}").items()
    ]
    return pd.DataFrame(out, columns=["agent", "run_id", "started_at", "table", "rows"])


def rows_read_daily(log: OpsLog, since: datetime | None = None) -> pd.DataFrame:
    """Rows read per input per day (the largest read that day): the volume series of the marts agents read."""
    where, params = _since("read_at", since)
    reads = log.query("agent_reads", where, params, order="read_at")
    if reads.empty:
        return pd.DataFrame(columns=["table", "day", "rows"])
    reads = reads.assign(day=pd.to_datetime(reads.read_at).dt.date, table=reads.input)
    return reads.groupby(["table", "day"], as_index=False)["rows"].max()


def workflow_overhead(log: OpsLog, workflow: str | None = None, since: datetime | None = None) -> pd.DataFrame:
    """Per workflow run, oldest first: wall time, critical path, overhead seconds and share, status."""
    conditions, params = [], []
    if workflow:
        conditions.append("workflow = ?")
        params.append(workflow)
    if since is not None:
        conditions.append("started_at >= ?")
        params.append(since)
    runs = log.query("workflow_runs", " and ".join(conditions), params, order="started_at")
    columns = ["run_id", "workflow", "run_date", "status", "started_at", "wall_s", "critical_path_s"]
    return runs[[*columns, "overhead_s", "overhead_share"]].reset_index(drop=True)


def agent_health(log: OpsLog, since: datetime | None = None) -> pd.DataFrame:
    """Per agent: runs, failures, success rate, median and latest duration, latest status."""
    runs = agent_durations(log, since)
    columns = ["agent", "runs", "failed", "success_rate", "median_s", "latest_s", "latest_status", "latest_run_id"]
    if runs.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for agent, group in runs.groupby("agent"):
        ok = group.status.eq("succeeded")
        last = group.iloc[-1]
        rows.append(
            {
                "agent": agent,
                "runs": len(group),
                "failed": int((~ok).sum()),
                "success_rate": float(ok.mean()),
                "median_s": float(group.duration_s.median()),
                "latest_s": float(last.duration_s) if pd.notna(last.duration_s) else None,
                "latest_status": last.status,
                "latest_run_id": last.run_id,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def step_retries(log: OpsLog, since: datetime | None = None) -> pd.DataFrame:
    """Per workflow step: runs, runs that needed a retry, retry rate, failures."""
    where, params = _since("finished_at", since)
    steps = log.query("workflow_steps", where, params)
    columns = ["workflow", "step", "runs", "retried", "retry_rate", "failed"]
    if steps.empty:
        return pd.DataFrame(columns=columns)
    steps = steps.assign(retried=steps.attempts.fillna(1).astype(int) > 1, is_failed=steps.status.eq("failed"))
    grouped = steps.groupby(["workflow", "step"], as_index=False).agg(
        runs=("status", "size"), retried=("retried", "sum"), failed=("is_failed", "sum")
    )
    grouped["retry_rate"] = grouped.retried / grouped.runs
    return grouped[columns]


def recent_decisions(log: OpsLog, since: datetime | None = None) -> pd.DataFrame:
    """Decisions agents returned (optionally since a time), oldest first, with their details parsed."""
    where, params = _since("decided_at", since)
    decisions = log.query("decisions", where, params, order="decided_at")
    decisions["details"] = [json.loads(d) if isinstance(d, str) and d else {} for d in decisions.details]
    return decisions.reset_index(drop=True)


def impact(log: OpsLog, since: datetime | None = None, minutes_per_handoff: float = 15.0) -> dict[str, float]:
    """Business-impact figures: decisions made and applied, errors prevented, analyst time saved.

    A handoff is one successful agent run (an analyst would otherwise have pulled its inputs and passed
    its output on); `minutes_per_handoff` is what each is assumed to cost by hand.
    """
    runs = agent_durations(log, since)
    where, params = _since("decided_at", since)
    decisions = log.count("decisions", where, params)  # counted in the warehouse: a day can hold thousands
    where, params = _since("recorded_at", since)
    applied = log.query("applied_decisions", where, params)
    where, params = _since("started_at", since)
    workflow_runs = log.query("workflow_runs", where, params)
    handoffs = int(runs.status.eq("succeeded").sum())
    return {
        "workflow_runs": float(len(workflow_runs)),
        "decisions_made": float(decisions),
        "decisions_applied": float(applied.status.isin(["auto_applied", "approved"]).sum()),
        "gates_stopped_agent": float(runs.status.eq("gate_failed").sum()),
        "handoffs_automated": float(handoffs),
        "analyst_hours_saved": handoffs * minutes_per_handoff / 60.0,
    }
