"""Approvals in the Prefect UI: a waiting step pauses its flow run with a typed input form.

The request is first written to the approval store (flows/approvals.py) as always, so `mops approve`
keeps working; then, when the run talks to a Prefect server a reviewer can open, the flow run pauses
with one form row per decision (subject, amount, confidence, approve or reject, a reason). Whichever
path decides, the store holds the decisions and the run records them the same way:
- a reviewer submits the form in the UI: its rows are written to the store (decided by `prefect-ui:<who>`),
  each checked against the governance policy for the identity the form declares, as `mops approve` checks its
  actor (the approve/reject action, the approval rule's role, never the run's proposer); a refused row stays
  pending and the refusal is in the ledger. The open-source Prefect server has no user accounts: the reviewer
  field is what the person typed, not an authenticated identity, so the ledger records it as declared, with what
  Prefect does know (the flow run, the pause key, the server URL);
- someone runs `mops approve`: a watcher sees the store change and resumes the paused run itself;
- nobody decides: at expiry the watcher resumes the run and the pending items become `expired`.
Rows left undecided in the form pause the run again until the request expires.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from flows import observe
from flows.approvals import ApprovalStore
from mops.core import interrupts
from mops.core.base import utcnow
from mops.core.runtime.agent import Decision


class ReviewRow(BaseModel):
    """One decision waiting for a reviewer."""

    subject: str
    amount: float | None = Field(default=None, description="the decision's value, e.g. +0.30 = +30% budget")
    confidence: float
    decision: Literal["pending", "approve", "reject"] = "pending"
    reason: str = Field(default="", description="why (kept in the run's log)")


def approval_form(decisions: list[Decision]):
    """The RunInput the UI renders: prefilled rows, one per decision."""
    from prefect.input import RunInput

    class ApprovalForm(RunInput):
        reviewer: str = Field(
            default="", description="your identity in governance/policy.yml (required; recorded as prefect-ui:NAME)"
        )
        decisions: list[ReviewRow] = Field(default_factory=list)

    rows = [
        ReviewRow(subject=d.subject, amount=None if d.value is None else round(d.value, 4), confidence=d.confidence)
        for d in decisions
    ]
    return ApprovalForm.with_initial_data(
        description="Approve or reject each decision, then submit. `mops approve RUN_ID` works as well.",
        decisions=rows,
    )


def in_prefect_ui() -> bool:
    """Pause only where a reviewer can reach the UI: a flow run on a server (not a temporary one)."""
    from prefect.context import FlowRunContext
    from prefect.settings import PREFECT_API_URL

    from flows.local_server import is_temporary

    url = PREFECT_API_URL.value()
    return FlowRunContext.get() is not None and bool(url) and not is_temporary(url)


def wait_for_decisions(
    store: ApprovalStore,
    run_id: str,
    decisions: list[Decision],
    poll_seconds: float,
    sleep=time.sleep,
    on_wait=None,
    settings=None,
) -> dict:
    """Block until the request is decided (UI or CLI) or expired; returns the store's final record."""
    if in_prefect_ui():
        if on_wait is not None:  # say what is awaited and how to end it (once), as the store's wait does
            on_wait(store.read(run_id))
            on_wait = None
        try:
            _pause_until_decided(store, run_id, decisions, poll_seconds, settings)
        except RuntimeError as exc:  # e.g. another step already paused this run: fall back to the store
            observe.tell("approval form unavailable (%s); waiting on `mops approve`", exc, warning=True)
    return store.wait(run_id, poll_seconds, sleep, on_wait=on_wait)


def _pending(store: ApprovalStore, run_id: str) -> tuple[list[dict], datetime]:
    record = store.read(run_id)
    return [i for i in record["items"] if i["status"] == "pending"], datetime.fromisoformat(record["expires_at"])


