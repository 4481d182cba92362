"""The `mops` command line: one entry point, thin commands grouped by subject.

data (ingest, build, files, generate, docs, demo), check (what the landing folder can feed), contracts,
agents (inventory, agent run), workflows
(validate, run, serve) and approvals; rendering lives in `render`. Commands parse arguments, call the
core and the engine, and print; they hold no business logic.
"""

from __future__ import annotations

import typer

from mops.app.cli import agents, approvals, check, contracts, data, workflows
from mops.app.cli.common import console
from mops.core.errors import MopsError

app = typer.Typer(
    help="mops: orchestration for marketing-operations agents.", no_args_is_help=True, pretty_exceptions_enable=False
)
for group in (data, check, contracts, agents, workflows, approvals):
    app.registered_commands += group.app.registered_commands
    app.registered_groups += group.app.registered_groups


def main() -> None:  # pragma: no cover
    """Entry point: a MopsError is a message for the user, not a traceback."""
    import os

    from rich.markup import escape

    from mops.app.catalog import compose

    # the run summary is the output; Prefect's own chatter (and its usage telemetry) only on request
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    compose()
    try:
        app()
    except MopsError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise SystemExit(1) from None


if __name__ == "__main__":  # python -m mops.app.cli
    main()
