"""Running workflows in this process (`mops run`), with events dispatched in-process.

After a run, the events it emitted start the workflows that listen to them, through the loop
guard (flows/events.py). On a Prefect server (`mops serve`) deployment triggers do the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flows.events import Event, last_event_start, record_event, stop_reason
from flows.locking import warehouse_lock
from flows.registry import load_plans_lenient
from flows.summary import RunSummary
from flows.waits import announce
from mops.core import interrupts
from mops.core.base import utcnow
from mops.core.errors import MopsError
from mops.core.settings import Settings
from mops.core.warehouse.adapter import open_warehouse


def _quiet_prefect():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def run_once(settings: Settings, workflow: str, run_date: date, mode: str = "live", chain=(), **options) -> RunSummary:
    """One flow run in this process, tagged with its workflow, trigger kind and actor (who ran it)."""
    from prefect import tags

    from flows.observe import local_actor, run_tags
    from flows.workflow import run_workflow

    trigger = "event" if chain else "backfill" if mode == "backfill" else "manual"
    actor = f"event-from-{chain[-1]}" if chain else local_actor()
    with _quiet_prefect(), tags(*run_tags(workflow, trigger, actor)):
        return run_workflow(workflow, run_date.isoformat(), mode=mode, event_chain=",".join(chain), **options)


def run_with_events(
    settings: Settings,
    workflow: str,
    run_date: date,
    on_summary: Callable[[RunSummary], None] | None = None,
    chain: tuple[str, ...] = (),
    **options,
) -> list[RunSummary]:
    """Run a workflow, then every workflow its events trigger (guarded), depth first."""
    summary = run_once(settings, workflow, run_date, chain=chain, **options)
    if interrupts.stop_requested():  # a cancelled run triggers nothing
        if on_summary:
            on_summary(summary)
        return [summary]
    # only what this dispatch needs must plan: a broken spec elsewhere is a warning, never a lost summary
    plans, problems = load_plans_lenient(settings)
    for problem in problems:
        announce(f"a workflow spec that cannot run was ignored for event triggers: {problem}", kind="warning")
    listeners = {name: plan.spec for name, plan in plans.items() if plan.spec.trigger.event}
    started: list[tuple[str, tuple[str, ...]]] = []
    for name in summary.events:
        event = Event(name, workflow, summary.run_id, summary.run_date, (*chain, workflow))
        for target, spec in listeners.items():
            if spec.trigger.event != name:
                continue
            with warehouse_lock(settings), open_warehouse(settings) as warehouse:
                reason = stop_reason(event, spec, last_event_start(warehouse, target), utcnow())
                record_event(warehouse, event, target, "stopped" if reason else "triggered", reason or "", utcnow())
            if reason:
                summary.stopped_events.append(f"{name} -> {target}: {reason}")
            else:
                summary.started_events.append(f"{name} -> {target}")
                started.append((target, event.chain))
    if on_summary:
        on_summary(summary)
    summaries = [summary]
    options.pop("caller_started_at", None)  # only the first run kept the caller waiting from the start
    for target, event_chain in started:
        summaries += run_with_events(settings, target, run_date, on_summary, event_chain, **options)
    return summaries


def backfill(
    settings: Settings,
    workflow: str,
    first: date,
    last: date,
    on_summary: Callable[[RunSummary], None] | None = None,
    **options,
) -> list[RunSummary]:
    """One run per day, oldest first; outputs are partitioned by run context, so each day is idempotent."""
    if last < first:
        raise MopsError(f"backfill: --to {last} is before --from {first}")
    summaries = []
    day = first
    while day <= last and not interrupts.stop_requested():  # a stop ends the backfill after that day's record
        summary = run_once(settings, workflow, day, mode="backfill", **options)
        options.pop("caller_started_at", None)
        if on_summary:
            on_summary(summary)
        summaries.append(summary)
        day += timedelta(days=1)
    return summaries
