"""One monitoring pass: read the telemetry, run the detectors and conflict rules, judge green/amber/red.

`assess` only reads (so `mops monitor` can run on a read-only warehouse); `record` writes what is new
to ops.anomalies and ops.conflicts and sends the alerts (after each workflow run).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field

from mops.core.base import StrictModel, utcnow
from mops.core.errors import MopsError
from mops.core.monitoring import anomalies as detect
from mops.core.monitoring.alerts import Alert, AlertConfig, deliver
from mops.core.monitoring.anomalies import Anomaly
from mops.core.monitoring.conflicts import Conflict, find_conflicts
from mops.core.monitoring.detectors import DetectorConfig
from mops.core.monitoring.freshness import SourceFreshness, source_freshness
from mops.core.monitoring.kpis import daily_kpis, kpi_relation
from mops.core.ops import telemetry, writers
from mops.core.ops.records import OpsLog

Level = Literal["green", "amber", "red"]
# a conflict stopped before it did anything (a write that waited for, or gave up on, the lock included)
CAUGHT = {"held", "rejected", "expired", "not_applied", "waited", "refused"}


class MonitorConfig(StrictModel):
    runtime: DetectorConfig = detect.RUNTIME
    volume: DetectorConfig = detect.VOLUME
    kpi: DetectorConfig = detect.KPI
    # metric -> days until a day's value is complete (conversions are counted on the click's day by the
    # platforms and keep arriving for their conversion window): a younger day is judged for spikes only
    kpi_maturity_days: dict[str, int] = Field(default_factory=lambda: {"conversions": 7})
    # days of telemetry a pass reads (the detectors' history)
    history_days: int = Field(default=90, ge=7)
    # decisions this close in time are compared by the conflict rules
    conflict_lookback: timedelta = timedelta(days=2)
    # a workflow run whose orchestration overhead share passes this is amber
    overhead_threshold: float = Field(default=0.15, gt=0, lt=1)
    # channel -> stakeholder commitment the budget must not move against
    commitments: dict[str, str] = Field(default_factory=dict)
    # "schema.table" of the ad performance mart; unset = resolved through dbt's manifest
    kpi_relation: str | None = None
    kpi_checks: bool = True
    # the landing format contracts (contracts/landing): per-source freshness; unset = no freshness checks
    landing_contracts: Path | None = None
    # a deadline step finishing past this share of the time from its run's start to its deadline is at risk
    deadline_risk_share: float = Field(default=0.8, gt=0, le=1)
    # analyst minutes one automated handoff (a successful agent run) saves; the time-saved estimate
    minutes_per_handoff: float = Field(default=15.0, ge=0)
    alerts: AlertConfig = AlertConfig()


class MonitorState(StrictModel):
    checked_at: datetime
    level: Level
    reasons: list[str]
    last_runs: list[dict]
    agents: list[dict]
    anomalies: list[Anomaly]
    conflicts: list[Conflict]
    overhead: list[dict]
    alerts: list[dict]
    impact: dict[str, float]
    notes: list[str]
    day: date | None = None  # the data day judged (a run's date); None: the newest day in the marts
    sources: list[SourceFreshness] = []
    held: list[dict] = []  # decisions held by an anomaly on their step's inputs (last 7 days)
    deadlines: list[dict] = []  # deadline steps of the latest runs past the risk share
    overhead_threshold: float | None = None


def _records(frame: pd.DataFrame, limit: int | None = None) -> list[dict]:
    frame = frame.tail(limit) if limit else frame
    return [
        {k: (None if not isinstance(v, str | list | dict) and pd.isna(v) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def _kpi_anomalies(
    log: OpsLog, config: MonitorConfig, today: date, notes: list[str], until: date | None = None
) -> list[Anomaly]:
    if not config.kpi_checks:
        return []
    try:
        relation = kpi_relation(log.warehouse, config.kpi_relation)
        if not log.warehouse.exists(*relation):
            notes.append(f"KPI checks skipped: {'.'.join(relation)} does not exist yet (run `mops build`)")
            return []
        days = config.kpi.training_window + 1 + max(config.kpi_maturity_days.values(), default=0)
        series = daily_kpis(log.warehouse, relation, days, until=until)
    except MopsError as exc:
        notes.append(f"KPI checks skipped: {exc}")
        return []
    return detect.kpi_anomalies(series, config.kpi, today=today, maturity=config.kpi_maturity_days)


def _freshness(log: OpsLog, config: MonitorConfig, runs: pd.DataFrame, day: date | None, now: datetime, notes):
    if config.landing_contracts is None or not config.landing_contracts.is_dir():
        return []  # a project without landing formats has no sources to judge
    from mops.core.landing import load_registry

    if day is None:  # the day the latest live run was about, else yesterday
        live = runs[runs["mode"].fillna("live").eq("live")] if "mode" in runs else runs
        day = pd.Timestamp(live.run_date.dropna().iloc[-1]).date() if live.run_date.notna().any() else None
    try:
        return source_freshness(
            log, load_registry(config.landing_contracts), day or now.date() - timedelta(days=1), now
        )
    except Exception as exc:  # a source the warehouse cannot answer for is a note, never a failed pass
        notes.append(f"freshness checks skipped: {type(exc).__name__}: {exc}")
        return []


def _deadlines(log: OpsLog, runs: pd.DataFrame, share: float) -> list[dict]:
    """Deadline steps of each workflow's latest run that used more than `share` of the time to their deadline."""
    latest = runs.drop_duplicates("workflow", keep="last").run_id.tolist()
    if not latest:
        return []
    marks = ", ".join("?" for _ in latest)
    steps = log.query("workflow_steps", f"run_id in ({marks}) and deadline_share > ?", [*latest, share])
    return _records(steps[["run_id", "workflow", "step", "status", "due_at", "deadline_share"]])


