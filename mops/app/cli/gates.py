"""`mops gates ...`: accept a new volume level for an agent's input (the logic is in mops.core.ops.volumes)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mops.app.cli.common import console
from mops.core.errors import MopsError
from mops.core.settings import get_settings

app = typer.Typer()
gates_app = typer.Typer(help="Validation gates: accept a new volume level, audited.", no_args_is_help=True)
app.add_typer(gates_app, name="gates")


@gates_app.command("accept")
def accept(
    agent: Annotated[str, typer.Argument(help="Agent name (see `mops inventory`).")],
    input_name: Annotated[str, typer.Argument(metavar="INPUT", help="Input as in the gate message, or its model.")],
    reason: Annotated[str, typer.Option(help="Why the new level is right (recorded for the audit trail).")],
) -> None:
    """Accept the latest read level of AGENT's INPUT: the volume gate then compares only later reads with it."""
    from mops.core.governance import resolve_actor
    from mops.core.ops import OpsLog
    from mops.core.ops.volumes import accept_level
    from mops.core.warehouse.adapter import open_warehouse

    settings = get_settings()
    try:
        with open_warehouse(settings) as warehouse:
            accepted = accept_level(OpsLog(warehouse), agent, input_name, resolve_actor(settings), reason)
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
