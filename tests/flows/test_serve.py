"""`mops serve` builds one deployment per spec with its schedule or event trigger."""

from __future__ import annotations

from flows.serve import deployments
from mops.core.settings import PROJECT_DIR, Settings


def test_every_shipped_workflow_becomes_a_deployment_with_its_trigger():
    built = {d.name: d for d in deployments(Settings(project_dir=PROJECT_DIR))}
    assert set(built) == {"daily", "pacing", "reoptimize"}
    daily = built["daily"].schedules[0].schedule
    assert (daily.cron, daily.timezone) == ("0 6 * * *", "America/New_York")
    assert built["daily"].parameters == {"workflow": "daily"}
    assert built["daily"].concurrency_limit == 1
    (trigger,) = built["reoptimize"].triggers
    assert trigger.expect == {"mops.decision.threshold_crossed"}
    assert trigger.parameters["event_chain"] == "{{ event.payload.chain }}"
    assert trigger.parameters["run_date"] == "{{ event.payload.run_date }}"
    assert not built["reoptimize"].schedules