def _pause_until_decided(
    store: ApprovalStore, run_id: str, decisions: list[Decision], poll_seconds: float, settings=None
) -> None:
    from prefect.context import FlowRunContext
    from prefect.exceptions import FlowPauseTimeout
    from prefect.flow_runs import pause_flow_run

    flow_run_id = FlowRunContext.get().flow_run.id
    round_ = 0
    while True:
        pending, expires = _pending(store, run_id)
        left = (expires - utcnow()).total_seconds()
        if not pending or left <= 0 or interrupts.stop_requested():  # a stop: the store's wait cancels them
            return
        round_ += 1
        waiting = [d for d in decisions if d.subject in {i["subject"] for i in pending}]
        done = threading.Event()
        watcher = threading.Thread(
            target=_watch, args=(store, run_id, flow_run_id, poll_seconds, done), daemon=True, name="mops-approval"
        )
        watcher.start()
        try:
            form = pause_flow_run(
                wait_for_input=approval_form(waiting),
                timeout=math.ceil(left) + 60,  # the watcher resumes at expiry; this is the backstop
                poll_interval=max(poll_seconds, 0.2),
                key=f"approval-{run_id}-{round_}",
            )
        except FlowPauseTimeout:
            return
        finally:
            done.set()
            watcher.join()
        _apply(store, run_id, form, settings, _prefect_facts(flow_run_id, f"approval-{run_id}-{round_}"))


def _prefect_facts(flow_run_id, key: str) -> dict:
    """What Prefect can tell about a resume: which flow run, which pause, on which server; never who."""
    from prefect.settings import PREFECT_API_URL

    return {
        "flow_run_id": str(flow_run_id),
        "pause_key": key,
        "prefect_api_url": PREFECT_API_URL.value(),
        "identity": "declared in the form (the open-source Prefect server authenticates no user)",
        "authenticated": False,
    }


def _apply(store: ApprovalStore, run_id: str, form, settings=None, facts: dict | None = None) -> None:
    """The form's decided rows go to the store, each checked against the policy for the declared reviewer;
    rows already decided elsewhere, or refused, are left as they are (pending rows pause the run again)."""
    from flows.approvals import ApprovalError
    from mops.core.governance import PermissionRefused
    from mops.core.governance.guard import Guard
    from mops.core.settings import get_settings

    decided = [row for row in form.decisions if row.decision != "pending"]
    reviewer = (form.reviewer or "").strip()
    if decided and not reviewer:
        observe.tell("the approval form came back without a reviewer: nothing recorded; fill in `reviewer`",
                     warning=True)
        return
    if not decided:
        return
    guard = Guard(settings or get_settings(), actor=reviewer)
    request = store.read(run_id)
    items = {item["subject"]: item for item in request["items"]}
    guard.record("ui_resume", f"workflow:{request['workflow']}", dict(facts or {}, rows=len(decided)), run_id)
    by = f"prefect-ui:{reviewer}"
    for row in decided:
        action = "approve" if row.decision == "approve" else "reject"
        try:
            guard.check_decision(action, request, items.get(row.subject, {"subject": row.subject}))
        except PermissionRefused as exc:  # audited by the guard; the row stays pending
            observe.tell("%s from the Prefect UI refused: %s", row.subject, exc, warning=True)
            continue
        try:
            store.decide(run_id, row.decision == "approve", [row.subject], by=by)
        except ApprovalError as exc:  # decided meanwhile by `mops approve`, or expired
            observe.tell("approval of %s from the UI not recorded: %s", row.subject, exc, warning=True)
            continue
        note = f": {row.reason}" if row.reason else ""
        observe.tell("%s %sd %s in the Prefect UI%s", by, row.decision, row.subject, note)


def _watch(store: ApprovalStore, run_id: str, flow_run_id, poll_seconds: float, done: threading.Event) -> None:
    """Resume the paused run when the store is decided (`mops approve`) or the request expires."""
    from prefect.exceptions import FlowPauseTimeout, NotPausedError
    from prefect.flow_runs import resume_flow_run

    while not done.wait(max(poll_seconds, 0.2)):
        pending, expires = _pending(store, run_id)
        if pending and utcnow() < expires and not interrupts.stop_requested():
            continue  # a stop (SIGTERM/SIGINT) resumes the run too: the store's wait then cancels
        try:
            resume_flow_run(flow_run_id, run_input={"reviewer": "", "decisions": []})
        except NotPausedError:  # not paused yet (or resumed by the UI meanwhile: `done` is set then)
            continue
        except (RuntimeError, FlowPauseTimeout) as exc:
            observe.tell("could not resume the paused run: %s", exc, warning=True)
        return
