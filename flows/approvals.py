"""Approvals: decisions above a threshold wait for a human (`mops approve RUN_ID`) or expire.

Requests live as one JSON file per run under var/approvals/, written atomically under a file
lock, so a person in another process (or the Prefect UI's operator running the CLI) can decide
while the workflow waits; the embedded warehouse stays with the workflow's process.
The file is not the authority: every write through the store is signed (HMAC with a secret
created 0600 under var/), and a file changed by hand is refused when read (flows/signing.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from flows.signing import Signer
from mops.core import interrupts
from mops.core.base import utcnow
from mops.core.errors import MopsError
from mops.core.runtime.agent import Decision


class ApprovalError(MopsError):
    """An approval that cannot be recorded (unknown run, nothing pending)."""


class ApprovalTampered(ApprovalError):
    """An approval file whose content was not written by mops (edited by hand, or corrupt)."""


def _needs_another(item: dict, by: str) -> bool:
    """Record `by` as one approver of an item needing two; True while the item still waits for another."""
    approved_by = item.setdefault("approved_by", [])
    if by in approved_by:
        raise ApprovalError(f"{item['subject']}: already approved by {by}; a second, different approver is needed")
    approved_by.append(by)
    return len(approved_by) < item.get("approvals_needed", 1)


class ApprovalStore:
    def __init__(self, folder: Path, key_path: Path | None = None):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.signer = Signer(key_path or folder.parent / "secrets" / "approvals.key")
        self.refused: list[str] = []  # files `pending()` skipped because their signature did not match

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
        record = {k: v for k, v in record.items() if k != "signature"}
        record["signature"] = self.signer.sign(record)
        partial = self.path(run_id).with_suffix(".partial")
        partial.write_text(json.dumps(record, indent=2, default=str))
        partial.replace(self.path(run_id))

    def read(self, run_id: str) -> dict:
        path = self.path(run_id)
        if not path.exists():
            raise ApprovalError(f"no approval requests for run {run_id} (looked in {self.folder})")
        return self._verified(path)

    def _verified(self, path: Path) -> dict:
        """The record, if mops wrote it; a hand-edited or corrupt file is refused, never counted."""
        refusal = (
            f"approval file {path} was not written by mops (changed by hand or corrupt): refused. "
            "Decisions are recorded only through `mops approve`; delete the file to drop the request."
        )
        try:
            record = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApprovalTampered(refusal) from exc
        if not isinstance(record, dict) or not self.signer.verify(
            {k: v for k, v in record.items() if k != "signature"}, record.get("signature")
        ):
            raise ApprovalTampered(refusal)
        return record

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
            "pid": os.getpid(),  # the waiting process: when it is gone, `mops approve` records the decision
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

    def decide(
        self,
        run_id: str,
        approve: bool,
        subjects: list[str] | None = None,
        by: str = "cli",
        before_write: Callable[[dict, list[dict]], None] | None = None,
    ) -> list[dict]:
        """Approve or reject pending items (all, or those about `subjects`); returns the items changed.

        `before_write(record, changed)` runs under the lock before the file changes (e.g. the ops
        record): if it raises, the file stays as it was, so the file and the record cannot diverge.
        """
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
            if before_write:
                before_write(record, changed)
            self._write(run_id, record)
        return changed

    def wait(
        self,
        run_id: str,
        poll_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[dict], None] | None = None,
    ) -> dict:
        """Block until no item is pending; pending items left at expiry become `expired`, at a stop `cancelled`."""
        announced = False
        while True:
            with self._locked(run_id):
                record = self.read(run_id)
                pending = [i for i in record["items"] if i["status"] == "pending"]
                if not pending:
                    return record
                expired = datetime.fromisoformat(record["expires_at"]) <= utcnow()
                if expired or interrupts.stop_requested():
                    status = "expired" if expired else "cancelled"
                    for item in pending:
                        item.update(status=status, decided_at=utcnow().isoformat())
                    self._write(run_id, record)
                    return record
            if on_wait and not announced:
                on_wait(record)
                announced = True
            if sleep is time.sleep:
                interrupts.sleep(poll_seconds)  # ends at once on SIGTERM/SIGINT
            else:
                sleep(poll_seconds)

    def waiter_gone(self, record: dict) -> bool:
        """A `wait` request whose waiting process died: nobody else will record its decisions."""
        return record.get("mode") == "wait" and not interrupts.pid_alive(record.get("pid"))

    def cancel_orphans(self) -> list[tuple[dict, list[dict]]]:
        """Pending `wait` requests of runs whose process is gone become `cancelled` (next run's start)."""
        cancelled = []
        for record in self.pending():
            if not self.waiter_gone(record):
                continue
            with self._locked(record["run_id"]):
                current = self.read(record["run_id"])
                items = [i for i in current["items"] if i["status"] == "pending"]
                for item in items:
                    item.update(status="cancelled", decided_at=utcnow().isoformat())
                self._write(record["run_id"], current)
            cancelled.append((current, items))
        return cancelled

    def pending(self) -> list[dict]:
        found, self.refused = [], []
        for path in sorted(self.folder.glob("*.json")):
            try:
                record = self._verified(path)
            except ApprovalTampered as exc:
                self.refused.append(str(exc))
                continue
            if any(i["status"] == "pending" for i in record["items"]):
                found.append(record)
        return found


def record_deferred(settings, record: dict, changed: list[dict]) -> None:
    """A deferred request decided after its run: record what is applied now (the run is over).

    `flows.approval_records.decide_and_record` does the decision and this record as one step.
    """
    from mops.core.ops import OpsLog
    from mops.core.warehouse.adapter import open_warehouse

    with open_warehouse(settings) as warehouse:
        OpsLog(warehouse).applied(record["run_id"], record["workflow"], [(record["step"], item) for item in changed])
