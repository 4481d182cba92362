"""What the Prefect UI shows of a run: its name with the run date, tags, the story in the logs, artifact keys."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flows.local import run_once
from flows.observe import local_actor, resolve_run_date
from tests.conftest import DEMO_END_DATE
from tests.flows.conftest import write_spec
from tests.flows.test_patterns import PIPELINE

DAY = date.fromisoformat(DEMO_END_DATE)


def _spec(specs, name: str, fail: str = "none", policy: str = "{on_failure: halt}") -> None:
    write_spec(specs, name, PIPELINE % {"fail": fail, "times": 99, "policy": policy})


def _flow_runs(workflow: str):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[f"workflow:{workflow}"])),
            sort=FlowRunSort.START_TIME_ASC,
        )


def _logs(flow_run_id) -> tuple[list[str], dict[str, list[str]]]:
    """The flow run's own log lines, and each task run's lines by task run name."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId, TaskRunFilter, TaskRunFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        in_run = TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id]))
        tasks = client.read_task_runs(task_run_filter=in_run)
    names = {t.id: t.name for t in tasks}
    flow_lines = [log.message for log in logs if log.task_run_id is None]
    by_task: dict[str, list[str]] = {}
    for log in logs:
        if log.task_run_id is not None:
            by_task.setdefault(names[log.task_run_id], []).append(log.message)
    return flow_lines, by_task


def _artifacts(key: str):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))


def test_a_run_is_named_by_workflow_and_date_tagged_and_tells_its_story_in_prefect_logs(engine):
    settings, specs = engine
    _spec(specs, "story")
    first = run_once(settings, "story", DAY)
    second = run_once(settings, "story", DAY - timedelta(days=1))
    runs = _flow_runs("story")
    assert [r.name for r in runs] == ["story 2026-06-30", "story 2026-06-29"]
    assert {"mops", "workflow:story", "trigger:manual", f"actor:{local_actor()}"} <= set(runs[0].tags)
    flow_lines, by_task = _logs(runs[0].id)
    assert set(by_task) == {"attribution", "budget", "reporting"}  # task runs named by step
    assert "step attribution started" in by_task["attribution"]
    assert any(line.startswith("step attribution succeeded in") for line in by_task["attribution"])
    assert "step attribution gates passed" in by_task["attribution"]
    assert any("wrote" in line and "rows to agents." in line for line in by_task["attribution"])
    assert any("decision shift_budget on google_ads: increase 0.30" in line for line in by_task["budget"])
    assert any(line.startswith(f"run {first.run_id} succeeded: wall") for line in flow_lines)
    assert "event mops.workflow.story.completed emitted by story" in flow_lines or any(
        line.startswith("event ") and "emitted by story" in line for line in flow_lines
    )
    # artifacts keyed per workflow: the UI keeps one history per key, one version per run
    summaries = _artifacts("mops-story")
    assert {first.run_id, second.run_id} <= {r for a in summaries for r in (first.run_id, second.run_id) if r in a.data}
    assert len(summaries) == 2
    reports = _artifacts("mops-story-report")
    assert len(reports) == 2 and all("conversions:" in a.data for a in reports)


def test_failures_stale_inputs_and_halts_reach_the_logs_as_warnings(engine):
    settings, specs = engine
    _spec(specs, "stale")
    run_once(settings, "stale", DAY)
    _spec(specs, "stale", fail="permanent", policy="{on_failure: skip}")
    run_once(settings, "stale", DAY - timedelta(days=1))
    _spec(specs, "stale", fail="permanent", policy="{on_failure: halt}")
    run_once(settings, "stale", DAY - timedelta(days=2))
    runs = _flow_runs("stale")
    _, skipped = _logs(runs[1].id)
    attribution = skipped["attribution"]
    assert any(line.startswith("step attribution skipped") and "simulated bug" in line for line in attribution)
    assert "step reporting reads stale inputs (upstream skipped): attribution_credit" in skipped["reporting"]
    halted_flow, _ = _logs(runs[2].id)
    halted = [line for line in halted_flow if line.startswith("step reporting halted")]
    assert len(halted) == 1 and "upstream attribution failed" in halted[0]
    assert any(line.startswith("run ") and " failed: wall" in line for line in halted_flow)


def test_an_undated_run_is_named_for_the_day_before_it_was_scheduled(engine):
    settings, specs = engine
    _spec(specs, "undated")
    from prefect import tags

    from flows.workflow import run_workflow

    with tags("workflow:undated"):  # as a deployment's run: no date given
        summary = run_workflow("undated", None, approvals="defer")
    (run,) = _flow_runs("undated")
    expected = (run.expected_start_time or run.start_time) - timedelta(days=1)
    assert run.name == f"undated {expected.date().isoformat()}"
    assert summary.run_date == expected.date().isoformat()


def test_the_run_date_comes_from_the_parameter_else_the_day_before_the_schedule_in_utc():
    from datetime import UTC
    from zoneinfo import ZoneInfo

    assert resolve_run_date("2026-06-30") == date(2026, 6, 30)
    scheduled = datetime(2026, 7, 1, 6, 0, tzinfo=ZoneInfo("America/New_York"))  # 10:00 UTC
    assert resolve_run_date(None, scheduled) == date(2026, 6, 30)
    assert resolve_run_date("", datetime(2026, 7, 1, 0, 30, tzinfo=UTC)) == date(2026, 6, 30)
    late = datetime(2026, 7, 1, 22, 30, tzinfo=ZoneInfo("America/Los_Angeles"))  # already 2 July in UTC
    assert resolve_run_date(None, late) == date(2026, 7, 1)


def test_task_runs_carry_no_tags_so_no_step_waits_for_a_tag_concurrency_request(engine, monkeypatch):
    """The flow run keeps its tags; its task runs have none, so Prefect asks its API for no slots per step."""
    import prefect.concurrency._sync as slots
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

    asked: list[list[str]] = []
    acquire = slots.acquire_concurrency_slots_with_lease

    def counting(names, *args, **kwargs):
        asked.append(list(names))
        return acquire(names, *args, **kwargs)

    monkeypatch.setattr(slots, "acquire_concurrency_slots_with_lease", counting)
    settings, specs = engine
    _spec(specs, "untagged")
    summary = run_once(settings, "untagged", DAY)
    assert summary.status == "succeeded"
    (run,) = _flow_runs("untagged")
    assert {"mops", "workflow:untagged", "trigger:manual"} <= set(run.tags)
    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run.id])))
    assert {t.name for t in tasks} == {"attribution", "budget", "reporting"}
    assert all(t.tags == [] for t in tasks)
    assert asked == []  # the steps ran without a slot request
