"""Approvals: decisions above a threshold wait for a human (`mops approve RUN_ID`) or expire.

Requests live as one JSON file per run under var/approvals/, written atomically under a file
lock, so a person in another process (or the Prefect UI's operator running the CLI) can decide
while the workflow waits; the embedded warehouse stays with the workflow's process.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from mops.core.base import utcnow
from mops.core.errors import MopsError
from mops.core.runtime.agent import Decision


class ApprovalError(MopsError):
    """An approval that cannot be recorded (unknown run, nothing pending)."""



def _needs_another(item: dict, by: str) -> bool:
    """Record `by` as one approver of an item needing two; True while the item still waits for another."""
    approved_by = item.setdefault("approved_by", [])
    if by in approved_by:
        raise ApprovalError(f"{item['subject']}: already approved by {by}; a second, different approver is needed")
    approved_by.append(by)
    return len(approved_by) < item.get("approvals_needed", 1)


class ApprovalStore:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.json"

    @contextmanager
    def _locked(self, run_id: str) -> Iterator[None]:
        with (self.folder / f"{run_id}.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, run_id: str, record: dict) -> None:
        partial = self.path(run_id).with_suffix(".partial")
        partial.write_text(json.dumps(record, indent=2, default=str))
        partial.replace(self.path(run_id))

    def read(self, run_id: str) -> dict:
        path = self.path(run_id)
        if not path.exists():
            raise ApprovalError(f"no approval requests for run {run_id} (looked in {self.folder})")
        return json.loads(path.read_text())

    def request(
        self,
        run_id: str,
        workflow: str,
        step: str,
        decisions: list[Decision],
        timeout: timedelta,
        mode: str = "wait",
        requested_by: str = "",
        approver_role: str | None = None,
        needed: Callable[[float | None], int] = lambda value: 1,
    ) -> dict:
        record = {
            "run_id": run_id,
            "requested_by": requested_by,  # who started the run: separation of duties (mops.core.governance)
            "approver_role": approver_role,  # the role an approver must hold (None: the approve action is enough)
            "mode": mode,  # wait: the run records what is decided | defer: `mops approve` records it later
            "workflow": workflow,
            "step": step,
            "requested_at": utcnow().isoformat(),
            "expires_at": (utcnow() + timeout).isoformat(),
            "items": [
                {
                    "subject": d.subject,
                    "kind": d.kind,
                    "action": d.action,
                    "value": d.value,
                    "low": d.low,
                    "high": d.high,
                    "reason": d.reason,
                    "status": "pending",
                    "approvals_needed": needed(d.value),
                    "approved_by": [],
                    "decided_by": None,
                    "decided_at": None,
                }
                for d in decisions
            ],
        }
        with self._locked(run_id):
            self._write(run_id, record)
        return record

    def decide(self, run_id: str, approve: bool, subjects: list[str] | None = None, by: str = "cli") -> list[dict]:
        """Approve or reject pending items (all, or those about `subjects`); returns the items changed."""
        with self._locked(run_id):
            record = self.read(run_id)
            if datetime.fromisoformat(record["expires_at"]) < utcnow():
                raise ApprovalError(f"run {run_id}: the approval request expired at {record['expires_at']} UTC")
            changed = []
            for item in record["items"]:
                if item["status"] == "pending" and (subjects is None or item["subject"] in subjects):
                    if approve and _needs_another(item, by):
                        changed.append(item)  # one of two approvals: still pending
                        continue
                    item.update(
                        status="approved" if approve else "rejected",
                        decided_by=", ".join(item["approved_by"]) if approve else by,
                        decided_at=utcnow().isoformat(),
                    )
                    changed.append(item)
            if not changed:
                raise ApprovalError(f"run {run_id}: nothing pending" + (f" for {subjects}" if subjects else ""))
            self._write(run_id, record)
        return changed

    def wait(self, run_id: str, poll_seconds: float, sleep: Callable[[float], None] = time.sleep) -> dict:
        """Block until no item is pending; pending items left at expiry become `expired`."""
        while True:
            with self._locked(run_id):
                record = self.read(run_id)
                pending = [i for i in record["items"] if i["status"] == "pending"]
                if not pending:
                    return record
                if datetime.fromisoformat(record["expires_at"]) <= utcnow():
                    for item in pending:
                        item.update(status="expired", decided_at=utcnow().isoformat())
                    self._write(run_id, record)
                    return record
            sleep(poll_seconds)

    def pending(self) -> list[dict]:
        found = []
        for path in sorted(self.folder.glob("*.json")):
            record = json.loads(path.read_text())
            if any(i["status"] == "pending" for i in record["items"]):
                found.append(record)
        return found


def record_deferred(settings, record: dict, changed: list[dict]) -> None:
    """A deferred request decided after its run: record what is applied now (the run is over)."""
    from mops.core.ops import OpsLog
    from mops.core.warehouse.adapter import open_warehouse

    with open_warehouse(settings) as warehouse:
        OpsLog(warehouse).applied(record["run_id"], record["workflow"], [(record["step"], item) for item in changed])
