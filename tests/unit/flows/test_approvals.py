"""Approvals: signed files (a hand edit is refused), waits that end on a stop, decisions recorded with the file."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from flows.approval_records import decide_and_record
from flows.approvals import ApprovalError, ApprovalStore, ApprovalTampered
from mops.core import interrupts
from mops.core.runtime.agent import Decision
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import make_settings

DECISIONS = [
    Decision(kind="shift_budget", subject="google_ads", action="increase", value=0.3, confidence=0.9, reason="r"),
    Decision(kind="shift_budget", subject="meta_ads", action="decrease", value=-0.2, confidence=0.9, reason="r"),
]
HOLD = (
    "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
    "time.sleep(float(sys.argv[2]))"
)


@pytest.fixture(autouse=True)
def _clean_stop():
    interrupts.reset()
    yield
    interrupts.reset()


@pytest.fixture
def store(tmp_path):
    return ApprovalStore(tmp_path / "var" / "approvals")


def test_the_signing_secret_is_created_once_readable_only_by_its_owner(store):
    store.request("r1", "daily", "budget", DECISIONS, timedelta(minutes=5))
    key = store.signer.key_path
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = key.read_text()
    ApprovalStore(store.folder).request("r2", "daily", "budget", DECISIONS, timedelta(minutes=5))
    assert key.read_text() == first


def test_a_decision_written_through_the_store_reads_back(store):
    store.request("r1", "daily", "budget", DECISIONS, timedelta(minutes=5))
    changed = store.decide("r1", approve=True, subjects=["google_ads"], by="anna")
    assert [(i["subject"], i["status"], i["decided_by"]) for i in changed] == [("google_ads", "approved", "anna")]
    assert [i["status"] for i in store.read("r1")["items"]] == ["approved", "pending"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r["items"][0].update(status="approved", decided_by="mallory"),  # a forged approval
        lambda r: r["items"][0].update(value=0.9),  # a changed amount
        lambda r: r.update(expires_at="2999-01-01T00:00:00"),  # a longer deadline
        lambda r: r.pop("signature"),
    ],
)
def test_a_hand_edited_file_is_refused_with_a_clear_message_and_never_counted(store, edit):
    store.request("r1", "daily", "budget", DECISIONS, timedelta(minutes=5))
    path = store.path("r1")
    record = json.loads(path.read_text())
    edit(record)
    path.write_text(json.dumps(record))
    with pytest.raises(ApprovalTampered, match=r"not written by mops .*`mops approve`"):
        store.read("r1")
    with pytest.raises(ApprovalTampered):
        store.wait("r1", poll_seconds=0.01)
    with pytest.raises(ApprovalTampered):
        store.decide("r1", approve=True)
    assert store.pending() == [] and len(store.refused) == 1


def test_garbage_in_the_file_is_refused_not_a_traceback(store):
    store.request("r1", "daily", "budget", DECISIONS, timedelta(minutes=5))
    store.path("r1").write_text("{not json")
    with pytest.raises(ApprovalTampered, match="not written by mops"):
        store.read("r1")


def test_a_stop_ends_the_approval_wait_and_cancels_what_is_pending(store):
    store.request("r1", "daily", "budget", DECISIONS, timedelta(minutes=5))
    announced = []
    threading.Timer(0.3, interrupts.request_stop, ["SIGTERM"]).start()
    started = time.monotonic()
    record = store.wait("r1", poll_seconds=5, on_wait=announced.append)
    assert time.monotonic() - started < 2  # not the 5 s poll, not the 5 min timeout
    assert [i["status"] for i in record["items"]] == ["cancelled", "cancelled"]
    assert [i["status"] for i in store.read("r1")["items"]] == ["cancelled", "cancelled"]
    assert len(announced) == 1


def test_the_wait_announces_what_it_waits_for_how_long_and_the_command_that_ends_it(store):
    from flows.waits import NOTICE_LISTENERS, announce_approval_wait

    record = store.request("r1", "daily", "budget", DECISIONS, timedelta(minutes=5))
    notices = []
    NOTICE_LISTENERS.append(lambda kind, message: notices.append(message))
    try:
        announce_approval_wait(record)
    finally:
        NOTICE_LISTENERS.clear()
    assert "2 decision(s)" in notices[0] and "google_ads increase +30.0%" in notices[0]
    assert f"until {record['expires_at']} UTC" in notices[0] and "`mops approve r1`" in notices[0]


def test_requests_of_a_dead_waiting_process_are_cancelled_and_live_ones_kept(store):
    store.request("mine", "daily", "budget", DECISIONS, timedelta(minutes=5))
    store.request("dead", "daily", "budget", DECISIONS, timedelta(minutes=5))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with store._locked("dead"):
        record = store.read("dead")
        record["pid"] = gone.pid
        store._write("dead", record)
    cancelled = store.cancel_orphans()
    assert [(r["run_id"], len(items)) for r, items in cancelled] == [("dead", 2)]
    assert {i["status"] for i in store.read("dead")["items"]} == {"cancelled"}
    assert {i["status"] for i in store.read("mine")["items"]} == {"pending"}


def _held(settings, seconds: float) -> subprocess.Popen:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.warehouse_path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_approving_a_deferred_request_while_the_warehouse_is_held_changes_nothing_or_both(tmp_path):
    settings = make_settings(tmp_path)
    store = ApprovalStore(settings.var_path / "approvals")
    store.request("r1", "daily", "budget", DECISIONS, timedelta(minutes=5), mode="defer")
    holder = _held(settings, 30)
    try:
        with pytest.raises(ApprovalError, match="nothing was changed"):
            decide_and_record(settings, store, "r1", approve=True, subjects=["google_ads"], wait_seconds=0.5)
        assert {i["status"] for i in store.read("r1")["items"]} == {"pending"}  # the file did not move alone
    finally:
        holder.kill()
        holder.wait()
    holder = _held(settings, 1.5)  # released while `mops approve` waits: the record lands, then the file
    decide_and_record(settings, store, "r1", approve=True, subjects=["google_ads"], by="anna", wait_seconds=20)
    holder.wait()
    with open_warehouse(settings) as warehouse:
        rows = warehouse.query("select subject, status, decided_by from ops.applied_decisions")
    assert rows.values.tolist() == [["google_ads", "approved", "anna"]]
    assert [i["status"] for i in store.read("r1")["items"]] == ["approved", "pending"]
