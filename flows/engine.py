"""Executing a plan: steps in dependency order, in parallel where independent, under policies.

The scheduler is independent of Prefect: `run_plan` takes a `submit` function that starts a step
and returns a future. The Prefect flow (flows/workflow.py) submits each step as one Prefect
task; the benchmark submits plain function calls, so orchestration overhead can be compared.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flows.approvals import ApprovalStore
from flows.holds import hold_decisions
from flows.plan import Plan, PlannedStep, due_for_run_date
from flows.summary import ApprovalOutcome, StepSummary
from flows.ui_approvals import wait_for_decisions
from flows.waits import announce_approval_wait
from mops.core import interrupts
from mops.core.availability import InputUnavailable
from mops.core.base import utcnow
from mops.core.errors import MopsError, WarehouseBusy
from mops.core.runtime.agent import Agent, Decision
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import Runner
from mops.core.settings import Settings
from mops.core.warehouse.adapter import Warehouse, open_warehouse

TRANSIENT = (WarehouseBusy, ConnectionError, TimeoutError)
# dbt failures worth retrying: a DuckDB file held by another process, a PostgreSQL lock or serialization
# conflict, a dropped connection. Any other failure (a test, a compile error, a model named "lock") is not.
TRANSIENT_DBT_ERRORS = re.compile(
    r"Could not set lock on file|Conflicting lock is held|could not obtain lock|deadlock detected|"
    r"could not serialize access|canceling statement due to lock timeout|server closed the connection|"
    r"connection refused",
    re.IGNORECASE,
)


class TransientError(MopsError):
    """A failure worth retrying (a busy resource, a network blip)."""


class StepFailed(MopsError):
    """A dbt step that did not pass."""


@dataclass
class StepOutcome:
    step: str
    kind: str
    status: str  # succeeded | failed | skipped | halted | cancelled
    duration_s: float = 0.0
    attempts: int = 0
    message: str = ""
    stale_inputs: tuple[str, ...] = ()
    decisions: list[Decision] = field(default_factory=list)
    approvals: list[dict] = field(default_factory=list)
    rows_written: dict[str, int] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    due_at: datetime | None = None  # a deadline step's deadline (UTC)
    deadline_share: float | None = None  # of the time from the run's start to the deadline, the share used

    def summary(self) -> StepSummary:
        return StepSummary(
            step=self.step,
            kind=self.kind,
            status=self.status,
            duration_s=round(self.duration_s, 3),
            attempts=self.attempts,
            message=self.message,
            stale_inputs=list(self.stale_inputs),
            decisions=len(self.decisions),
            approvals=[ApprovalOutcome.model_validate(a) for a in self.approvals],
            rows_written=self.rows_written,
            artifacts=self.artifacts,
            warnings=self.warnings,
        )


class WarehouseSession:
    """One warehouse connection shared by the run's agent steps; released while dbt runs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._warehouse: Warehouse | None = None
        self._lock = threading.Lock()  # parallel steps must share one connection, not race to open two

    def get(self) -> Warehouse:
        with self._lock:
            if self._warehouse is None:
                self._warehouse = open_warehouse(self.settings)
            return self._warehouse

    def release(self) -> None:
        with self._lock:
            if self._warehouse is not None:
                self._warehouse.close()
                self._warehouse = None


@dataclass
class RunSettings:
    """Everything a step needs besides its plan entry; one per workflow run."""

    settings: Settings
    session: WarehouseSession
    catalog: dict[str, Agent]
    run_id: str
    workflow: str = ""
    mode: str = "live"  # live | backfill (backfills never enforce deadlines nor apply decisions)
    approvals_mode: str = "wait"  # wait: block until decided or expired | defer: record, decide later
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    estimates: dict[str, float] = field(default_factory=dict)  # step id -> expected seconds (history)
    account_zones: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=utcnow)
    run_date: date | None = None  # the last day of data; its decisions must apply before the next day's deadline
    actor: str = ""  # who started the run (mops.core.governance.resolve_actor); cannot approve its decisions

    @property
    def approvals(self) -> ApprovalStore:
        return ApprovalStore(self.settings.var_path / "approvals")


def _run_dbt(planned: PlannedStep, run: RunSettings) -> tuple[dict[str, int], str, list[str]]:
    """dbt in its own process, on only what changed unless the spec says otherwise (mops.core.build_plan)."""
    from mops.core.build_plan import build

    spec = planned.step.dbt
    full_refresh = spec.is_full_refresh(run.started_at.date())
    run.session.release()  # dbt needs the warehouse file to itself
    _preload(run.catalog)
    outcome = build(run.settings, spec.command, spec.select, changed_only=spec.changed_only, full_refresh=full_refresh)
    result = outcome.result
    report = outcome.report(run.settings)
    if result is not None and not result.ok:
        transient = any(TRANSIENT_DBT_ERRORS.search(f) for f in result.failures)
        error = TransientError if transient else StepFailed
        args = " ".join(result.command[1:-2])  # without the --vars JSON
        causes = report.problems or result.failures[:5]
        raise error(f"dbt {args} failed: {'; '.join(causes) or 'see ' + str(result.log_path)}")
    return {}, outcome.message, report.lines()  # what was built and why; what was left empty or skipped