def _writer_conflicts(log: OpsLog, since: datetime, pending: list[dict]) -> list[Conflict]:
    """Writer conflicts recorded (and noted, not yet recorded) since `since`, as conflicts."""
    fields = list(Conflict.model_fields)
    recorded = writers.recorded(log, since)
    rows = _records(recorded[fields]) + [r for r in pending if r["detected_at"] >= since]
    seen: dict[str, Conflict] = {}
    for row in rows:
        seen.setdefault(row["conflict_id"], Conflict(**{f: row.get(f) for f in fields}))
    return list(seen.values())


def assess(
    log: OpsLog,
    config: MonitorConfig | None = None,
    now: datetime | None = None,
    day: date | None = None,
    pending: list[dict] | None = None,
) -> MonitorState:
    """The current state from the ops records and the marts; reads only.

    `day`: the data day to judge (after a run, its run date: its KPIs and the sources' freshness are judged
    for that day). `pending`: writer conflicts noted beside the lock and not yet recorded (ops.writers.pending).
    """
    config = config or MonitorConfig()
    now = now or utcnow()
    since = now - timedelta(days=config.history_days)
    notes: list[str] = []
    runs = telemetry.workflow_overhead(log, since=since)
    health = telemetry.agent_health(log, since=since)
    found = [
        *detect.runtime_anomalies(telemetry.agent_durations(log, since), config.runtime),
        *detect.volume_anomalies(telemetry.rows_read_daily(log, since), config.volume),
        *_kpi_anomalies(log, config, day or now.date(), notes, until=day),
    ]
    sources = _freshness(
        log, config, log.query("workflow_runs", "started_at >= ?", [since], order="started_at"), day, now, notes
    )
    deadlines = _deadlines(log, runs, config.deadline_risk_share)
    held = log.query(
        "applied_decisions", "status = 'held' and recorded_at >= ?", [now - timedelta(days=7)], order="recorded_at"
    )
    decisions = telemetry.recent_decisions(log, now - config.conflict_lookback * 2)
    run_days = log.query("workflow_runs", "started_at >= ?", [since])[["run_id", "run_date"]]
    decisions = decisions.merge(run_days.rename(columns={"run_date": "day"}), on="run_id", how="left")
    conflicts = find_conflicts(
        decisions, log.query("applied_decisions"), config.commitments, lookback=config.conflict_lookback
    )
    conflicts += _writer_conflicts(log, now - config.conflict_lookback, pending or [])
    recent = log.query("alerts", "sent_at >= ?", [now - timedelta(days=7)], order="sent_at")
    alerts = recent[recent.status != "suppressed"]  # what went out (or failed to); repeats are counted
    level, reasons = _judge(runs, health, found, conflicts, config, sources, deadlines)
    figures = telemetry.impact(log, since, config.minutes_per_handoff)
    figures["conflicts_open"] = float(len(conflicts))
    figures["conflicts_caught"] = float(sum(c.outcome in CAUGHT for c in conflicts))
    figures["conflicts_per_run"] = len(conflicts) / figures["workflow_runs"] if figures["workflow_runs"] else 0.0
    figures["decisions_held"] = float(len(held))
    figures["alerts_sent"] = float(alerts.status.eq("delivered").sum())
    figures["alerts_suppressed"] = float(len(recent) - len(alerts))
    figures["files_refused"] = float(sum({f.source: f.files_refused for f in sources}.values()))  # per source
    # what the layers stopped before it did harm: refused files, gates that stopped an agent, conflicts caught
    # before applying and decisions held by an anomaly
    figures["errors_prevented"] = (
        figures["files_refused"] + figures["gates_stopped_agent"] + figures["conflicts_caught"] + len(held)
    )
    return MonitorState(
        checked_at=now,
        level=level,
        reasons=reasons,
        last_runs=_records(runs.drop(columns=["critical_path_s"]), 10)[::-1],
        agents=_records(health),
        anomalies=found,
        conflicts=conflicts,
        overhead=_records(runs[["run_id", "workflow", "started_at", "overhead_share"]], 30),
        alerts=_records(alerts[["sent_at", "kind", "subject", "status", "destination"]], 50),
        impact=figures,
        notes=notes,
        day=day,
        sources=sources,
        held=_records(held[["run_id", "workflow", "step", "subject", "value", "reason", "recorded_at"]], 50),
        deadlines=deadlines,
        overhead_threshold=config.overhead_threshold,
    )


