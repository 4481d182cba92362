"""Workflow patterns on the real engine: Prefect flow, tasks, demo warehouse."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flows.local import run_once
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import DEMO_END_DATE
from tests.flows.conftest import write_spec

DAY = date.fromisoformat(DEMO_END_DATE)

PIPELINE = """
steps:
  - id: attribution
    agent: t_attribution
    parameters: {fail: %(fail)s, fail_times: %(times)d}
    policy: %(policy)s
  - id: budget
    agent: t_budget
  - id: reporting
    agent: t_reporting
concurrency: {max_parallel: 2}
"""


def pipeline(specs, fail="none", times=0, policy="{on_failure: halt}"):
    write_spec(specs, "pipe", PIPELINE % {"fail": fail, "times": times, "policy": policy})


def statuses(summary) -> dict[str, str]:
    return {s.step: s.status for s in summary.steps}


def test_sequential_and_parallel_order_comes_from_reads_and_writes(engine):
    settings, specs = engine
    pipeline(specs)
    summary = run_once(settings, "pipe", DAY)
    assert statuses(summary) == {"attribution": "succeeded", "budget": "succeeded", "reporting": "succeeded"}
    assert summary.status == "succeeded"
    with open_warehouse(settings) as warehouse:
        runs = warehouse.query("select * from ops.workflow_runs")
        steps = warehouse.query("select step, status from ops.workflow_steps order by step")
    assert runs.spec_hash.tolist() == [summary.spec_hash]
    assert 0 <= runs.overhead_share.iloc[0] < 1
    assert steps.step.tolist() == ["attribution", "budget", "reporting"]
    order = [s.step for s in summary.steps]
    assert order.index("attribution") < order.index("reporting")  # reporting reads attribution's output

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["mops-pipe"])))
        report_key = ArtifactFilter(key=ArtifactFilterKey(any_=["mops-pipe-report"]))
        reports = client.read_artifacts(artifact_filter=report_key)
    assert any(summary.run_id in a.data and "| attribution | ok |" in a.data for a in artifacts)
    assert any("conversions:" in r.data for r in reports)


def test_transient_failure_is_retried(engine):
    settings, specs = engine
    pipeline(specs, "transient", 2, "{on_failure: retry, retries: 3, retry_delay_seconds: 0}")
    summary = run_once(settings, "pipe", DAY)
    attribution = next(s for s in summary.steps if s.step == "attribution")
    assert (attribution.status, attribution.attempts) == ("succeeded", 3)
    assert statuses(summary)["reporting"] == "succeeded"


def test_permanent_failure_is_not_retried_and_halts_downstream(engine):
    settings, specs = engine
    pipeline(specs, "permanent", 99, "{on_failure: retry, retries: 3, retry_delay_seconds: 0, fallback: halt}")
    summary = run_once(settings, "pipe", DAY)
    attribution = next(s for s in summary.steps if s.step == "attribution")
    assert (attribution.status, attribution.attempts) == ("failed", 1)
    assert "simulated bug" in attribution.message
    assert statuses(summary) == {"attribution": "failed", "budget": "succeeded", "reporting": "halted"}
    assert summary.status == "failed"


def test_skip_continues_with_the_last_good_output_marked_stale(engine):
    settings, specs = engine
    pipeline(specs)
    good = run_once(settings, "pipe", DAY)
    pipeline(specs, "permanent", 99, "{on_failure: skip}")
    later = run_once(settings, "pipe", DAY.replace(day=DAY.day - 1))
    assert statuses(later) == {"attribution": "skipped", "budget": "succeeded", "reporting": "succeeded"}
    reporting = next(s for s in later.steps if s.step == "reporting")
    assert reporting.stale_inputs == ["attribution_credit"]
    report = Path(reporting.artifacts["report.md"]).read_text()
    assert "stale: ['attribution_credit']" in report
    assert good.run_id != later.run_id
