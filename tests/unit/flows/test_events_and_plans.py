"""The event loop guard and plan-level checks, as pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from flows.events import Event, stop_reason
from flows.plan import build_plan
from flows.spec import SpecError, parse_spec
from tests.flow_agents import AGENTS

CATALOG = {a.name: a for a in AGENTS}
NOW = datetime(2026, 7, 1, 12, 0)


def spec_of(body: str):
    return parse_spec(f"name: react\ndescription: d\n{body}", "react.yml")


REACT, _ = spec_of(
    "trigger: {event: mops.decision.threshold_crossed, max_depth: 2, cooldown_minutes: 30}\n"
    "steps:\n  - {id: budget, agent: t_budget}\n"
)


def event(chain: tuple[str, ...]) -> Event:
    return Event("mops.decision.threshold_crossed", chain[-1], "run1", "2026-06-30", chain)


def test_an_event_may_start_a_workflow_outside_its_chain():
    assert stop_reason(event(("pacing",)), REACT, None, NOW) is None


def test_a_chain_that_revisits_its_target_is_a_loop():
    assert stop_reason(event(("react", "pacing")), REACT, None, NOW).startswith("loop:")


def test_a_chain_longer_than_max_depth_is_stopped():
    assert stop_reason(event(("a", "b")), REACT, None, NOW).startswith("depth:")


def test_an_event_within_the_cooldown_is_stopped_and_after_it_allowed():
    assert stop_reason(event(("pacing",)), REACT, NOW - timedelta(minutes=10), NOW).startswith("cooldown:")
    assert stop_reason(event(("pacing",)), REACT, NOW - timedelta(minutes=31), NOW) is None


def test_an_attribution_version_the_writer_does_not_produce_is_refused():
    spec, digest = spec_of("context: {attribution_version: 1}\nsteps:\n  - {id: attr, agent: t_attribution}\n")
    with pytest.raises(SpecError) as refused:
        build_plan(spec, digest, CATALOG)
    assert "context.attribution_version 1" in str(refused.value)
    assert "produces attribution_credit v2" in str(refused.value)
    spec, digest = spec_of("context: {attribution_version: 2}\nsteps:\n  - {id: attr, agent: t_attribution}\n")
    assert build_plan(spec, digest, CATALOG).order == ("attr",)