def _preload(agents: dict[str, Agent]) -> None:
    """While dbt runs in its child process this one only waits: load what the agents import on first use."""
    modules = sorted({name for agent in agents.values() for name in agent.preload})
    if modules:
        threading.Thread(target=_import_all, args=(modules,), name="mops-preload", daemon=True).start()


def _import_all(modules: list[str]) -> None:
    for name in modules:
        with contextlib.suppress(Exception):  # an agent's own import reports a real problem where it runs
            importlib.import_module(name)


def deadline_due(planned: PlannedStep, run: RunSettings) -> tuple[datetime | None, list[str]]:
    """When a live step's deadline falls (UTC; the earliest of its zones), and those zones."""
    deadline = planned.step.deadline
    if deadline is None or run.mode != "live":
        return None, []
    zones = run.account_zones if deadline.timezone == "account" else [deadline.timezone]
    zones = zones or ["UTC"]
    return min(due_for_run_date(deadline.before, zone, run.run_date) for zone in zones), zones


def deadline_share(due: datetime | None, run: RunSettings) -> float | None:
    """Share of the time from the run's start to the deadline used so far (monitoring's deadline-at-risk rule)."""
    if due is None or due <= run.started_at:
        return None if due is None else 1.0
    return (run.clock() - run.started_at).total_seconds() / (due - run.started_at).total_seconds()


def _check_deadline(planned: PlannedStep, run: RunSettings) -> tuple[str | None, list[str]]:
    """A reason to skip (deadline passed or cannot be met), and warnings when at risk."""
    due, zones = deadline_due(planned, run)
    if due is None:
        return None, []
    deadline = planned.step.deadline
    now = run.clock()
    estimate = run.estimates.get(planned.id, 0.0)
    if now >= due:
        return (
            f"deadline {deadline.before} ({', '.join(zones)}) passed at {due:%Y-%m-%d %H:%M} UTC; not applied late",
            [],
        )
    if now + timedelta(seconds=estimate) > due:
        return (
            f"cannot finish before the deadline {due:%H:%M} UTC: history says {estimate:.0f} s, "
            f"{(due - now).total_seconds():.0f} s left; not applied late"
        ), []
    if now + timedelta(seconds=2 * estimate) > due:
        return None, [f"deadline at risk: {(due - now).total_seconds():.0f} s left, history says {estimate:.0f} s"]
    return None, []


def _approvals(planned: PlannedStep, run: RunSettings, decisions: list[Decision]) -> list[dict]:
    """Ask for approval of decisions above the threshold; record what is applied."""
    rule = planned.step.approval
    if rule is None:
        return []
    relevant = [d for d in decisions if d.kind == rule.decision]
    needing = [d for d in relevant if d.value is not None and abs(d.value) > rule.above]
    automatic = [d for d in relevant if d not in needing]
    items = [
        {"subject": d.subject, "value": d.value, "status": "auto_applied" if run.mode == "live" else "not_applied"}
        for d in automatic
    ]
    if needing and run.mode == "live":
        store = run.approvals
        timeout = timedelta(minutes=rule.timeout_minutes)
        record = store.request(
            run.run_id,
            run.workflow,
            planned.id,
            needing,
            timeout,
            run.approvals_mode,
            run.actor,
            rule.approver_role,
            rule.approvals_needed,
        )
        if run.approvals_mode == "wait":
            record = wait_for_decisions(  # the Prefect UI's form or `mops approve`
                store, run.run_id, needing, rule.poll_seconds, run.sleep, on_wait=announce_approval_wait,
                settings=run.settings,
            )
            _audit_decided(run, record)
        items += [
            {"subject": i["subject"], "value": i["value"], "status": i["status"], "decided_by": i["decided_by"]}
            for i in record["items"]
        ]
    elif needing:
        items += [{"subject": d.subject, "value": d.value, "status": "not_applied"} for d in needing]
    return items


def _audit_decided(run: RunSettings, record: dict) -> None:
    """Governance hook: the run's process holds the warehouse while waiting, so it ledgers the decisions."""
    from mops.core.governance.guard import record_decisions

    record_decisions(run.settings, run.session.get(), record, record["items"])


