"""The run lock: names its holder, finds a leftover holder of a dead owner, gives up on a stop."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from flows import waits
from flows.locking import WorkflowBusy, describe_holder, lock_path, owner, warehouse_lock
from mops.core import interrupts
from tests.conftest import make_settings

# holds the lock, forks a child that inherits it, then the owner exits without releasing
LEFTOVER = textwrap.dedent(
    """
    import os, sys, time
    from flows.locking import warehouse_lock
    from tests.conftest import make_settings
    from pathlib import Path
    with warehouse_lock(make_settings(Path(sys.argv[1])), what="owner"):
        child = os.fork()
        if child == 0:
            os.close(1); os.close(2)  # let the test read the pid without waiting for us
            time.sleep(30)
            os._exit(0)
        print(child, flush=True)
        os._exit(0)
    """
)


@pytest.fixture(autouse=True)
def _clean_stop():
    interrupts.reset()
    yield
    interrupts.reset()


def test_the_lock_file_names_its_owner_while_held_and_is_cleared_after(tmp_path):
    settings = make_settings(tmp_path)
    with warehouse_lock(settings, what="run r1 of daily"):
        found = owner(lock_path(settings))
        assert found["what"] == "run r1 of daily" and found["pid"] > 0
    assert owner(lock_path(settings)) == {}


def test_a_busy_lock_says_who_holds_it_and_a_waiter_announces_itself(tmp_path):
    settings = make_settings(tmp_path)
    notices = []
    waits.NOTICE_LISTENERS.append(lambda kind, message: notices.append(message))
    try:
        with warehouse_lock(settings, what="run r1 of daily"):
            errors = []

            def second():
                try:
                    with warehouse_lock(settings, wait_seconds=0.5, what="run r2 of daily"):
                        pass
                except WorkflowBusy as exc:
                    errors.append(str(exc))

            thread = threading.Thread(target=second)
            thread.start()
            thread.join()
    finally:
        waits.NOTICE_LISTENERS.clear()
    assert "run r1 of daily" in errors[0] and "waited 0 s" in errors[0]
    assert len(notices) == 1 and "run r2 of daily waits for the warehouse" in notices[0]
    assert "up to 0 s" in notices[0] and "kill -TERM" in notices[0]


def test_a_dead_owner_whose_child_still_holds_the_lock_is_named_as_a_leftover(tmp_path):
    settings = make_settings(tmp_path)
    result = subprocess.run([sys.executable, "-c", LEFTOVER, str(tmp_path)], capture_output=True, text=True, check=True)
    child = int(result.stdout)
    try:
        path = lock_path(settings)
        assert json.loads(path.read_text())["what"] == "owner"  # the owner never cleared it
        text = describe_holder(path)
        assert f"process {child}" in text and "is gone: a leftover process" in text and f"kill {child}" in text
    finally:
        import os
        import signal

        os.kill(child, signal.SIGKILL)
    time.sleep(0.2)
    with warehouse_lock(settings, wait_seconds=2):  # the leftover gone, the lock is free again
        pass


def test_a_stop_ends_the_lock_wait_at_once(tmp_path):
    settings = make_settings(tmp_path)
    outcome = []
    with warehouse_lock(settings):

        def second():
            try:
                with warehouse_lock(settings, wait_seconds=60):
                    outcome.append("acquired")
            except interrupts.Interrupted as exc:
                outcome.append(str(exc))

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        interrupts.request_stop("SIGTERM")
        thread.join(5)
        assert time.monotonic() - started < 2
    assert outcome == ["stopped by SIGTERM while waiting for the warehouse"]
