"""Audit ledger commands: verify the chain, show entries, export them as JSON Lines (role with read_audit)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mops.app.cli.common import console, fail
from mops.core.settings import get_settings

app = typer.Typer()
audit_app = typer.Typer(help="The tamper-evident audit ledger (ops.audit_log).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _open(settings):
    """The ledger, read-only, after checking the actor may read it."""
    from mops.core.governance.guard import Guard, ledger
    from mops.core.warehouse.adapter import open_warehouse

    Guard(settings).check("read_audit", ["*"])
    if not settings.warehouse_url and not settings.warehouse_path.exists():
        raise fail(f"no warehouse at {settings.warehouse_path}: nothing audited yet")
    warehouse = open_warehouse(settings, read_only=True)
    return warehouse, ledger(settings, warehouse)


@audit_app.command("verify")
def verify() -> None:
    """Walk the hash chain and compare its end with the head kept outside the warehouse; exit 1 if broken."""
    import time

    settings = get_settings()
    warehouse, book = _open(settings)
    started = time.perf_counter()
    with warehouse:
        result = book.verify()
    took = time.perf_counter() - started
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if not result.ok:
        console.print(f"[bold red]ledger broken at entry {result.broken_seq}:[/] {escape(result.problem)}")
        raise typer.Exit(1)
    console.print(
        f"[green]ledger ok[/]: {result.entries:,} entries, head {result.head_hash[:16]}... "
        f"(matches {escape(str(book.head_path))}) in {took:.2f} s"
    )


@audit_app.command("show")
def show(
    run: Annotated[str | None, typer.Option(help="Only entries of this run id.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only entries by this identity.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action (e.g. approve, refused, run_agent).")] = None,
    last: Annotated[int, typer.Option(min=1, help="At most this many (the newest).")] = 50,
) -> None:
    """Entries of the ledger, oldest first, filtered by run, actor or action."""
    from rich.table import Table

    warehouse, book = _open(get_settings())
    with warehouse:
        entries = book.entries(run_id=run, actor=actor, action=action)[-last:]
    if not entries:
        console.print("no entries")
        return
    table = Table("seq", "at (UTC)", "actor", "action", "object", "run", "details")
    for entry in entries:
        table.add_row(
            str(entry["seq"]),
            f"{entry['at']:%Y-%m-%d %H:%M:%S}",
            *(escape(entry[key]) for key in ("actor", "action", "object", "run_id", "details")),
        )
    console.print(table)


@audit_app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="JSON Lines file to write (one entry per line).")],
) -> None:
    """Every entry, with its hashes, as JSON Lines (verifiable elsewhere with the same SHA-256 rule)."""
    from mops.core.governance.ledger import canonical

    warehouse, book = _open(get_settings())
    with warehouse:
        entries = book.entries()
    partial = output.with_suffix(output.suffix + ".partial")
    with partial.open("w") as handle:
        for entry in entries:
            handle.write(canonical(entry | {"at": entry["at"].isoformat()}) + "\n")
    partial.replace(output)
    console.print(f"wrote {len(entries):,} entries to {escape(str(output))}")
