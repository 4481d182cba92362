"""`mops gates ...`: accept a new volume level for an agent's input (the logic is in mops.core.ops.volumes)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from mops.core.errors import MopsError
from mops.core.settings import get_settings

gates_app = typer.Typer(help="Validation gates: accept a new volume level, audited.", no_args_is_help=True)
console = Console()


@gates_app.command("accept")
def accept(
    agent: Annotated[str, typer.Argument(help="Agent name (see `mops inventory`).")],
    input_name: Annotated[str, typer.Argument(metavar="INPUT", help="Input as in the gate message, or its model.")],
    reason: Annotated[str, typer.Option(help="Why the new level is right (recorded for the audit trail).")],
    by: Annotated[str | None, typer.Option(help="Who accepts it (default: the OS user).")] = None,
) -> None:
    """Accept the latest read level of AGENT's INPUT: the volume gate then compares only later reads with it."""
    from mops.core.ops import OpsLog
    from mops.core.ops.volumes import accept_level
    from mops.core.warehouse.adapter import open_warehouse

    try:
        with open_warehouse(get_settings()) as warehouse:
            accepted = accept_level(OpsLog(warehouse), agent, input_name, by or getpass.getuser(), reason)
    except MopsError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    for row in accepted:
        console.print(
            f"accepted {escape(row['input'])} for {escape(agent)} at {row['rows']:,} rows "
            f"({row['mode']} runs, {row['window_days']}-day windows), by {escape(row['accepted_by'])}: "
            f"{escape(row['reason'])} (ops.volume_acceptances)",
            highlight=False,
        )
