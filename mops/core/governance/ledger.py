"""The tamper-evident audit ledger: `ops.audit_log`, append-only, hash-chained, its head kept outside.

Each entry is (seq, at, actor, action, object, run_id, details, prev_hash, hash) where
`hash = SHA-256(canonical JSON of the content fields + prev_hash)` and `prev_hash` is the hash of
the entry before (64 zeros for the first). Editing a value breaks that entry's hash; deleting,
inserting or moving an entry breaks the seq sequence or the link of the entry after it. A rewrite
of the whole chain with fresh hashes is consistent in itself, so the head (seq and hash of the last
entry) is also written to a file under the state directory (var/audit/head.json) after each append,
and `verify` compares the two. Appends are serialised by a file lock next to that file.

An entry that cannot reach the warehouse now (the embedded file is held by a waiting run) is spooled
to var/audit/spool-<warehouse>.jsonl with its time, and chained by the next append from any process.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mops.core.base import utcnow
from mops.core.governance.errors import LedgerError
from mops.core.ops import OpsLog
from mops.core.settings import Settings
from mops.core.warehouse.adapter import Warehouse

TABLE = "audit_log"
GENESIS = "0" * 64
CONTENT = ("seq", "at", "actor", "action", "object", "run_id", "details")
_THREADS = threading.Lock()  # parallel steps of one run share the process


def canonical(value: object) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept, non-JSON values as their str()."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _at_text(value: object) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%S.%f")


def entry_hash(entry: dict, prev_hash: str) -> str:
    content = {key: entry[key] for key in CONTENT}
    content["at"] = _at_text(content["at"])
    return hashlib.sha256((canonical(content) + prev_hash).encode()).hexdigest()


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head_hash: str
    problem: str = ""
    broken_seq: int | None = None
    warnings: list[str] = field(default_factory=list)


def location_of(settings: Settings) -> str:
    """Which warehouse a head belongs to (a PostgreSQL URL without its password, or the DuckDB file)."""
    if settings.warehouse_url:
        url = settings.warehouse_url
        scheme, _, rest = url.partition("://")
        creds, at, host = rest.rpartition("@")
        return f"{scheme}://{creds.split(':')[0]}{at}{host}" if at else url
    return str(settings.warehouse_path)


class Ledger:
    """Append to, read and verify the ledger of one warehouse."""

    def __init__(self, warehouse: Warehouse, head_path: Path):
        self.ops = OpsLog(warehouse)
        self.head_path = head_path
        self.location = location_of(warehouse.settings)

    # --- the head outside the warehouse ------------------------------------------------------

    def _heads(self) -> dict[str, dict]:
        if not self.head_path.exists():
            return {}
        try:
            return json.loads(self.head_path.read_text())
        except json.JSONDecodeError as exc:
            raise LedgerError(f"{self.head_path}: not valid JSON ({exc}); restore it from a backup") from exc

    def head(self) -> dict | None:
        return self._heads().get(self.location)

    def _write_head(self, entry: dict) -> None:
        heads = self._heads()
        heads[self.location] = {"seq": entry["seq"], "hash": entry["hash"], "at": _at_text(entry["at"])}
        partial = self.head_path.with_suffix(".partial")
        partial.write_text(json.dumps(heads, indent=2, sort_keys=True))
        partial.replace(self.head_path)

    def forget_head(self) -> None:
        """A new ledger starts here (the demo deletes its warehouse): drop this warehouse's recorded head."""
        with self._locked():
            heads = self._heads()
            if heads.pop(self.location, None) is not None:
                self.head_path.write_text(json.dumps(heads, indent=2, sort_keys=True))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.head_path.parent.mkdir(parents=True, exist_ok=True)
        with _THREADS, self.head_path.with_suffix(".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- writing ------------------------------------------------------------------------------

    @property
    def spool_path(self) -> Path:
        return self.head_path.parent / f"spool-{hashlib.sha256(self.location.encode()).hexdigest()[:12]}.jsonl"

    def spool(self, actor: str, action: str, object: str, details: dict | None = None, run_id: str = "") -> None:
        """Keep an entry for later (the warehouse is busy); the next append chains it, in its time order."""
        line = {"at": _at_text(utcnow()), "actor": actor, "action": action, "object": object}
        line |= {"run_id": run_id or "", "details": details or {}}
        with self._locked(), self.spool_path.open("a") as handle:
            handle.write(canonical(line) + "\n")

    def _last(self) -> dict | None:
        if not self.ops.exists(TABLE):
            return None
        rows = self.ops.warehouse.fetch("select seq, hash from ops.audit_log order by seq desc limit 1")  # fixed
        return {"seq": int(rows[0][0]), "hash": str(rows[0][1])} if rows else None

    def append(self, actor: str, action: str, object: str, details: dict | None = None, run_id: str = "") -> dict:
        """Add one entry after the current last one; refused when the chain's end is not the recorded head."""
        with self._locked():
            last, head = self._last(), self.head()
            if head and (last is None or (last["seq"], last["hash"]) != (head["seq"], head["hash"])):
                raise LedgerError(
                    f"the audit ledger does not end at the head recorded in {self.head_path} "
                    f"(seq {head['seq']}); nothing appended: run `mops audit verify`"
                )
            spooled = self._read_spool()
            now = {"at": utcnow(), "actor": actor, "action": action, "object": object, "run_id": run_id or ""}
            rows, seq, prev = [], last["seq"] if last else 0, last["hash"] if last else GENESIS
            for item in [*spooled, now | {"details": details or {}}]:
                seq += 1
                entry = {key: item[key] for key in ("at", "actor", "action", "object", "run_id")}
                entry |= {"seq": seq, "details": canonical(item["details"]), "prev_hash": prev}
                entry["at"] = pd.Timestamp(entry["at"]).to_pydatetime()
                entry["hash"] = prev = entry_hash(entry, prev)
                rows.append(entry)
            self.ops.append_few(TABLE, rows)  # one transaction: the spool and the entry land together or none
            self._write_head(rows[-1])
            if spooled:
                self.spool_path.unlink()
        return rows[-1]

    def _read_spool(self) -> list[dict]:
        if not self.spool_path.exists():
            return []
        return [json.loads(line) for line in self.spool_path.read_text().splitlines() if line.strip()]

    # --- reading ------------------------------------------------------------------------------

    def entries(self, run_id: str | None = None, actor: str | None = None, action: str | None = None) -> list[dict]:
        """Entries in chain order, optionally filtered (run id, actor, action); empty fields as ''."""
        filters = {"run_id": run_id, "actor": actor, "action": action}
        where = " and ".join(f"{column} = ?" for column, value in filters.items() if value)
        params = [value for value in filters.values() if value]
        frame = self.ops.query(TABLE, where, params, order="seq")
        return [_normalise(row) for row in frame.to_dict("records")]

    def verify(self) -> VerifyResult:
        """Walk the chain from the first entry; the first entry that does not hold is named."""
        entries = self.entries()
        prev, expected = GENESIS, 1
        for entry in entries:
            seq = entry["seq"]
            if seq != expected:
                problem = (
                    f"entry {expected} is missing (the next entry is seq {seq}): deleted or renumbered"
                    if seq > expected
                    else f"entry {seq} appears again after entry {expected - 1}: inserted or duplicated"
                )
                return VerifyResult(False, len(entries), prev, problem, expected)
            if entry["prev_hash"] != prev:
                problem = (
                    f"entry {seq} does not follow entry {seq - 1} (its prev_hash differs): "
                    "an entry was inserted, removed or moved before it"
                )
                return VerifyResult(False, len(entries), prev, problem, seq)
            if entry_hash(entry, prev) != entry["hash"]:
                problem = f"entry {seq} ({entry['action']} by {entry['actor']}) does not match its hash: edited"
                return VerifyResult(False, len(entries), prev, problem, seq)
            prev, expected = entry["hash"], expected + 1
        return self._against_head(entries, prev)

    def _against_head(self, entries: list[dict], last_hash: str) -> VerifyResult:
        count, head = len(entries), self.head()
        if head is None:
            warning = f"no head recorded in {self.head_path}: a rewrite of the whole chain cannot be ruled out"
            return VerifyResult(True, count, last_hash, warnings=[warning] if entries else [])
        seq = int(head["seq"])
        if seq > count:
            problem = f"the chain ends at entry {count} but the head recorded outside is entry {seq}: entries deleted"
            return VerifyResult(False, count, last_hash, problem, count + 1)
        if entries[seq - 1]["hash"] != head["hash"]:
            problem = (
                f"entry {seq} differs from the head recorded in {self.head_path}: "
                "the chain was rewritten (consistently) up to there"
            )
            return VerifyResult(False, count, last_hash, problem, seq)
        if count > seq:
            problem = f"entries {seq + 1}..{count} were appended after the recorded head, not by mops"
            return VerifyResult(False, count, last_hash, problem, seq + 1)
        return VerifyResult(True, count, last_hash)


def _normalise(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if key == "seq":
            out[key] = int(value)
        elif key == "at":
            out[key] = pd.Timestamp(value).to_pydatetime()
        else:
            out[key] = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return out
