"""What Prefect shows of a workflow run: its name, tags, artifact keys and the story in its logs.

Everything the CLI prints as progress (steps starting and ending, gate results, stale inputs,
decisions, approvals waited for, events emitted) is also told to Prefect's run logger, so the Logs
tab of the flow run and of each task run reads like the terminal. Outside a Prefect run (a plain
function call in the benchmark) the lines go to the `mops` logger instead.
"""

from __future__ import annotations

import getpass
import logging
import re
from datetime import UTC, date, datetime, timedelta

from mops.core.base import utcnow

FALLBACK_LOGGER = logging.getLogger("mops")


def logger():
    """Prefect's run logger in a flow or task run (its lines reach the UI), else the `mops` logger."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return FALLBACK_LOGGER


def tell(message: str, *args, warning: bool = False) -> None:
    log = logger()
    (log.warning if warning else log.info)(message, *args)


# --- names, dates, tags, keys ----------------------------------------------------------------


def resolve_run_date(run_date: str | None, scheduled: datetime | None = None) -> date:
    """The run's last day of data: the given date, else the day before the run was scheduled (UTC).

    Scheduled and event-triggered runs arrive without a date (or with an empty template value); the
    flow run's scheduled start time is fixed when Prefect creates the run, so the run's name and
    its body resolve the same day even across midnight.
    """
    if run_date:
        return date.fromisoformat(run_date)
    when = scheduled or utcnow()
    return (when.astimezone(UTC) - timedelta(days=1)).date()


def scheduled_start() -> datetime | None:
    from prefect.runtime import flow_run

    if flow_run.get_id() is None:
        return None
    return flow_run.get_scheduled_start_time()


def flow_run_name() -> str:
    """`<workflow> <run date>`, e.g. `daily 2026-06-30` (Prefect calls this before the flow body)."""
    from prefect.runtime import flow_run

    parameters = flow_run.get_parameters()
    day = resolve_run_date(parameters.get("run_date"), scheduled_start())
    return f"{parameters.get('workflow', 'workflow')} {day.isoformat()}"


def slug(text: str) -> str:
    """A Prefect artifact key: lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def summary_key(workflow: str) -> str:
    return slug(f"mops-{workflow}")


def report_key(workflow: str) -> str:
    return slug(f"mops-{workflow}-report")


def run_tags(workflow: str, trigger: str, actor: str) -> list[str]:
    return ["mops", f"workflow:{workflow}", f"trigger:{trigger}", f"actor:{actor}"]


def local_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def tag_deployment_run(workflow: str, event_chain: list[str]) -> None:
    """A deployment's run (schedule, event, UI or API) learns its trigger and actor once it starts."""
    from prefect.runtime import deployment, flow_run

    run_id = flow_run.get_id()
    if run_id is None or deployment.get_id() is None:
        return
    try:
        _retag(run_id, workflow, event_chain)
    except Exception as exc:  # tags are metadata: a run never fails for them
        tell("could not tag the flow run with its trigger and actor: %s", exc, warning=True)


def _retag(run_id: str, workflow: str, event_chain: list[str]) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        current = client.read_flow_run(run_id)
        if event_chain:
            trigger, actor = "event", f"event-from-{event_chain[-1]}"
        elif current.auto_scheduled:
            trigger, actor = "schedule", "prefect-scheduler"
        else:
            trigger, actor = "manual", "prefect-ui-or-api"
        tags = [t for t in current.tags if not t.startswith(("trigger:", "actor:"))]
        tags += [t for t in run_tags(workflow, trigger, actor) if t not in tags]
        client.update_flow_run(run_id, tags=tags)


# --- the story -------------------------------------------------------------------------------


def step_started(step: str, stale_inputs: tuple[str, ...]) -> None:
    tell("step %s started", step)
    if stale_inputs:
        tell("step %s reads stale inputs (upstream skipped): %s", step, ", ".join(stale_inputs), warning=True)


def step_finished(outcome) -> None:
    """The step's end, its gate result, decisions, approvals and warnings, one line each."""
    ok = outcome.status == "succeeded"
    tell(
        "step %s %s in %.2f s (attempts %d)%s",
        outcome.step,
        outcome.status,
        outcome.duration_s,
        outcome.attempts,
        f": {outcome.message}" if outcome.message else "",
        warning=not ok,
    )
    if outcome.kind == "agent" and outcome.status != "halted":
        gate = "failed" if outcome.message.startswith(("GateFailed", "ContextMismatch")) else "passed"
        if outcome.attempts or gate == "failed":
            tell("step %s gates %s", outcome.step, gate, warning=gate == "failed")
    for table, rows in outcome.rows_written.items():
        tell("step %s wrote %d rows to %s", outcome.step, rows, table)
    for decision in outcome.decisions:
        tell(
            "step %s decision %s on %s: %s%s (confidence %.2f)",
            outcome.step,
            decision.kind,
            decision.subject,
            decision.action,
            "" if decision.value is None else f" {decision.value:,.2f}",
            decision.confidence,
        )
    for approval in outcome.approvals:
        tell(
            "step %s approval %s: %s%s",
            outcome.step,
            approval["subject"],
            approval["status"],
            f" by {approval['decided_by']}" if approval.get("decided_by") else "",
        )
    for warning in outcome.warnings:
        tell("step %s: %s", outcome.step, warning, warning=True)


def run_finished(summary) -> None:
    tell(
        "run %s %s: wall %.1f s (caller waited %.1f s before the first step), critical path %.1f s, overhead %.2f s",
        summary.run_id,
        summary.status,
        summary.wall_s,
        summary.startup_s,
        summary.critical_path_s,
        summary.overhead_s,
        warning=summary.status == "failed",
    )


def event_emitted(name: str, workflow: str) -> None:
    tell("event %s emitted by %s", name, workflow)
