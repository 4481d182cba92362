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
    by: Annotated[str, typer.Option(help="Who decides (recorded).")] = "cli",
    wait: Annotated[float, typer.Option(help="Seconds to wait for a busy warehouse to record the decision.")] = 120,
) -> None:
    """Approve (or reject) a run's pending budget decisions."""
    from flows.approval_records import decide_and_record
    from flows.approvals import ApprovalStore

    settings = get_settings()
    store = ApprovalStore(settings.var_path / "approvals")
    # file and ops record in one step: when no run will record it, the ops row lands first or nothing changes
    changed = decide_and_record(settings, store, run_id, not reject, subject, by, wait_seconds=wait)
    for item in changed:
        console.print(
            f"{item['status']}: {escape(item['subject'])} {escape(item['action'])} {item['value']:+.1%} "
            f"({escape(item['reason'])})"
        )


@app.command("approvals")
def approvals_list() -> None:
    """Pending approval requests."""
    from flows.approvals import ApprovalStore

    store = ApprovalStore(get_settings().var_path / "approvals")
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
                        f"{item['action']} {item['value']:+.1%} (expires {record['expires_at']} UTC) - {item['reason']}"
                    )
                )