def _judge(runs, health, found, conflicts, config, sources=(), deadlines=()) -> tuple[Level, list[str]]:
    red, amber = [], []
    for workflow, group in runs.groupby("workflow"):
        last = group.iloc[-1]
        if last.status not in ("succeeded", "running"):
            red.append(f"workflow {workflow}: last run {last.run_id} {last.status}")
        if pd.notna(last.overhead_share) and last.overhead_share > config.overhead_threshold:
            amber.append(
                f"workflow {workflow}: orchestration overhead {last.overhead_share:.0%} of wall time "
                f"(threshold {config.overhead_threshold:.0%})"
            )
    for row in health.itertuples():
        if row.latest_status != "succeeded":
            red.append(f"agent {row.agent}: last run {row.latest_run_id} {row.latest_status}")
    red += [a.message for a in found]
    for conflict in conflicts:
        (amber if conflict.outcome in CAUGHT else red).append(f"conflict ({conflict.outcome}): {conflict.message}")
    red += [f"freshness breach: {s.message}" for s in sources if s.status == "error"]
    amber += [f"freshness warning: {s.message}" for s in sources if s.status == "warn"]
    amber += [_deadline_text(d) for d in deadlines]
    return ("red" if red else "amber" if amber else "green"), red + amber


def _deadline_text(d: dict) -> str:
    return (
        f"deadline at risk: step {d['step']} of {d['workflow']} ({d['status']}) used {d['deadline_share']:.0%} "
        f"of the time from its run's start to its deadline {d['due_at']} UTC (run {d['run_id']})"
    )


