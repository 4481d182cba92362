"""Approval commands: what is pending, and approving or rejecting it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mops.app.cli.common import console
from mops.core.settings import get_settings

app = typer.Typer()


@app.command()
def approve(
    run_id: Annotated[str, typer.Argument(help="Run id waiting for approval (see `mops approvals`).")],
    reject: Annotated[bool, typer.Option(help="Reject instead of approve.")] = False,
    subject: Annotated[list[str] | None, typer.Option(help="Only these subjects (e.g. a channel); repeatable.")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for a busy warehouse to record the decision.")] = 120,
) -> None:
    """Approve (or reject) a run's pending budget decisions, as the acting identity (MOPS_ACTOR or OS user)."""
    from flows.approval_records import decide_and_record
    from flows.approvals import ApprovalStore
    from mops.core.governance.guard import Guard

    settings = get_settings()
    store = ApprovalStore(settings.var_path / "approvals")
    guard = Guard(settings)
    action = "reject" if reject else "approve"
    request = store.read(run_id)
    for item in request["items"]:  # the policy first: every item this command would decide
        if item["status"] == "pending" and (subject is None or item["subject"] in subject):
            guard.check_decision(action, request, item)
    # file and ops record in one step: when no run will record it, the ops row lands first or nothing changes
    changed = decide_and_record(settings, store, run_id, not reject, subject, guard.actor, wait_seconds=wait)
    record = store.read(run_id)
    if record.get("mode") == "defer":  # the run is over: the ledger gets the decision here
        _ledger_decided(settings, record, changed, guard.actor)
    for item in changed:
        pending = item["status"] == "pending"
        waiting = f" ({len(item['approved_by'])} of {item['approvals_needed']} approvals)" if pending else ""
        console.print(
            f"{item['status']}{waiting}: {escape(item['subject'])} {escape(item['action'])} {item['value']:+.1%} "
            f"({escape(item['reason'])})"
        )


def _scopes(request: dict, item: dict) -> list[str]:
    from mops.core.governance.guard import decision_scopes

    return decision_scopes(request["workflow"], item["subject"])


def _ledger_decided(settings, record: dict, changed: list[dict], actor: str) -> None:
    from mops.core.governance.guard import record_decisions
    from mops.core.warehouse.adapter import open_warehouse

    with open_warehouse(settings) as warehouse:
        record_decisions(settings, warehouse, record, changed, actor)


def _who_may(authorizer, record: dict, item: dict) -> str:
    candidates = authorizer.who_may("approve", _scopes(record, item), record.get("approver_role"))
    who = [m for m in candidates if m != record.get("requested_by") and m not in (item.get("approved_by") or [])]
    return ", ".join(who) or "nobody in governance/policy.yml"


@app.command("approvals")
def approvals_list() -> None:
    """Pending approval requests."""
    from flows.approvals import ApprovalStore
    from mops.core.governance.policy import Authorizer, load_policy

    settings = get_settings()
    authorizer = Authorizer(load_policy(settings.policy_path))
    store = ApprovalStore(settings.var_path / "approvals")
    pending = store.pending()
    for refusal in store.refused:
        console.print(f"[yellow]refused:[/] {escape(refusal)}")
    if not pending:
        console.print("nothing pending")
    for record in pending:
        for item in record["items"]:
            if item["status"] == "pending":
                console.print(
                    escape(
                        f"{record['run_id']} {record['workflow']}/{record['step']}: {item['subject']} "
                        f"{item['action']} {item['value']:+.1%} (expires {record['expires_at']} UTC) - "
                        f"{item['reason']}; "
                        f"started by {record.get('requested_by') or 'unknown'}, "
                        f"needs {item.get('approvals_needed', 1)} approval(s), may approve: "
                        f"{_who_may(authorizer, record, item)}"
                    )
                )
