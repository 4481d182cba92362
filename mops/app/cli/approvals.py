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
) -> None:
    """Approve (or reject) a run's pending budget decisions."""
    from flows.approvals import ApprovalStore, record_deferred

    settings = get_settings()
    store = ApprovalStore(settings.var_path / "approvals")
    changed = store.decide(run_id, not reject, subject, by)
    record = store.read(run_id)
    if record.get("mode") == "defer":  # the run is over: record what is applied now
        record_deferred(settings, record, changed)
    for item in changed:
        console.print(
            f"{item['status']}: {escape(item['subject'])} {escape(item['action'])} {item['value']:+.1%} "
            f"({escape(item['reason'])})"
        )


@app.command("approvals")
def approvals_list() -> None:
    """Pending approval requests."""
    from flows.approvals import ApprovalStore

    pending = ApprovalStore(get_settings().var_path / "approvals").pending()
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
