"""The audit ledger detects every kind of tampering and names the first broken entry (DuckDB and PostgreSQL)."""

from __future__ import annotations

import pytest

from mops.core.governance.errors import LedgerError
from mops.core.governance.ledger import GENESIS, Ledger, canonical, entry_hash
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import make_settings
from tests.integration.test_postgres_pipeline import throwaway_database

ENTRIES = 5


@pytest.fixture(scope="module")
def postgres_url():
    with throwaway_database() as url:
        yield url


class Book:
    """A ledger of five entries plus a way to run raw SQL on its table (the tamperer's access)."""

    def __init__(self, settings, backend: str):
        self.settings = settings
        self.warehouse = open_warehouse(settings)
        if backend == "postgres":
            with self.warehouse._transaction() as cursor:
                cursor.execute("drop schema if exists ops cascade")
        self.ledger = Ledger(self.warehouse, settings.audit_head_path)
        for i in range(ENTRIES):
            self.ledger.append(f"user{i}", "run_agent", f"agent:a{i}", {"rows": i, "note": "ünïcode"}, run_id=f"r{i}")

    def sql(self, statement: str, params: list | None = None) -> None:
        with self.warehouse._transaction() as cursor:
            cursor.execute(statement.replace("?", "%s") if self.settings.warehouse_url else statement, params or [])

    def row(self, seq: int) -> dict:
        return next(e for e in self.ledger.entries() if e["seq"] == seq)


@pytest.fixture(params=["duckdb", "postgres"])
def book(request, tmp_path):
    overrides = {"warehouse_url": request.getfixturevalue("postgres_url")} if request.param == "postgres" else {}
    book = Book(make_settings(tmp_path, **overrides), request.param)
    yield book
    book.warehouse.close()


def test_an_untouched_ledger_verifies_and_chains_from_genesis(book):
    result = book.ledger.verify()
    assert result.ok, result.problem
    assert result.entries == ENTRIES
    entries = book.ledger.entries()
    assert entries[0]["prev_hash"] == GENESIS
    # independent recomputation of the chain
    prev = GENESIS
    for entry in entries:
        assert entry["prev_hash"] == prev
        prev = entry_hash(entry, prev)
        assert entry["hash"] == prev
    assert book.ledger.head()["hash"] == prev
    assert entries[2]["details"] == canonical({"note": "ünïcode", "rows": 2})


def test_an_edited_value_is_named(book):
    book.sql("update ops.audit_log set actor = 'mallory' where seq = 3")
    result = book.ledger.verify()
    assert not result.ok and result.broken_seq == 3
    assert "edited" in result.problem


def test_a_deleted_entry_is_named(book):
    book.sql("delete from ops.audit_log where seq = 2")
    result = book.ledger.verify()
    assert not result.ok and result.broken_seq == 2
    assert "missing" in result.problem


def test_deleting_the_last_entries_is_caught_by_the_head_outside(book):
    book.sql("delete from ops.audit_log where seq >= 4")
    result = book.ledger.verify()
    assert not result.ok and result.broken_seq == 4
    assert "deleted" in result.problem
    with pytest.raises(LedgerError, match="does not end at the head"):
        book.ledger.append("user", "run_agent", "agent:x")


def test_an_inserted_entry_is_named(book):
    second = book.row(2)
    book.sql("update ops.audit_log set seq = seq + 1 where seq >= 3")
    forged = {"seq": 3, "at": second["at"], "actor": "mallory", "action": "approve", "object": "workflow:daily"}
    forged |= {"run_id": "r9", "details": "{}", "prev_hash": second["hash"]}
    forged["hash"] = entry_hash(forged, second["hash"])
    book.ledger.ops.append("audit_log", [forged])
    result = book.ledger.verify()
    assert not result.ok and result.broken_seq == 4  # the forged entry chains; the one after it cannot
    assert "inserted" in result.problem


def test_two_swapped_entries_are_named(book):
    book.sql("update ops.audit_log set seq = case seq when 2 then 3 else 2 end where seq in (2, 3)")
    result = book.ledger.verify()
    assert not result.ok and result.broken_seq == 2
    assert "moved" in result.problem


def test_a_consistent_rewrite_of_the_chain_is_caught_by_the_head_outside(book):
    entries = book.ledger.entries()
    prev = entries[1]["hash"]
    for entry in entries[2:]:  # rewrite entry 3 and re-hash everything after it
        if entry["seq"] == 3:
            entry["actor"] = "mallory"
        entry["prev_hash"] = prev
        entry["hash"] = prev = entry_hash(entry, prev)
        book.sql(
            "update ops.audit_log set actor = ?, prev_hash = ?, hash = ? where seq = ?",
            [entry["actor"], entry["prev_hash"], entry["hash"], entry["seq"]],
        )
    chain_alone = book.ledger.entries()
    assert chain_alone[2]["actor"] == "mallory"
    result = book.ledger.verify()
    assert not result.ok and result.broken_seq == ENTRIES
    assert "rewritten" in result.problem


def test_entries_appended_outside_mops_are_named(book):
    last = book.row(ENTRIES)
    extra = {"seq": ENTRIES + 1, "at": last["at"], "actor": "mallory", "action": "approve", "object": "x"}
    extra |= {"run_id": "", "details": "{}", "prev_hash": last["hash"]}
    extra["hash"] = entry_hash(extra, last["hash"])
    book.ledger.ops.append("audit_log", [extra])
    result = book.ledger.verify()
    assert not result.ok and result.broken_seq == ENTRIES + 1
    assert "not by mops" in result.problem


def test_spooled_entries_are_chained_by_the_next_append_in_time_order(book):
    book.ledger.spool("lead", "approve", "workflow:daily", {"subject": "search"}, run_id="r1")
    book.ledger.append("user", "run_agent", "agent:x")
    entries = book.ledger.entries()
    assert [e["action"] for e in entries[-2:]] == ["approve", "run_agent"]
    assert entries[-2]["actor"] == "lead" and entries[-2]["run_id"] == "r1"
    assert not book.ledger.spool_path.exists()
    assert book.ledger.verify().ok
