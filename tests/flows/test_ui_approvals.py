"""Approvals in the Prefect UI: the paused run's form, resumed through Prefect's API as the UI does."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from flows.local import run_once
from tests.flows.test_policies import DAY, MORNING_AFTER, applied, budget_spec, step


def _paused_run(since: datetime, timeout_s: float = 60.0):
    """This test's flow run (created after `since`: a session's server keeps earlier tests' runs) once it is
    Paused, and the form schema the UI renders for it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    paused = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = [
                r
                for r in client.read_flow_runs(flow_run_filter=paused)
                if "workflow:budget" in r.tags and r.created is not None and r.created >= since
            ]
            if runs:
                keyset = runs[0].state.state_details.run_input_keyset
                schema = client.read_flow_run_input(runs[0].id, keyset["schema"])
                return runs[0], schema
            time.sleep(0.2)
    raise AssertionError("no paused budget run")


def _run_in_thread(settings):
    result = {"since": datetime.now(UTC)}

    def run() -> None:
        result["summary"] = run_once(settings, "budget", DAY, as_of=MORNING_AFTER)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_a_reviewer_approves_in_the_prefect_ui_form_and_the_same_records_are_written(engine):
    import json

    from prefect.flow_runs import resume_flow_run

    settings, specs = engine
    budget_spec(specs, timeout=2.0)
    thread, result = _run_in_thread(settings)
    run, schema = _paused_run(result["since"])
    form = json.loads(schema)
    rows = form["properties"]["decisions"]
    assert rows["default"] == [
        {"subject": "google_ads", "amount": 0.3, "confidence": 0.9, "decision": "pending", "reason": ""}
    ]  # one row per decision above the threshold; meta_ads (5%) is applied automatically
    resume_flow_run(
        run.id,
        run_input={
            "reviewer": "test-approver",
            "decisions": [
                {"subject": "google_ads", "amount": 0.3, "confidence": 0.9, "decision": "approve", "reason": "ok"}
            ],
        },
    )
    thread.join(timeout=60)
    statuses = {a.subject: (a.status, a.decided_by) for a in step(result["summary"], "budget").approvals}
    assert statuses == {"google_ads": ("approved", "prefect-ui:test-approver"), "meta_ads": ("auto_applied", None)}
    rows = applied(settings)
    assert rows.status.tolist() == ["approved", "auto_applied"]
    assert rows.decided_by.tolist()[0] == "prefect-ui:test-approver"


def test_a_form_submitted_undecided_pauses_again_and_a_rejection_is_recorded(engine):
    from prefect.flow_runs import resume_flow_run

    settings, specs = engine
    budget_spec(specs, timeout=2.0)
    thread, result = _run_in_thread(settings)
    run, _ = _paused_run(result["since"])
    resume_flow_run(run.id, run_input={"reviewer": "test-approver", "decisions": []})  # nothing decided: wait on
    time.sleep(1.0)
    again, _ = _paused_run(result["since"])
    assert again.id == run.id
    resume_flow_run(
        run.id,
        run_input={
            "reviewer": "test-approver",
            "decisions": [{"subject": "google_ads", "confidence": 0.9, "decision": "reject", "reason": "too much"}],
        },
    )
    thread.join(timeout=60)
    assert {a.subject: a.status for a in step(result["summary"], "budget").approvals}["google_ads"] == "rejected"
    assert applied(settings).decided_by.tolist()[0] == "prefect-ui:test-approver"


def test_the_declared_reviewer_is_checked_against_the_policy_and_ledgered_as_unauthenticated(engine):
    """An operator (tester, who started the run) and an identity outside the policy are refused; the row stays
    pending and the run pauses again; an approver then decides. The ledger says the identity was only declared."""
    import json

    from prefect.flow_runs import resume_flow_run

    from mops.core.governance.guard import ledger
    from mops.core.warehouse.adapter import open_warehouse

    settings, specs = engine
    budget_spec(specs, timeout=4.0)
    thread, result = _run_in_thread(settings)
    row = {"subject": "google_ads", "confidence": 0.9, "decision": "approve", "reason": ""}
    for reviewer in ("tester", "mallory", ""):
        run, _ = _paused_run(result["since"])
        resume_flow_run(run.id, run_input={"reviewer": reviewer, "decisions": [row]})
        time.sleep(1.0)
    run, _ = _paused_run(result["since"])
    resume_flow_run(run.id, run_input={"reviewer": "test-approver", "decisions": [row]})
    thread.join(timeout=60)
    statuses = {a.subject: (a.status, a.decided_by) for a in step(result["summary"], "budget").approvals}
    assert statuses["google_ads"] == ("approved", "prefect-ui:test-approver")
    with open_warehouse(settings, read_only=True) as warehouse:
        entries = ledger(settings, warehouse).entries()
    refused = [(e["actor"], json.loads(e["details"])["reason"]) for e in entries if e["action"] == "refused"]
    assert [actor for actor, _ in refused] == ["tester", "mallory"]
    assert all("needs role approver" in reason for _, reason in refused)
    resumes = [e for e in entries if e["action"] == "ui_resume"]
    assert [e["actor"] for e in resumes] == ["tester", "mallory", "test-approver"]
    facts = json.loads(resumes[-1]["details"])
    assert facts["authenticated"] is False and facts["flow_run_id"] == str(run.id)
    assert facts["pause_key"].startswith("approval-") and facts["prefect_api_url"]
