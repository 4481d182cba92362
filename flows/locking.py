"""One writer at a time: each workflow run holds a lock on its warehouse.

Runs of any workflow (a backfill and the daily run, say) take turns, so their writes to the
same tables never interleave, whether they start from `mops run` or from a served deployment.
A file beside the DuckDB warehouse; a PostgreSQL advisory lock when the warehouse is PostgreSQL,
so runs on different machines (Prefect workers) take turns too.

Neither can outlive its owner: the kernel drops a flock when the holding process dies (children
never inherit it: Popen closes inherited descriptors), PostgreSQL drops an advisory lock with its
session. The file names its owner (pid, host, since), so a wait says whom it waits for; an owner
that is gone while the lock is still held means a leftover process holds it, and the wait names it.
A wait announces itself once and ends at once on SIGTERM/SIGINT. Every wait and every refusal is a
writer conflict (mops.core.ops.writers): noted with both runs, recorded in ops.conflicts by the next run.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.waits import announce
from mops.core import interrupts
from mops.core.base import utcnow
from mops.core.errors import MopsError
from mops.core.ops import writers
from mops.core.settings import Settings


class WorkflowBusy(MopsError):
    """Another workflow run holds the warehouse for longer than we were willing to wait."""


# pg_advisory_lock key of "a mops workflow run writes this database" (any bigint, fixed for the project)
POSTGRES_LOCK_KEY = 0x6D6F7073


def warehouse_lock(
    settings: Settings,
    wait_seconds: float = 600.0,
    what: str = "a workflow run",
    run_id: str | None = None,
    workflow: str | None = None,
):
    """The run lock for the configured warehouse: a PostgreSQL advisory lock (across machines) or a file."""
    me = {"pid": os.getpid(), "host": socket.gethostname(), "what": what, "run_id": run_id, "workflow": workflow}
    if settings.warehouse_url:
        return _postgres_lock(settings, wait_seconds, me)
    return _file_lock(settings, wait_seconds, me)


def _meeting(settings: Settings, outcome: str, me: dict, holder: dict, waited_from: float, limit: float) -> None:
    """Note a wait or a refusal as a writer conflict (both runs named)."""
    subject = (
        f"warehouse {settings.warehouse_url.rsplit('@', 1)[-1]}"
        if settings.warehouse_url
        else f"warehouse {settings.warehouse_path}"
    )
    waited = time.monotonic() - waited_from
    writers.note(settings, writers.lock_meeting(outcome, subject, me, holder, waited, limit))


def lock_path(settings: Settings) -> Path:
    return settings.warehouse_path.with_name(settings.warehouse_path.name + ".mops-run.lock")


def _waited(wait_seconds: float, holder: str, what: str) -> None:
    announce(
        f"{what} waits for the warehouse: {holder} holds it; waiting up to {wait_seconds:.0f} s. "
        "It proceeds as soon as that run ends (`kill -TERM <pid>` stops that run cleanly); "
        "Ctrl-C or SIGTERM here gives up."
    )


@contextmanager
def _postgres_lock(settings: Settings, wait_seconds: float, me: dict) -> Iterator[None]:
    from mops.core.warehouse.connections import connect_postgres

    connection = connect_postgres(settings.warehouse_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            what = me["what"]
            holder = {"what": f"another mops run (advisory lock {POSTGRES_LOCK_KEY})", "pid": "?", "host": "?"}
            begun = time.monotonic()
            deadline = begun + wait_seconds
            announced = False
            while True:
                cursor.execute("select pg_try_advisory_lock(%s)", [POSTGRES_LOCK_KEY])
                if cursor.fetchone()[0]:
                    if announced:
                        _meeting(settings, "waited", me, holder, begun, wait_seconds)
                    break
                if time.monotonic() > deadline:
                    _meeting(settings, "refused", me, holder, begun, wait_seconds)
                    raise WorkflowBusy(
                        f"another mops run holds the PostgreSQL warehouse (advisory lock {POSTGRES_LOCK_KEY}); "
                        f"waited {wait_seconds:.0f} s"
                    )
                if not announced:
                    _waited(wait_seconds, f"another mops run (advisory lock {POSTGRES_LOCK_KEY})", what)
                    announced = True
                if interrupts.sleep(0.2):
                    raise interrupts.Interrupted(f"stopped by {interrupts.reason()} while waiting for the warehouse")
            try:
                yield
            finally:
                cursor.execute("select pg_advisory_unlock(%s)", [POSTGRES_LOCK_KEY])
    finally:
        connection.close()


def owner(path: Path) -> dict:
    """Who wrote the lock file last (pid, host, since); empty when unknown."""
    try:
        found = json.loads(path.read_text() or "{}")
    except (OSError, json.JSONDecodeError):
        return {}
    return found if isinstance(found, dict) else {}


def holder_pids(path: Path) -> list[int]:
    """Processes (other than us) that have the lock file open: a leftover that inherited the lock is among them.

    /proc/locks names the process that took a flock, which may be gone while a child that inherited the
    descriptor still holds it, so the holders are found as fuser does, through /proc/<pid>/fd.
    """
    try:
        target = path.stat()
    except OSError:
        return []
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                found = fd.stat()
                if (found.st_ino, found.st_dev) == (target.st_ino, target.st_dev):
                    pids.append(int(entry.name))
                    break
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return sorted(pids)


def describe_holder(path: Path) -> str:
    found = owner(path)
    pid = found.get("pid")
    if pid and interrupts.pid_alive(pid) or found.get("host") not in (None, socket.gethostname()):
        return f"process {pid} on {found.get('host')} ({found.get('what', 'a run')}, since {found.get('since')} UTC)"
    holders = holder_pids(path)
    if holders:
        return (
            f"process {', '.join(map(str, holders))} (its owner {pid or '?'} is gone: a leftover process; "
            f"stop it with `kill {holders[0]}`)"
        )
    return "another process"


@contextmanager
def _file_lock(settings: Settings, wait_seconds: float, me: dict) -> Iterator[None]:
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    what = me["what"]
    with path.open("a+") as handle:
        begun = time.monotonic()
        deadline = begun + wait_seconds
        announced = False
        holder: dict = {}
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if announced:
                    _meeting(settings, "waited", me, holder, begun, wait_seconds)
                break
            except BlockingIOError as exc:
                holder = holder or owner(path) or {"what": describe_holder(path)}
                if time.monotonic() > deadline:
                    _meeting(settings, "refused", me, holder, begun, wait_seconds)
                    raise WorkflowBusy(
                        f"another mops run holds {settings.warehouse_path} (lock {path}, held by "
                        f"{describe_holder(path)}); waited {wait_seconds:.0f} s"
                    ) from exc
                if not announced:
                    _waited(wait_seconds, describe_holder(path), what)
                    announced = True
                if interrupts.sleep(0.2):
                    raise interrupts.Interrupted(
                        f"stopped by {interrupts.reason()} while waiting for the warehouse"
                    ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(me | {"since": str(utcnow())}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
