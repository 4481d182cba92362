"""The engine runs the monitoring pass after each workflow run: a failed step reaches a real receiver once."""

from __future__ import annotations

import json
from datetime import date

from flows.local import run_once
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import DEMO_END_DATE
from tests.flows.conftest import write_spec
from tests.integration.monitoring.test_alerts import Receiver

DAY = date.fromisoformat(DEMO_END_DATE)

PIPELINE = """
steps:
  - id: attribution
    agent: t_attribution
    parameters: {fail: %(fail)s}
    policy: {on_failure: halt}
"""


def test_a_failed_step_is_alerted_once_and_recorded(engine, monkeypatch):
    settings, specs = engine
    with Receiver() as receiver:
        monkeypatch.setenv("MOPS_ALERT_URLS", json.dumps([receiver.url]))
        write_spec(specs, "pipe", PIPELINE % {"fail": "none"})
        run_once(settings, "pipe", DAY)
        clean = [r["message"] for r in receiver.received]
        write_spec(specs, "pipe", PIPELINE % {"fail": "permanent"})
        failed = run_once(settings, "pipe", DAY)
    failures = [m for m in receiver.received[len(clean) :] if m["title"].startswith("mops: step")]
    assert not any(m.startswith("step ") for m in clean)
    assert [m["message"].split(":")[0] for m in failures] == [
        f"step attribution of workflow pipe failed in run {failed.run_id}"
    ]
    with open_warehouse(settings) as warehouse:
        alerts = warehouse.query("select kind, status, run_id, owner from ops.alerts where kind = 'step_failed'")
    assert alerts.to_dict("records") == [
        {"kind": "step_failed", "status": "delivered", "run_id": failed.run_id, "owner": "tests"}  # its manifest's
    ]
    assert failures[0]["message"].endswith("(owner: tests)")


def test_each_run_regenerates_the_dashboard_and_publishes_it_as_an_artifact_keyed_per_workflow(engine):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.monitoring import dashboard_key
    from mops.core.monitoring.hook import dashboard_path

    settings, specs = engine
    write_spec(specs, "watched", PIPELINE % {"fail": "none"})
    first = run_once(settings, "watched", DAY)
    page = dashboard_path(settings)
    assert page.exists() and "mops operations" in page.read_text()
    second = run_once(settings, "watched", DAY)
    with get_client(sync_client=True) as client:
        key = ArtifactFilter(key=ArtifactFilterKey(any_=[dashboard_key("watched")]))
        artifacts = client.read_artifacts(artifact_filter=key)
    assert dashboard_key("watched") == "mops-watched-dashboard"
    assert len(artifacts) == 2  # one version per run: the UI keeps the history under one key
    assert {a.description for a in artifacts} == {
        f"mops operations dashboard after run {r.run_id} of watched" for r in (first, second)
    }
    latest = max(artifacts, key=lambda a: a.created).data
    assert latest.startswith("## mops operations: ") and page.resolve().as_uri() in latest
    assert "| conflicts per run |" in latest and "| monitoring pass |" in latest
