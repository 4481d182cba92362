"""One writer at a time: each workflow run holds a lock on its warehouse.

Runs of any workflow (a backfill and the daily run, say) take turns, so their writes to the
same tables never interleave, whether they start from `mops run` or from a served deployment.
A file beside the DuckDB warehouse; a PostgreSQL advisory lock when the warehouse is PostgreSQL,
so runs on different machines (Prefect workers) take turns too.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager

from mops.core.errors import MopsError
from mops.core.settings import Settings


class WorkflowBusy(MopsError):
    """Another workflow run holds the warehouse for longer than we were willing to wait."""


# pg_advisory_lock key of "a mops workflow run writes this database" (any bigint, fixed for the project)
POSTGRES_LOCK_KEY = 0x6D6F7073


def warehouse_lock(settings: Settings, wait_seconds: float = 600.0):
    """The run lock for the configured warehouse: a PostgreSQL advisory lock (across machines) or a file."""
    if settings.warehouse_url:
        return _postgres_lock(settings, wait_seconds)
    return _file_lock(settings, wait_seconds)


@contextmanager
def _postgres_lock(settings: Settings, wait_seconds: float) -> Iterator[None]:
    from mops.core.warehouse.connections import connect_postgres

    connection = connect_postgres(settings.warehouse_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            deadline = time.monotonic() + wait_seconds
            while True:
                cursor.execute("select pg_try_advisory_lock(%s)", [POSTGRES_LOCK_KEY])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise WorkflowBusy(
                        f"another mops run holds the PostgreSQL warehouse (advisory lock {POSTGRES_LOCK_KEY}); "
                        f"waited {wait_seconds:.0f} s"
                    )
                time.sleep(0.2)
            try:
                yield
            finally:
                cursor.execute("select pg_advisory_unlock(%s)", [POSTGRES_LOCK_KEY])
    finally:
        connection.close()


@contextmanager
def _file_lock(settings: Settings, wait_seconds: float) -> Iterator[None]:
    path = settings.warehouse_path.with_name(settings.warehouse_path.name + ".mops-run.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() > deadline:
                    raise WorkflowBusy(
                        f"another mops run holds {settings.warehouse_path} (lock {path}); waited {wait_seconds:.0f} s"
                    ) from exc
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
