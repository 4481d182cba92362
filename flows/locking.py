"""One writer at a time: a file lock beside the warehouse, held by each workflow run.

Runs of any workflow (a backfill and the daily run, say) take turns, so their writes to the
same tables never interleave, whether they start from `mops run` or from a served deployment.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager

from mops.errors import MopsError
from mops.settings import Settings


class WorkflowBusy(MopsError):
    """Another workflow run holds the warehouse for longer than we were willing to wait."""


@contextmanager
def warehouse_lock(settings: Settings, wait_seconds: float = 600.0) -> Iterator[None]:
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
