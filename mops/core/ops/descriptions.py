"""What each `ops` table and column means, for the generated dbt sources (models/ops/) and dbt docs.

The columns themselves live in `tables.TABLES`; a test proves every table and column there is described
here. A column name shared by several tables (run_id, agent, ...) is described once in COMMON; a table
overrides it where its meaning differs.
"""

from __future__ import annotations

COMMON = {
    "run_id": "Id of the workflow (or `mops agent run`) run that wrote the row; stamped on its outputs too.",
    "agent": "Agent name, as in its manifest (`mops inventory`).",
    "workflow": "Workflow spec name (workflows/<name>.yml).",
    "step": "Step id within the workflow spec.",
    "status": "Outcome of the row's action (values depend on the table).",
    "started_at": "When it started (UTC).",
    "finished_at": "When it finished (UTC).",
    "duration_s": "Wall time in seconds.",
    "message": "What went wrong or what was noted, in the user's words (empty when nothing to say).",
    "context_key": "Hash of the run context fields two runs must share (window, attribution model, currency, "
    "timezone): the `_mops_context_key` stamped on outputs.",
    "context": "The run context as JSON (window, attribution model and version, currency, timezone, run id).",
    "subject": "What the row is about: a channel, campaign, creative, agent or table.",
    "value": "The numeric value of the decision or anomaly (its unit depends on the kind).",
    "mode": "Run mode: live or backfill.",
    "window_days": "Days in the run window.",
    "rows": "Row count.",
    "reason": "Why, in the user's words.",
    "run_date": "The day the run was for (its window ends there).",
}

DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "agent_runs": (
        "One row per agent run (the runtime). Grain: run_id x agent.",
        {
            "status": "succeeded | gate_failed | failed | skipped (an input's landing data was never loaded).",
            "compute_s": "Seconds inside the agent's pure function (the rest is gates, reads and writes).",
            "rows_written": "JSON object: output table -> rows written.",
        },
    ),
    "decisions": (
        "Every decision an agent returned (the runtime). Grain: one decision of one agent run.",
        {
            "kind": "Decision kind the manifest declares (e.g. shift_budget, flag_underperforming).",
            "action": "What the agent decided (e.g. increase_spend, flag_over_pacing, held_at_current_spend).",
            "low": "Lower end of the decision value's interval (uncertainty travels).",
            "high": "Upper end of the decision value's interval.",
            "confidence": "The agent's confidence in the decision, 0..1.",
            "details": "JSON object with the decision's details (e.g. campaign_key, amounts).",
            "decided_at": "When the runtime recorded it (UTC).",
        },
    ),
    "agent_reads": (
        "Rows read per input of each agent run: the history the volume gate compares with. "
        "Grain: run_id x agent x input.",
        {
            "input": "The input as read: schema.relation (agent outputs marked when unpinned).",
            "rows": "Rows read from the input for the run's window.",
            "read_at": "When it was read (UTC).",
            "is_optional": "The input is optional (its zero-row reads are not history).",
            "status": "passed | gate_failed.",
        },
    ),
    "volume_acceptances": (
        "A new volume level accepted by a person (`mops gates accept`); later reads compare only with reads "
        "made after it. Grain: one acceptance.",
        {
            "input": "The input whose new level was accepted.",
            "rows": "The level accepted (rows).",
            "accepted_by": "Who accepted it (actor).",
            "reason": "Why it was accepted.",
            "accepted_at": "When (UTC).",
        },
    ),
    "workflow_runs": (
        "One row per workflow run (the engine): `running` at the start, replaced by the final status. Grain: run_id.",
        {
            "spec_hash": "Hash of the workflow spec the run used.",
            "git_commit": "Commit the run's code came from (null outside a git checkout).",
            "status": "running, then succeeded | succeeded_with_skips | failed | cancelled (crashed: process gone).",
            "wall_s": "Wall time in seconds, including the caller's wait before the first step.",
            "critical_path_s": "Seconds of the longest chain of dependent steps.",
            "overhead_s": "Wall time not spent on the critical path (orchestration overhead), seconds.",
            "overhead_share": "overhead_s / wall_s: the orchestration overhead KPI.",
            "event_chain": "JSON list of workflows whose events led to this run.",
            "steps": "JSON list of the steps' summaries.",
            "pid": "Process that ran it (a `running` row whose process is gone is marked crashed).",
            "host": "Host of that process.",
        },
    ),
    "workflow_steps": (
        "One row per step of a workflow run (the engine). Grain: run_id x step.",
        {
            "kind": "Step kind (an agent step, a dbt build, ...), as the spec declares it.",
            "status": "succeeded | failed | halted | skipped | cancelled ...",
            "attempts": "Attempts made (more than 1: it was retried).",
            "due_at": "When the step's declared deadline fell for this run (UTC; null: no deadline).",
            "deadline_share": "Share of the time from the run's start to the deadline used when the step ended "
            "(above MOPS_MONITOR_DEADLINE_RISK_SHARE: deadline at risk).",
        },
    ),
    "applied_decisions": (
        "The fate of each decision under an approval rule. Grain: run_id x step x subject x recorded_at.",
        {
            "status": "auto_applied | approved | rejected | expired | pending | not_applied | held.",
            "reason": "Why a decision was held: the anomaly on the step's inputs (metric, subject, observed vs "
            "baseline).",
            "decided_by": "Who approved or rejected it (null when automatic).",
            "recorded_at": "When (UTC).",
        },
    ),
    "ingests": (
        "One row per landing file `mops ingest` looked at, with its outcome. Grain: path x ingested_at.",
        {
            "path": "The landing file, relative to the landing folder.",
            "source": "Landing source (platform folder).",
            "table_name": "Raw table the file loads into.",
            "status": "loaded | replaced | unchanged | duplicate | refused | skipped.",
            "rows": "Rows loaded from the file (0 when refused).",
            "new_fields": "JSON list of columns in the file that its format does not know (schema-change notice).",
            "message": "Why the file was refused or skipped, naming file, field, row and rule.",
            "ingested_at": "When (UTC).",
        },
    ),
    "events": (
        "Events that started (or were stopped from starting) a workflow. Grain: event x target workflow.",
        {
            "event_id": "Id of the event.",
            "name": "Event name (e.g. mops.workflow.daily.succeeded).",
            "source_workflow": "Workflow whose run emitted it.",
            "source_run_id": "Run that emitted it.",
            "chain": "JSON list of workflows the event chain went through.",
            "target_workflow": "Workflow it would start.",
            "status": "triggered | stopped.",
            "occurred_at": "When (UTC).",
        },
    ),
    "anomalies": (
        "Anomalies the monitoring detectors found after a workflow run. Grain: anomaly_id.",
        {
            "anomaly_id": "Stable id of the anomalous point (family, metric, subject, observed).",
            "run_id": "Run after which it was detected.",
            "family": "runtime | volume | kpi.",
            "metric": "The measure (duration_s, rows, spend, clicks, conversions).",
            "observed": "Run id or day of the anomalous point.",
            "value": "The observed value.",
            "baseline": "The robust baseline it was compared with (median of the training window).",
            "ratio": "value / baseline.",
            "score": "Robust z-score (MAD-scaled).",
            "direction": "spike | drop.",
            "message": "The anomaly in the user's words.",
            "detected_at": "When (UTC).",
        },
    ),
    "conflicts": (
        "Conflicts between agents and between writers, both sides with their run ids. Side a acts, side b is "
        "what it contradicts or met. Grain: conflict_id.",
        {
            "conflict_id": "Stable id of the conflict.",
            "run_id": "Run after which (or in which) it was recorded.",
            "rule": "The rule that matched (mops/core/monitoring/conflicts.py, mops/core/ops/writers.py).",
            "subject": "What both sides are about (a channel, a table, the warehouse).",
            "a_agent": "Agent (or workflow) of side a.",
            "a_kind": "Decision kind of side a (read / write for writer conflicts).",
            "a_action": "Action of side a.",
            "a_run_id": "Run of side a.",
            "a_reason": "Side a's reason.",
            "b_agent": "Agent (or workflow) of side b.",
            "b_kind": "Decision kind of side b.",
            "b_action": "Action of side b.",
            "b_run_id": "Run of side b.",
            "b_reason": "Side b's reason.",
            "outcome": "What was done with side a: held, applied, pending, waited, refused, recorded, ...",
            "detected_at": "When (UTC).",
        },
    ),
    "alerts": (
        "Every alert, sent or suppressed, with its delivery status per destination. Grain: alert_id x destination.",
        {
            "alert_id": "Id of the alert.",
            "fingerprint": "What makes two alerts the same problem (suppression interval).",
            "run_id": "Run after which it was raised.",
            "rule": "Alert rule that raised it.",
            "kind": "anomaly | conflict | step_failed | overhead | ...",
            "severity": "warning | critical.",
            "subject": "What it is about.",
            "owner": "Owner from the agent manifest (who it is for).",
            "title": "Alert title.",
            "body": "Alert text.",
            "destination": "Destination URL with secrets masked.",
            "status": "delivered | failed | suppressed (one problem, one alert).",
            "error": "Delivery error, if any.",
            "sent_at": "When (UTC).",
        },
    ),
    "audit_log": (
        "The tamper-evident audit ledger: append-only, each entry chained to the previous by SHA-256. Grain: seq.",
        {
            "seq": "Position in the ledger.",
            "at": "When (UTC).",
            "actor": "Who acted (settings actor).",
            "action": "The permissioned action.",
            "object": "What it acted on.",
            "details": "JSON details.",
            "prev_hash": "Hash of the previous entry.",
            "hash": "SHA-256 over this entry and prev_hash.",
        },
    ),
    "dbt_builds": (
        "One row per planned dbt build: what it selected and why, and whether it succeeded. Grain: build_id.",
        {
            "build_id": "Id of the build.",
            "command": "dbt command (build, run, test).",
            "mode": "all | changed | nothing | selected.",
            "selector": "The dbt selection it ran (null: everything).",
            "reasons": "JSON list of why those nodes were selected.",
            "status": "succeeded | failed | skipped.",
            "nodes": "Nodes built.",
        },
    ),
}


def table_description(table: str) -> str:
    return DESCRIPTIONS[table][0]


def column_description(table: str, column: str) -> str | None:
    """The column's description (its table's, else the shared one); None when undescribed."""
    own = DESCRIPTIONS.get(table, ("", {}))[1]
    return own.get(column) or COMMON.get(column) or None
