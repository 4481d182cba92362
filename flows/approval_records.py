"""A decision and its ops record in one step, for requests no run will record (deferred, or the waiter died).

The warehouse is opened first (waiting, announced, while another process holds it); the
`ops.applied_decisions` row is written under the approval file's lock, then the file: if the
warehouse cannot be had, nothing changes, so the file and the table never disagree.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from flows.approvals import ApprovalError, ApprovalStore
from mops.core import interrupts


def decide_and_record(
    settings,
    store: ApprovalStore,
    run_id: str,
    approve: bool,
    subjects: list[str] | None = None,
    by: str = "cli",
    wait_seconds: float = 120.0,
) -> list[dict]:
    """Decide, and when no run will record it (deferred, or its waiting process is gone) record it in the
    same step: the warehouse is opened first (waiting while another process holds it), the ops row is
    written, then the file; if the warehouse cannot be had, nothing changes."""
    from mops.core.ops import OpsLog

    record = store.read(run_id)
    if record.get("mode") != "defer" and not store.waiter_gone(record):
        return store.decide(run_id, approve, subjects, by)  # the waiting run records what is decided
    with open_warehouse_waiting(settings, wait_seconds, f"to record the decision on run {run_id}") as warehouse:

        def record_first(current: dict, changed: list[dict]) -> None:
            decided = [i for i in changed if i["status"] != "pending"]  # an item awaiting a second approver waits
            OpsLog(warehouse).applied(current["run_id"], current["workflow"], [(current["step"], i) for i in decided])

        return store.decide(run_id, approve, subjects, by, before_write=record_first)


@contextmanager
def open_warehouse_waiting(settings, wait_seconds: float, why: str):
    """The warehouse, retried while another process holds it (announced once); MopsError after the wait."""
    from flows.waits import announce
    from mops.core.errors import WarehouseBusy
    from mops.core.warehouse.adapter import open_warehouse

    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        try:
            warehouse = open_warehouse(settings)
            break
        except WarehouseBusy as exc:
            if time.monotonic() > deadline:
                raise ApprovalError(f"{exc}; waited {wait_seconds:.0f} s {why}: nothing was changed, retry") from exc
            if not announced:
                announce(f"the warehouse is busy; waiting up to {wait_seconds:.0f} s {why} (Ctrl-C gives up)")
                announced = True
            if interrupts.sleep(0.5):
                raise ApprovalError(f"stopped while waiting {why}: nothing was changed") from exc
    try:
        yield warehouse
    finally:
        warehouse.close()
