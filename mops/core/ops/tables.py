"""Every `ops` table and its columns (portable SQL types), in one place.

A table is created on first write; a column added here later is added to existing tables as a
nullable column (the adapters' `append_rows`), so old warehouses keep their history.
"""

from __future__ import annotations

OPS_SCHEMA = "ops"

TABLES: dict[str, dict[str, str]] = {
    # one row per agent run (runtime)
    "agent_runs": {
        "run_id": "varchar",
        "agent": "varchar",
        "status": "varchar",
        "started_at": "timestamp",
        "finished_at": "timestamp",
        "duration_s": "double precision",
        "compute_s": "double precision",
        "context_key": "varchar",
        "context": "varchar",
        "rows_written": "varchar",
        "message": "varchar",
    },
    # every decision an agent returned (runtime)
    "decisions": {
        "run_id": "varchar",
        "agent": "varchar",
        "kind": "varchar",
        "subject": "varchar",
        "action": "varchar",
        "value": "double precision",
        "low": "double precision",
        "high": "double precision",
        "confidence": "double precision",
        "reason": "varchar",
        "details": "varchar",
        "decided_at": "timestamp",
    },
    # rows read per input of each agent run: the history the volume gate compares with (runtime)
    "agent_reads": {
        "run_id": "varchar",
        "agent": "varchar",
        "input": "varchar",
        "rows": "bigint",
        "read_at": "timestamp",
    },
    # one row per workflow run (engine)
    "workflow_runs": {
        "run_id": "varchar",
        "workflow": "varchar",
        "spec_hash": "varchar",
        "mode": "varchar",
        "run_date": "date",
        "status": "varchar",
        "started_at": "timestamp",
        "finished_at": "timestamp",
        "wall_s": "double precision",
        "critical_path_s": "double precision",
        "overhead_s": "double precision",
        "overhead_share": "double precision",
        "event_chain": "varchar",
        "context": "varchar",
        "steps": "varchar",
    },
    # one row per step of a workflow run (engine)
    "workflow_steps": {
        "run_id": "varchar",
        "workflow": "varchar",
        "step": "varchar",
        "kind": "varchar",
        "status": "varchar",
        "duration_s": "double precision",
        "attempts": "bigint",
        "message": "varchar",
        "finished_at": "timestamp",
    },
    # the fate of each decision under an approval rule (engine, approvals)
    "applied_decisions": {
        "run_id": "varchar",
        "workflow": "varchar",
        "step": "varchar",
        "subject": "varchar",
        "value": "double precision",
        "status": "varchar",
        "decided_by": "varchar",
        "recorded_at": "timestamp",
    },
    # events that started (or were stopped from starting) a workflow (events)
    "events": {
        "event_id": "varchar",
        "name": "varchar",
        "source_workflow": "varchar",
        "source_run_id": "varchar",
        "run_date": "date",
        "chain": "varchar",
        "target_workflow": "varchar",
        "status": "varchar",
        "reason": "varchar",
        "occurred_at": "timestamp",
    },
    # one row per planned dbt build: what it selected and why, and whether it succeeded (build_plan)
    "dbt_builds": {
        "build_id": "varchar",
        "command": "varchar",
        "mode": "varchar",
        "selector": "varchar",
        "reasons": "varchar",
        "status": "varchar",
        "nodes": "bigint",
        "started_at": "timestamp",
        "finished_at": "timestamp",
        "message": "varchar",
    },
}