def alerts_for(
    state: MonitorState, run_id: str | None, steps: pd.DataFrame | None = None, owners: dict[str, str] | None = None
) -> list[Alert]:
    """What a pass alerts on: anomalies, conflicts, failed steps of this run, overhead above threshold.

    `owners` maps agent names and step ids to the owner their manifest names.
    """
    owners = owners or {}
    alerts = [
        Alert(
            kind="anomaly",
            subject=a.subject,
            key=f"{a.family}:{a.metric}:{a.direction}",
            run_id=run_id,
            title=f"mops: {a.family} anomaly on {a.subject}",
            body=a.message,
            owner=owners.get(a.subject) if a.family == "runtime" else None,
        )
        for a in state.anomalies
    ]
    alerts += [
        Alert(
            kind="conflict",
            subject=c.subject,
            key=c.rule,  # the same rule on the same subject is one problem (across the recent runs it spans)
            run_id=run_id,
            severity="warning" if c.outcome in CAUGHT else "critical",
            title=f"mops: conflict {c.rule} on {c.subject}",
            body=f"{c.message} (outcome: {c.outcome})",
            owner=owners.get(c.a_agent),
        )
        for c in state.conflicts
    ]
    if steps is not None:
        alerts += [
            Alert(
                kind="step_failed",
                subject=f"{s.workflow}:{s.step}",
                key=str(s.run_id),
                run_id=run_id,
                severity="critical",
                owner=owners.get(s.step),
                title=f"mops: step {s.step} of {s.workflow} {s.status}",
                body=f"step {s.step} of workflow {s.workflow} {s.status} in run {s.run_id}: {s.message}"[:2000],
            )
            for s in steps.itertuples()
            if s.status in ("failed", "halted")
        ]
    alerts += [
        Alert(
            kind="freshness",
            subject=f"{s.source}.{s.table}",
            key="freshness",
            run_id=run_id,
            severity="critical" if s.status == "error" else "warning",
            title=f"mops: {s.source}.{s.table} is {'stale' if s.status == 'error' else 'late'}",
            body=s.message,
        )
        for s in state.sources
        if s.status in ("warn", "error")
    ]
    alerts += [
        Alert(
            kind="deadline",
            subject=f"{d['workflow']}:{d['step']}",
            key=str(d["run_id"]),
            run_id=run_id,
            owner=owners.get(d["step"]),
            title=f"mops: step {d['step']} of {d['workflow']} close to its deadline",
            body=_deadline_text(d),
        )
        for d in state.deadlines
        if run_id is None or d["run_id"] == run_id
    ]
    alerts += [
        Alert(
            kind="overhead",
            subject=reason.split(":")[0],
            key="overhead",
            run_id=run_id,
            title="mops: overhead",
            body=reason,
        )
        for reason in state.reasons
        if "orchestration overhead" in reason
    ]
    return alerts


def record(
    log: OpsLog,
    state: MonitorState,
    run_id: str | None,
    config: MonitorConfig | None = None,
    owners: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Write new anomalies and conflicts, then route and send the alerts; returns the alert rows."""
    config = config or MonitorConfig()
    known = set(log.query("anomalies").anomaly_id)
    new = [
        a.model_dump() | {"run_id": run_id, "detected_at": state.checked_at}
        for a in state.anomalies
        if a.anomaly_id not in known
    ]
    log.append("anomalies", new)
    known = set(log.query("conflicts").conflict_id)
    log.append(
        "conflicts",
        [
            c.model_dump() | {"run_id": run_id, "detected_at": state.checked_at}
            for c in state.conflicts
            if c.conflict_id not in known
        ],
    )
    steps = log.query("workflow_steps", "run_id = ?", [run_id]) if run_id else None
    return deliver(log, alerts_for(state, run_id, steps, owners), config.alerts, now=state.checked_at)


def config_from(settings) -> MonitorConfig:
    """The monitoring configuration the settings imply (alert URLs, suppression, overhead threshold)."""
    return MonitorConfig(
        overhead_threshold=settings.monitor_overhead_threshold,
        runtime=detect.RUNTIME.model_copy(update={"min_abs_change": settings.monitor_runtime_min_change_s}),
        deadline_risk_share=settings.monitor_deadline_risk_share,
        kpi_maturity_days={"conversions": settings.monitor_conversion_maturity_days},
        landing_contracts=settings.contracts_dir / "landing",
        alerts=AlertConfig(
            urls=tuple(settings.alert_urls), suppress_for=timedelta(hours=settings.alert_suppress_hours)
        ),
    )
