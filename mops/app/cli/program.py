"""The `mops` command line's program: the Typer app with every command group, and `main`.

data (ingest, build, files, generate, docs, demo), check (what the landing folder can feed), contracts,
agents (inventory, agent run), workflows (validate, run, serve), approvals, gates, monitor, audit, warehouse
grants and the Prefect server; rendering lives in `render`. Commands parse arguments, call the core and the engine, and
print; they hold no business logic. No traceback reaches a user: `main` turns every exception into one
line (and the traceback into a log file it names).
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from mops.app.cli import (
    agents,
    approvals,
    audit,
    check,
    contracts,
    data,
    gates,
    monitor,
    server,
    warehouse,
    workflows,
)
from mops.app.cli.common import console
from mops.app.cli.errors import report_unexpected, user_message
from mops.core import interrupts
from mops.core.errors import MopsError

app = typer.Typer(
    help="mops: orchestration for marketing-operations agents.", no_args_is_help=True, pretty_exceptions_enable=False
)
for group in (data, check, contracts, agents, gates, workflows, approvals, monitor, audit, warehouse, server):
    app.registered_commands += group.app.registered_commands
    app.registered_groups += group.app.registered_groups


def main(started_at: float | None = None, refresh: Callable[[], None] | None = None) -> None:  # pragma: no cover
    """Entry point: a MopsError is a message for the user, not a traceback; SIGTERM/SIGINT stop cleanly.

    `started_at`: when the caller's process started, if not this one (the warm start's child); `refresh`:
    re-read what was captured at import time (Prefect's settings), once the environment below is set.
    """
    import os
    import time

    from rich.markup import escape

    from mops.app.catalog import compose
    from mops.app.cli import common

    # runs count the caller's wait from the process start (the overhead KPI), never later than now
    common.CALLER_STARTED_AT = min(started_at or common.process_started_at(), time.time())
    # the run summary is the output; Prefect's own chatter (and its usage telemetry) only on request.
    # Run logs still reach Prefect's API at INFO (the UI's Logs tab); the terminal shows warnings only.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    common.use_prefect_server()  # before Prefect is imported: its settings are read once
    if refresh is not None:  # ... or, in a warm start's child, after: read them again
        refresh()
    try:
        with interrupts.handle_signals():  # context managers unwind (run lock, temporary server) on a signal
            compose()
            app()
    except interrupts.Interrupted as exc:
        console.print(f"[bold magenta]stopped:[/] {escape(str(exc))}", highlight=False)
        raise SystemExit(interrupts.exit_code()) from None
    except KeyboardInterrupt:
        console.print("[bold magenta]stopped:[/] interrupted", highlight=False)
        raise SystemExit(130) from None
    except MopsError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise SystemExit(1) from None
    except Exception as exc:  # nothing unexpected reaches the user as a traceback
        message = user_message(exc)
        if message is None:
            message = report_unexpected(exc)
        console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        raise SystemExit(1) from None
