"""The scheduler without Prefect or a warehouse: order, parallelism, dbt alone, halts and stale inputs."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from flows.engine import StepOutcome, run_plan
from flows.plan import build_plan
from flows.spec import parse_spec
from mops.core.runtime.context import RunContext
from tests.flow_agents import AGENTS

CATALOG = {a.name: a for a in AGENTS}
CONTEXT = RunContext.for_day(date(2026, 6, 30), 7)


def plan_of(steps: str, max_parallel: int = 2):
    body = f"name: t\ndescription: d\nconcurrency: {{max_parallel: {max_parallel}}}\nsteps:\n{steps}"
    spec, digest = parse_spec(body, "t.yml")
    return build_plan(spec, digest, CATALOG)


class Recorder:
    """Runs each step as a short sleep in a thread pool; records starts, ends and overlap."""

    def __init__(self, statuses: dict[str, str] | None = None, seconds: float = 0.05):
        self.statuses = statuses or {}
        self.seconds = seconds
        self.events: list[tuple[str, str]] = []
        self.running: set[str] = set()
        self.overlaps: list[set[str]] = []
        self.contexts: dict[str, RunContext] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=8)

    def _step(self, planned, context) -> StepOutcome:
        with self._lock:
            self.events.append(("start", planned.id))
            self.running.add(planned.id)
            self.overlaps.append(set(self.running))
            self.contexts[planned.id] = context
        time.sleep(self.seconds)
        with self._lock:
            self.running.discard(planned.id)
            self.events.append(("end", planned.id))
        return StepOutcome(planned.id, planned.step.kind, self.statuses.get(planned.id, "succeeded"))

    def submit(self, planned, context):
        return self._pool.submit(self._step, planned, context)


def run(plan, recorder):
    return run_plan(plan, CONTEXT, None, recorder.submit)


STEPS = (
    "  - {id: build, dbt: {command: build}}\n"
    "  - {id: attr, agent: t_attribution}\n"
    "  - {id: pace, agent: t_pacing}\n"
    "  - {id: report, agent: t_reporting}\n"
)


def test_steps_start_only_after_their_upstreams_end():
    recorder = Recorder()
    outcomes = run(plan_of(STEPS), recorder)
    assert {o.status for o in outcomes.values()} == {"succeeded"}
    position = {(kind, step): i for i, (kind, step) in enumerate(recorder.events)}
    assert position[("end", "build")] < position[("start", "attr")]
    assert position[("end", "build")] < position[("start", "pace")]
    assert position[("end", "attr")] < position[("start", "report")]


def test_independent_steps_run_in_parallel_up_to_the_limit_and_dbt_runs_alone():
    recorder = Recorder(seconds=0.2)
    run(plan_of(STEPS), recorder)
    assert {"attr", "pace"} in recorder.overlaps  # independent agents overlapped
    assert all(len(o) == 1 for o in recorder.overlaps if "build" in o)  # dbt alone
    one_at_a_time = Recorder(seconds=0.05)
    run(plan_of(STEPS, max_parallel=1), one_at_a_time)
    assert max(len(o) for o in one_at_a_time.overlaps) == 1


def test_a_failed_step_halts_its_downstream_only():
    recorder = Recorder(statuses={"attr": "failed"})
    outcomes = run(plan_of(STEPS), recorder)
    assert outcomes["report"].status == "halted" and "upstream attr failed" in outcomes["report"].message
    assert outcomes["pace"].status == "succeeded"
    assert ("start", "report") not in recorder.events


def test_a_skipped_step_marks_what_it_writes_stale_downstream():
    recorder = Recorder(statuses={"attr": "skipped"})
    outcomes = run(plan_of(STEPS), recorder)
    assert outcomes["report"].status == "succeeded"
    assert recorder.contexts["report"].stale_inputs == ("attribution_credit",)
    assert recorder.contexts["pace"].stale_inputs == ()
