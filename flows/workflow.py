"""The one generic Prefect flow that runs any workflow spec.

Steps of `run_workflow`:
1. load the spec and its hash, build the plan (dependencies derived from the agents' manifests)
2. stop at once if the triggering event's causal chain loops back to this workflow
3. build the run context (date window, attribution model/version, currency, time zone)
4. run every step as one Prefect task, in dependency order, in parallel where independent,
   each under its failure policy, deadline and approval rule
5. record the run (spec hash, step outcomes, orchestration overhead) in the ops schema
6. publish the summary and the report as Prefect artifacts and emit the run's events
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime

from prefect import flow, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows import observe
from flows.approvals import ApprovalStore
from flows.engine import (
    RunSettings,
    StepOutcome,
    WarehouseSession,
    execute_step,
    run_plan,
)
from flows.locking import warehouse_lock
from flows.monitoring import monitor_run
from flows.plan import DBT_BUILT_EVENT, PlannedStep, agent_succeeded_event, decision_event, workflow_completed_event
from flows.registry import load_plan
from flows.review import require_reviewed
from flows.run_history import account_time_zones, overhead, record_run, run_status, step_estimates
from flows.run_record import base_row, output_sources, record_interrupted, record_start
from flows.summary import RunSummary, markdown_summary
from mops.core import interrupts
from mops.core.base import utcnow
from mops.core.errors import MopsError
from mops.core.governance import resolve_actor
from mops.core.governance.guard import record_workflow_run
from mops.core.governance.production import head_commit
from mops.core.runtime.context import RunContext
from mops.core.settings import get_settings
from mops.core.transform import prewarm


class EventLoopStopped(MopsError):
    """A run an event chain would start again inside its own chain."""


# Callables told about each step as it starts (outcome None) and ends, e.g. the CLI's progress lines.
PROGRESS_LISTENERS: list[Callable[[str, str, StepOutcome | None], None]] = []


def _tell(workflow: str, step: str, outcome: StepOutcome | None) -> None:
    for listener in PROGRESS_LISTENERS:
        listener(workflow, step, outcome)


@task(task_run_name="{planned.id}", cache_policy=NO_CACHE)
def step_task(planned: PlannedStep, context: RunContext, run: RunSettings) -> StepOutcome:
    """One step: a dbt command or one agent (the runtime gates, runs, validates and writes)."""
    _tell(run.workflow, planned.id, None)
    observe.step_started(planned.id, context.stale_inputs)
    outcome = execute_step(planned, context, run)
    _tell(run.workflow, planned.id, outcome)
    observe.step_finished(outcome)
    return outcome


def submit_step(planned: PlannedStep, context: RunContext, run: RunSettings):
    """Start one step as a Prefect task run, without the flow run's tags.

    Prefect asks its API for tag-based concurrency slots before every task run that has tags (a round trip
    on the critical path of every step, 0.3-2.5 s each on a loaded machine), although a step's concurrency is
    the spec's `concurrency.max_parallel` and the warehouse lock's. The flow run keeps its tags (workflow,
    trigger, actor); its task runs are found through it.
    """
    from prefect.context import TagsContext

    with TagsContext(current_tags=set()):  # the task runner copies this context into the task's thread
        return step_task.submit(planned, context, run)


def _halted(outcome: StepOutcome) -> None:
    """Steps halted by a failed upstream never become tasks: the flow run's log says so."""
    if outcome.status == "halted":
        observe.step_finished(outcome)


def emitted_events(outcomes: dict[str, StepOutcome], plan) -> list[str]:
    names = []
    for outcome in outcomes.values():
        planned = plan.steps[outcome.step]
        if outcome.status != "succeeded":
            continue
        if planned.agent is None:
            names.append(DBT_BUILT_EVENT)
            continue
        names.append(agent_succeeded_event(planned.agent.name))
        names += sorted({decision_event(d.kind) for d in outcome.decisions})
    if not interrupts.stop_requested():  # a cancelled run did not complete
        names.append(workflow_completed_event(plan.spec.name))
    return list(dict.fromkeys(names))


@flow(name="mops-workflow", flow_run_name=observe.flow_run_name, task_runner=ThreadPoolTaskRunner(max_workers=4))
def run_workflow(
    workflow: str,
    run_date: str | None = None,
    mode: str = "live",
    event_chain: str = "",
    as_of: str | None = None,
    run_id: str | None = None,
    approvals: str = "wait",
    caller_started_at: float | None = None,
) -> RunSummary:
    """Run one workflow spec for one day; returns the run summary (also recorded in ops).

    `caller_started_at` (epoch seconds) is when the caller began waiting (the CLI's process start),
    so the recorded wall time and overhead include the wait before the first step.
    """
    settings = get_settings()
    plan, catalog = load_plan(settings, workflow)
    require_reviewed(plan, settings)
    chain = [c for c in event_chain.split(",") if c]
    day = observe.resolve_run_date(run_date, observe.scheduled_start())
    observe.tag_deployment_run(workflow, chain)
    spec_context = plan.spec.context
    context = RunContext.for_day(
        day,
        spec_context.window_days,
        attribution_model=spec_context.attribution_model,
        attribution_version=spec_context.attribution_version,
        reporting_currency=settings.reporting_currency,
        timezone=spec_context.timezone,
        **({"run_id": run_id} if run_id else {}),
    )
    if workflow in chain:  # a served deployment triggered through a loop: stop before doing anything
        raise EventLoopStopped(f"workflow {workflow}: event chain {' -> '.join(chain)} loops back to it; not run")
    # SIGTERM/SIGINT ask the run to stop: no new step, waits end, dbt is killed, the run ends `cancelled`
    with (
        interrupts.handle_signals(),
        interrupts.cooperative(),
        warehouse_lock(
            settings, what=f"run {context.run_id} of {workflow}", run_id=context.run_id, workflow=workflow
        ),
    ):
        return _run(plan, catalog, settings, context, chain, day, mode, approvals, as_of, caller_started_at)


