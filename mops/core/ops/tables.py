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
    # rows read per input of each agent run: the history the volume gate compares with (runtime);
    # a read is compared only with reads of the same agent, input, mode and window length (ops/volumes.py)
    "agent_reads": {
        "run_id": "varchar",
        "agent": "varchar",
        "input": "varchar",
        "rows": "bigint",
        "read_at": "timestamp",
        "context_key": "varchar",
        "mode": "varchar",  # live | backfill (workflow run mode; `mops agent run` is live)
        "window_days": "bigint",  # days in the run window the read was made for
        "is_optional": "boolean",  # an optional input (its zero-row reads are not history)
        "status": "varchar",  # passed | gate_failed (failed reads are history too: a lasting level moves the median)
    },
    # a new volume level accepted by a person (`mops gates accept`): the volume gate compares later reads
    # only with reads made after it (audit: who, when, why, and the level accepted)
    "volume_acceptances": {
        "agent": "varchar",
        "input": "varchar",
        "mode": "varchar",
        "window_days": "bigint",
        "rows": "bigint",
        "accepted_by": "varchar",
        "reason": "varchar",
        "accepted_at": "timestamp",
    },
    # one row per workflow run (engine): written `running` at the start, replaced by the final status
    "workflow_runs": {
        "run_id": "varchar",
        "workflow": "varchar",
        "spec_hash": "varchar",
        "git_commit": "varchar",  # the commit the run's code came from (null outside a git checkout)
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
        # the process that runs it (a `running` row whose process is gone is marked crashed on the next start)
        "pid": "bigint",
        "host": "varchar",
        "message": "varchar",
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
        # deadline steps: when it was due, and the share of the time from the run's start to it used at finish
        "due_at": "timestamp",
        "deadline_share": "double precision",
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
        "reason": "varchar",  # why a decision was held: the anomaly (metric, subject, observed vs baseline)
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
    # what each `mops ingest` did with each landing path (per-source telemetry: files refused, rows, new fields)
    "ingests": {
        "path": "varchar",
        "source": "varchar",
        "table_name": "varchar",
        "status": "varchar",  # loaded | replaced | unchanged | duplicate | refused | skipped
        "rows": "bigint",
        "new_fields": "varchar",  # JSON list of columns the format does not know
        "message": "varchar",
        "ingested_at": "timestamp",
    },
    # anomalies the monitoring detectors found after a workflow run (monitoring)
    "anomalies": {
        "anomaly_id": "varchar",
        "run_id": "varchar",
        "family": "varchar",
        "metric": "varchar",
        "subject": "varchar",
        "observed": "varchar",
        "value": "double precision",
        "baseline": "double precision",
        "ratio": "double precision",
        "score": "double precision",
        "direction": "varchar",
        "message": "varchar",
        "detected_at": "timestamp",
    },
    # contradictory decisions across agents, both sides with their run ids (monitoring)
    "conflicts": {
        "conflict_id": "varchar",
        "run_id": "varchar",
        "rule": "varchar",
        "subject": "varchar",
        "a_agent": "varchar",
        "a_kind": "varchar",
        "a_action": "varchar",
        "a_run_id": "varchar",
        "a_reason": "varchar",
        "b_agent": "varchar",
        "b_kind": "varchar",
        "b_action": "varchar",
        "b_run_id": "varchar",
        "b_reason": "varchar",
        "outcome": "varchar",
        "message": "varchar",
        "detected_at": "timestamp",
    },
    # every alert, sent or suppressed, with its delivery status per destination (monitoring)
    "alerts": {
        "alert_id": "varchar",
        "fingerprint": "varchar",
        "run_id": "varchar",
        "rule": "varchar",
        "kind": "varchar",
        "severity": "varchar",
        "subject": "varchar",
        "owner": "varchar",
        "title": "varchar",
        "body": "varchar",
        "destination": "varchar",
        "status": "varchar",
        "error": "varchar",
        "sent_at": "timestamp",
    },
    # the tamper-evident audit ledger: append-only, each entry chained to the previous by SHA-256
    # (writer, reader and verifier in mops/core/governance/ledger.py; never updated nor deleted)
    "audit_log": {
        "seq": "bigint",
        "at": "timestamp",
        "actor": "varchar",
        "action": "varchar",
        "object": "varchar",
        "run_id": "varchar",
        "details": "varchar",
        "prev_hash": "varchar",
        "hash": "varchar",
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
