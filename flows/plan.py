"""From a spec to a runnable plan: step dependencies derived from the agents' reads and writes.

A step depends on the steps whose outputs it reads (agent tables), on every dbt step when it
reads a dbt model, and on the steps named in `after`. Validation refuses what cannot run: an
unknown agent, a cycle, two steps writing one table, an event trigger that can start itself again,
and a deadline that run-time history says cannot be met.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from graphlib import CycleError, TopologicalSorter
from zoneinfo import ZoneInfo

from flows.spec import SpecError, Step, StepPolicy, WorkflowSpec
from mops.core.monitoring.holds import plan_problems
from mops.core.runtime.agent import Agent, writers_of, written_versions
from mops.core.runtime.context import ATTRIBUTION_OUTPUT

DBT_BUILT_EVENT = "mops.dbt.built"


def agent_succeeded_event(agent: str) -> str:
    return f"mops.agent.{agent}.succeeded"


def decision_event(kind: str) -> str:
    return f"mops.decision.{kind}"


def workflow_completed_event(name: str) -> str:
    return f"mops.workflow.{name}.completed"


@dataclass(frozen=True)
class PlannedStep:
    step: Step
    agent: Agent | None
    upstream: tuple[str, ...]
    writes: tuple[str, ...]  # agent tables

    @property
    def id(self) -> str:
        return self.step.id

    def policy(self) -> StepPolicy:
        """The spec's policy, else the agent manifest's default, else halt."""
        if self.step.policy is not None:
            return self.step.policy
        if self.agent is not None:
            p = self.agent.manifest.failure_policy
            return StepPolicy(on_failure=p.on_failure, retries=p.retries, retry_delay_seconds=p.retry_delay_seconds)
        return StepPolicy(on_failure="halt")

    def emits(self) -> set[str]:
        if self.agent is None:
            return {DBT_BUILT_EVENT}
        return {agent_succeeded_event(self.agent.name)} | {decision_event(k) for k in self.agent.manifest.decisions}


@dataclass(frozen=True)
class Plan:
    spec: WorkflowSpec
    spec_hash: str
    steps: dict[str, PlannedStep]
    order: tuple[str, ...]

    def ancestors(self, step_id: str) -> set[str]:
        """Every step `step_id` (transitively) depends on."""
        found: set[str] = set()
        frontier = list(self.steps[step_id].upstream)
        while frontier:
            current = frontier.pop()
            if current not in found:
                found.add(current)
                frontier += self.steps[current].upstream
        return found

    def emits(self) -> set[str]:
        events = {workflow_completed_event(self.spec.name)}
        for step in self.steps.values():
            events |= step.emits()
        return events

    def critical_path(self, durations: dict[str, float]) -> tuple[float, list[str]]:
        """Longest chain of step durations through the dependency graph."""
        finish: dict[str, tuple[float, list[str]]] = {}
        for step_id in self.order:
            before = max((finish[u] for u in self.steps[step_id].upstream), default=(0.0, []), key=lambda x: x[0])
            finish[step_id] = (before[0] + durations.get(step_id, 0.0), [*before[1], step_id])
        return max(finish.values(), default=(0.0, []), key=lambda x: x[0])


def held_kinds(step: Step, agent: Agent) -> set[str]:
    """The decision kinds an anomaly hold stops: the agent's money decisions and the step's approval kind."""
    return set(agent.manifest.money_decisions) | ({step.approval.decision} if step.approval else set())


def hold_problems(step: Step, agent: Agent) -> list[str]:
    reads = tuple(r.name for r in agent.manifest.reads)
    return plan_problems(step.id, step.hold_on_anomalies, reads, held_kinds(step, agent))


def build_plan(spec: WorkflowSpec, spec_hash: str, agents: dict[str, Agent]) -> Plan:
    where = f"workflow {spec.name}"
    problems: list[str] = []
    writer: dict[str, str] = {}
    for step in spec.steps:
        if step.agent is None:
            continue
        agent = agents.get(step.agent)
        if agent is None:
            problems.append(f"{where}, step {step.id}: unknown agent {step.agent!r} (known: {', '.join(agents)})")
            continue
        for write in agent.manifest.writes:
            if write.table in writer:
                problems.append(
                    f"{where}: steps {writer[write.table]} and {step.id} both write agents table {write.table}"
                )
            writer.setdefault(write.table, step.id)
        unknown = sorted(set(step.parameters) - set(agent.parameters.model_fields))
        if unknown:
            problems.append(f"{where}, step {step.id}: agent {agent.name} has no parameters {unknown}")
        problems += [f"{where}, {p}" for p in hold_problems(step, agent)]
    problems += _attribution_version_problems(spec, agents)
    if problems:
        raise SpecError("\n".join(problems))
    dbt_steps = [s.id for s in spec.steps if s.dbt is not None]
    planned: dict[str, PlannedStep] = {}
    for step in spec.steps:
        agent = agents.get(step.agent) if step.agent else None
        upstream = list(step.after)
        if agent is not None:
            for read in agent.manifest.reads:
                source = writer.get(read.name)
                if source and source != step.id:
                    upstream.append(source)
                elif read.name not in writer and not _is_agent_table(read.name, agents):
                    upstream += dbt_steps  # reads a dbt model: after every dbt step of the workflow
        planned[step.id] = PlannedStep(
            step,
            agent,
            tuple(dict.fromkeys(u for u in upstream if u != step.id)),
            tuple(w.table for w in agent.manifest.writes) if agent else (),
        )
    try:
        order = tuple(TopologicalSorter({s: set(p.upstream) for s, p in planned.items()}).static_order())
    except CycleError as exc:
        raise SpecError(f"{where}: steps form a cycle: {' -> '.join(exc.args[1])}") from exc
    return Plan(spec, spec_hash, planned, order)


def _attribution_version_problems(spec: WorkflowSpec, agents: dict[str, Agent]) -> list[str]:
    """The context's attribution version must be one the attribution output's writer produces (a label
    nothing checked would stamp v2 rows as v1)."""
    produced = written_versions(agents, ATTRIBUTION_OUTPUT)
    version = spec.context.attribution_version
    if not produced or version in produced:
        return []
    writers = ", ".join(writers_of(agents, ATTRIBUTION_OUTPUT))
    return [
        f"workflow {spec.name}: context.attribution_version {version}: agent {writers} produces "
        f"{ATTRIBUTION_OUTPUT} v{', v'.join(map(str, produced))}; consumers that need an older version pin it "
        f"in their manifest (it is written as a shadow)"
    ]


def _is_agent_table(name: str, agents: dict[str, Agent]) -> bool:
    return any(w.table == name for a in agents.values() for w in a.manifest.writes)


def event_loops(plans: dict[str, Plan]) -> list[str]:
    """Event triggers that can start their own workflow again, directly or through others."""
    triggers: dict[str, str] = {
        name: plan.spec.trigger.event for name, plan in plans.items() if plan.spec.trigger.event is not None
    }
    graph = {
        name: {other for other, event in triggers.items() if event in plan.emits()} for name, plan in plans.items()
    }
    loops = []
    for start in sorted(triggers):
        stack = [(start, [start])]
        while stack:
            current, path = stack.pop()
            for nxt in sorted(graph[current]):
                if nxt == start:
                    loops.append(" -> ".join([*path, start]))
                elif nxt not in path:
                    stack.append((nxt, [*path, nxt]))
    return sorted(set(loops))


def deadline_at(deadline_before: str, zone: str, after: datetime) -> datetime:
    """The first HH:MM in `zone` after `after` (UTC-naive in, UTC-naive out)."""
    hour, minute = (int(x) for x in deadline_before.split(":"))
    tz = ZoneInfo(zone)
    local = after.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)
    candidate = datetime.combine(local.date(), time(hour, minute), tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), tz)
    return candidate.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def due_for_run_date(deadline_before: str, zone: str, run_date: date) -> datetime:
    """HH:MM in `zone` on the day after `run_date` (UTC-naive): a day's data acts before the next reset."""
    hour, minute = (int(x) for x in deadline_before.split(":"))
    local = datetime.combine(run_date + timedelta(days=1), time(hour, minute), ZoneInfo(zone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def scheduled_starts(cron: str, zone: str, first: datetime, days: int = 366, limit: int = 10_000) -> list[datetime]:
    """The schedule's start times (aware, in `zone`) over `days` from `first`: every UTC offset the zone
    takes in a year (daylight-saving time included) is among them."""
    from cronsim import CronSim

    tz = ZoneInfo(zone)
    starts, end = [], first.replace(tzinfo=tz) + timedelta(days=days)
    for start in CronSim(cron, first.replace(tzinfo=tz)):
        if start > end or len(starts) >= limit:
            break
        starts.append(start)
    return starts


def schedule_misses_deadlines(
    plan: Plan,
    durations: dict[str, float],
    account_zones: list[str],
    margin: float = 1.5,
    first: datetime | None = None,
) -> list[str]:
    """Deadlines the scheduled start plus `margin` x the historical run time would miss, judged on every
    scheduled start of the coming year (a deadline met in January can be missed after a DST change)."""
    schedule = plan.spec.trigger.schedule
    if schedule is None:
        return []
    if not any(step.step.deadline for step in plan.steps.values()):
        return []
    first = first or datetime.now(ZoneInfo("UTC")).replace(tzinfo=None, second=0, microsecond=0)
    starts = scheduled_starts(schedule.cron, schedule.timezone, first)
    problems = []
    for step in plan.steps.values():
        deadline = step.step.deadline
        if deadline is None:
            continue
        zones = account_zones if deadline.timezone == "account" else [deadline.timezone]
        before = plan.ancestors(step.id) | {step.id}
        needed, path = plan.critical_path({k: v for k, v in durations.items() if k in before})
        for zone in zones or ["UTC"]:
            gaps = []
            for start_local in starts:
                start = start_local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
                gaps.append((deadline_at(deadline.before, zone, start) - start, start_local))
            gap, start_local = min(gaps, key=lambda g: g[0])
            if timedelta(seconds=needed * margin) > gap:
                problems.append(
                    f"workflow {plan.spec.name}, step {step.id}: deadline {deadline.before} {zone} cannot be met: the "
                    f"schedule starts at {start_local:%H:%M} {schedule.timezone} (e.g. on {start_local:%Y-%m-%d}), "
                    f"{gap.total_seconds() / 60:.0f} "
                    f"min before it, and history says {' -> '.join(path)} takes {needed / 60:.1f} min "
                    f"(x{margin} margin)"
                )
    return problems