def execute_step(planned: PlannedStep, context: RunContext, run: RunSettings) -> StepOutcome:
    """Run one step under its policy; never raises (the outcome says what happened)."""
    outcome = StepOutcome(planned.id, planned.step.kind, "failed", stale_inputs=context.stale_inputs)
    clock = time.perf_counter()
    reason, outcome.warnings = _check_deadline(planned, run)
    if reason:
        outcome.status, outcome.message = "skipped", reason
        return outcome
    policy = planned.policy()
    retries = policy.retries if policy.on_failure == "retry" else 0
    for attempt in range(retries + 1):
        outcome.attempts = attempt + 1
        try:
            if planned.agent is None:
                outcome.rows_written, outcome.message, notes = _run_dbt(planned, run)
                outcome.warnings += notes
            else:
                parameters = planned.agent.parameters.model_validate(planned.step.parameters)
                runner = Runner(run.session.get(), catalog=run.catalog, mode=run.mode)
                agent_run = runner.run(planned.agent, context, parameters)
                outcome.rows_written = agent_run.rows_written
                outcome.decisions = agent_run.decisions
                outcome.artifacts = {k: str(v) for k, v in agent_run.artifacts.items()}
                held, notes = hold_decisions(planned, run, context, agent_run.decisions)
                outcome.approvals = held or _approvals(planned, run, agent_run.decisions)
                outcome.warnings += notes
            outcome.status = "succeeded"
            if any(a["status"] == "cancelled" for a in outcome.approvals):  # the approval wait was stopped
                outcome.status = "cancelled"
                outcome.message = f"approval wait stopped by {interrupts.reason()}; decisions not applied"
            break
        except interrupts.Interrupted as exc:
            outcome.status, outcome.message = "cancelled", str(exc)
            break
        except InputUnavailable as exc:  # its landing data was never loaded: skipped, whatever the policy
            outcome.status, outcome.message = "skipped", str(exc)
            break
        except Exception as exc:  # any failure: the policy decides, the message is kept
            if interrupts.stop_requested():  # e.g. dbt killed by the stop: not the step's fault
                outcome.status, outcome.message = "cancelled", f"stopped by {interrupts.reason()}"
                break
            outcome.message = f"{type(exc).__name__}: {exc}"
            transient = isinstance(exc, TRANSIENT + (TransientError,))
            if transient and attempt < retries:
                run.sleep(policy.retry_delay_seconds * 2**attempt)
                continue
            final = policy.on_failure if policy.on_failure != "retry" else policy.fallback
            outcome.status = "skipped" if final == "skip" else "failed"
            break
    outcome.duration_s = time.perf_counter() - clock
    outcome.due_at = deadline_due(planned, run)[0]
    outcome.deadline_share = deadline_share(outcome.due_at, run)
    return outcome


def run_plan(
    plan: Plan,
    base_context: RunContext,
    run: RunSettings,
    submit: Callable[[PlannedStep, RunContext], Future],
    on_done: Callable[[StepOutcome], None] | None = None,
) -> dict[str, StepOutcome]:
    """Start every step whose upstreams are done (deadline steps first), as many as allowed at once."""
    from concurrent.futures import FIRST_COMPLETED, wait

    outcomes: dict[str, StepOutcome] = {}
    pending = list(plan.order)
    running: dict[Future, tuple[str, object]] = {}
    limit = plan.spec.concurrency.max_parallel
    while pending or running:
        if interrupts.stop_requested():  # a stop: start nothing new, let the running steps wind down
            for step_id in pending:
                outcomes[step_id] = StepOutcome(
                    step_id, plan.steps[step_id].step.kind, "cancelled", message=f"not started: {interrupts.reason()}"
                )
            pending = []
        for step_id in list(pending):
            planned = plan.steps[step_id]
            if not all(u in outcomes for u in planned.upstream):
                continue
            blocked = [u for u in planned.upstream if outcomes[u].status in ("failed", "halted")]
            if blocked:
                pending.remove(step_id)
                outcomes[step_id] = StepOutcome(
                    step_id, planned.step.kind, "halted", message=f"halted: upstream {', '.join(blocked)} failed"
                )
                if on_done:
                    on_done(outcomes[step_id])
        ready = [s for s in pending if all(u in outcomes for u in plan.steps[s].upstream)]
        ready.sort(key=lambda s: (plan.steps[s].step.deadline is None, plan.order.index(s)))
        for step_id in ready:
            planned = plan.steps[step_id]
            if len(running) >= limit:
                break
            if planned.agent is None and running:
                break  # a dbt step runs alone: it needs the warehouse file to itself
            if running and any(plan.steps[r].agent is None for r, _ in running.values()):
                break
            stale = sorted(
                {
                    table
                    for up in plan.ancestors(step_id)
                    if up in outcomes and outcomes[up].status == "skipped"
                    for table in plan.steps[up].writes
                }
            )
            context = base_context.model_copy(update={"stale_inputs": tuple(stale)})
            pending.remove(step_id)
            future = submit(planned, context)
            # a Prefect future wraps a concurrent.futures.Future: wait on that one
            running[getattr(future, "wrapped_future", future)] = (step_id, future)
        if not running:
            continue
        done, _ = wait(list(running), timeout=1.0, return_when=FIRST_COMPLETED)
        for finished in done:
            step_id, future = running.pop(finished)
            outcomes[step_id] = future.result()
            if on_done:
                on_done(outcomes[step_id])
    return outcomes
