"""The `mops` command line: one entry point, thin commands grouped by subject.

data (ingest, build, files, generate, docs, demo), contracts, agents (inventory, agent run), workflows
(validate, run, serve) and approvals; rendering lives in `render`. Commands parse arguments, call the
core and the engine, and print; they hold no business logic.
"""

from __future__ import annotations

import typer

from mops.app.cli import agents, approvals, contracts, data, server, workflows
from mops.app.cli.common import console
from mops.core.errors import MopsError

app = typer.Typer(
    help="mops: orchestration for marketing-operations agents.", no_args_is_help=True, pretty_exceptions_enable=False
)
for group in (data, contracts, agents, workflows, approvals, server):
    app.registered_commands += group.app.registered_commands
    app.registered_groups += group.app.registered_groups


def main() -> None:  # pragma: no cover
    """Entry point: a MopsError is a message for the user, not a traceback."""
    import os
    import time

    from rich.markup import escape

    from mops.app.catalog import compose
    from mops.app.cli import common

    # runs count the caller's wait from the process start (the overhead KPI), never later than now
    common.CALLER_STARTED_AT = min(common.process_started_at(), time.time())
    # the run summary is the output; Prefect's own chatter (and its usage telemetry) only on request.
    # Run logs still reach Prefect's API at INFO (the UI's Logs tab); the terminal shows warnings only.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    common.use_prefect_server()  # before Prefect is imported: its settings are read once
    compose()
    try:
        app()
    except MopsError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise SystemExit(1) from None


if __name__ == "__main__":  # python -m mops.app.cli
    main()
