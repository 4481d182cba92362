"""Errors that are not MopsError, in the user's terms: known ones explained, the rest logged, never a traceback."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from pathlib import Path


def user_message(exc: Exception) -> str | None:
    """A clear message for a known cause (a missing warehouse, marts not built), else None."""
    import duckdb

    if isinstance(exc, duckdb.CatalogException):
        return (
            "the warehouse has no such table: the dbt manifest (dbt_project/target/manifest.json) names marts "
            f"that this warehouse does not hold (was it deleted or never built?). Run `mops build` first. ({exc})"
        ).replace("\n", " ")
    if isinstance(exc, FileNotFoundError) and "warehouse" in str(exc):
        return str(exc)
    if isinstance(exc, duckdb.IOException):
        return f"the warehouse file cannot be opened: {exc}".replace("\n", " ")
    return None


def report_unexpected(exc: Exception) -> str:
    """Write the traceback to var/logs and return the one line the user sees (with where the log is)."""
    from mops.core.settings import get_settings

    summary = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    try:
        folder = get_settings().var_path / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / f"mops-error-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
        log.write_text("".join(traceback.format_exception(exc)))
    except Exception:  # the message matters more than the log
        return f"unexpected {summary} (no log could be written)"
    return f"unexpected {summary} (details in {Path(log)})"


class TracebacksToLog:
    """A console-handler filter: Prefect's error records keep their one line; the traceback goes to a log file.

    The Prefect API handler (the UI) sees the record first, with its traceback; the console does not.
    """

    def filter(self, record) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            line = report_unexpected(record.exc_info[1])
            record.msg, record.args = f"{record.getMessage()} ({line.split('(details in ', 1)[-1].rstrip(')')})", ()
            record.exc_info, record.exc_text = None, None
        return True


def quiet_prefect_tracebacks() -> None:
    """Install `TracebacksToLog` on Prefect's console handlers (after Prefect configured logging)."""
    import logging

    import prefect  # noqa: F401 - importing it configures its logging

    for handler in logging.getLogger().handlers:
        if type(handler).__name__ == "PrefectConsoleHandler" and not any(
            isinstance(f, TracebacksToLog) for f in handler.filters
        ):
            handler.addFilter(TracebacksToLog())