def _run(plan, catalog, settings, context, chain, day, mode, approvals, as_of, caller_started_at) -> RunSummary:
    wall = time.perf_counter()
    if any(s.agent is None for s in plan.steps.values()):
        prewarm(settings)  # dbt's import overlaps the run's start (done already when the CLI started it)
    # the caller's wait before this point (process start, Prefect server, flow run creation) counts too
    startup_s = max(time.time() - caller_started_at, 0.0) if caller_started_at else 0.0
    workflow = plan.spec.name
    started = datetime.fromisoformat(as_of) if as_of else utcnow()
    offset = started - utcnow()
    session = WarehouseSession(settings)
    row = base_row(plan, context, mode, day, started, chain)
    try:
        record_start(session.get(), ApprovalStore(settings.var_path / "approvals"), row)
        estimates, zones = {}, []
        if any(s.step.deadline for s in plan.steps.values()):
            warehouse = session.get()
            estimates, zones = step_estimates(warehouse, workflow), account_time_zones(warehouse)
        run = RunSettings(
            settings=settings,
            session=session,
            catalog=catalog,
            run_id=context.run_id,
            workflow=workflow,
            mode=mode,
            approvals_mode=approvals,
            clock=lambda: utcnow() + offset,
            estimates=estimates,
            account_zones=zones,
            started_at=started,
            run_date=day,
            actor=resolve_actor(settings),
        )
        interrupts.check()
        outcomes = run_plan(plan, context, run, lambda planned, ctx: submit_step(planned, ctx, run), _halted)
        wall_s = time.perf_counter() - wall + startup_s
        kpi = overhead(plan, outcomes, wall_s)
        summary = RunSummary(
            run_id=context.run_id,
            workflow=workflow,
            spec_hash=plan.spec_hash,
            mode=mode,
            run_date=day.isoformat(),
            status=run_status(outcomes),
            context=context.describe(),
            event_chain=chain,
            steps=[outcomes[s].summary() for s in plan.order if s in outcomes],
            events=emitted_events(outcomes, plan),
            startup_s=startup_s,
            output_runs=output_sources(session.get(), context),
            **kpi,
        )
        record = {
            "run_id": context.run_id,
            "workflow": workflow,
            "spec_hash": plan.spec_hash,
            "git_commit": head_commit(settings.project_dir),
            "mode": mode,
            "run_date": day,
            "status": summary.status,
            "started_at": started,
            "finished_at": utcnow() + offset,
            "event_chain": json.dumps(chain),
            "context": context.model_dump_json(),
            "steps": json.dumps([step.model_dump() for step in summary.steps], default=str),
            **kpi,
        }
        record_run(session.get(), record, outcomes)
        monitor_run(session.get(), settings, context.run_id, plan)  # monitoring: anomalies, conflicts, alerts
        ledger_refused = _ledger_run(settings, session, run.actor, summary)
    except BaseException as exc:  # not summarised (a second signal, an engine error): still recorded
        _record_interrupted(session, row, exc)
        raise
    finally:
        session.release()
    _publish(summary, as_of)
    observe.run_finished(summary)
    if ledger_refused:  # the run is recorded and published; the ledger's refusal is the caller's error
        raise ledger_refused
    return summary


def _ledger_run(settings, session: WarehouseSession, actor: str, summary: RunSummary) -> MopsError | None:
    """Governance: the run's ledger entry, on the warehouse the run holds (served and worker runs too)."""
    try:
        record_workflow_run(settings, session.get(), actor, summary.model_dump())
    except MopsError as exc:  # e.g. the chain does not end at its recorded head: not an interrupted run
        return exc
    return None


def _record_interrupted(session: WarehouseSession, row: dict, error: BaseException) -> None:
    import contextlib

    with contextlib.suppress(Exception):  # the original error is what the user needs to see
        record_interrupted(session.get(), row, error)


def _publish(summary: RunSummary, as_of: str | None = None) -> None:
    """Summary (and the report, where one was written) as Prefect artifacts; events to Prefect's bus."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.events import emit_event

    key = observe.summary_key(summary.workflow)
    create_markdown_artifact(markdown_summary(summary), key=key, description=f"mops {summary.workflow} run")
    for step in summary.steps:
        report = step.artifacts.get("report.md")
        if report:
            with open(report) as handle:
                create_markdown_artifact(
                    handle.read(),
                    key=observe.report_key(summary.workflow),
                    description=f"performance report of {summary.workflow}",
                )
    for name in summary.events:
        observe.event_emitted(name, summary.workflow)
        emit_event(
            event=name,
            resource={"prefect.resource.id": f"mops.workflow.{summary.workflow}", "mops.run_id": summary.run_id},
            payload={
                "run_date": summary.run_date,
                "chain": ",".join([*summary.event_chain, summary.workflow]),
                "source_run_id": summary.run_id,
                "as_of": as_of or "",  # a chain started "as of" a time judges its deadlines from it
            },
        )
