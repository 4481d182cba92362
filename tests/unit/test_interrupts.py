"""Children die with their parent; signals become a requested stop inside a run, an exception outside."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from mops.core import interrupts

PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    from mops.core import interrupts
    kwargs = interrupts.child_kwargs() if sys.argv[1] == "guarded" else {}
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], **kwargs)
    print(child.pid, flush=True)
    time.sleep(60)
    """
)


@pytest.fixture(autouse=True)
def _clean_stop():
    interrupts.reset()
    yield
    interrupts.reset()


def _orphan_after_kill9(mode: str) -> int:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, mode], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert interrupts.pid_alive(child)
    parent.kill()
    parent.wait()
    time.sleep(0.5)
    return child


def test_a_guarded_child_dies_when_its_parent_is_killed_9():
    child = _orphan_after_kill9("guarded")
    deadline = time.monotonic() + 5
    while interrupts.pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not interrupts.pid_alive(child)


def test_an_unguarded_child_outlives_its_killed_parent_so_the_guard_is_what_helps():
    child = _orphan_after_kill9("plain")
    try:
        assert interrupts.pid_alive(child)
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_tracked_child_group_is_killed_when_the_caller_fails():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], **interrupts.child_kwargs())
    with pytest.raises(RuntimeError), interrupts.tracked(process, grace_seconds=2):
        raise RuntimeError("the caller failed")
    assert process.wait(5) is not None


def test_a_requested_stop_kills_tracked_children_and_ends_sleeps_at_once():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], **interrupts.child_kwargs())
    with interrupts.tracked(process):
        interrupts.request_stop("SIGTERM")
        assert process.wait(5) == -signal.SIGTERM
    started = time.monotonic()
    assert interrupts.sleep(30) is True
    assert time.monotonic() - started < 1
    with pytest.raises(interrupts.Interrupted, match="SIGTERM"):
        interrupts.check()
    assert interrupts.exit_code() == 143


def test_inside_a_run_the_first_signal_only_requests_a_stop_and_a_second_raises():
    with interrupts.handle_signals(), interrupts.cooperative():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handler runs between bytecodes of the main thread
        assert interrupts.stop_requested() and interrupts.reason() == "SIGTERM"
        with pytest.raises(interrupts.Interrupted):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)


def test_outside_a_run_a_signal_raises_so_context_managers_unwind():
    unwound = []
    with pytest.raises(interrupts.Interrupted, match="SIGINT"), interrupts.handle_signals():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
        finally:
            unwound.append(True)
    assert unwound == [True]
    assert interrupts.exit_code() == 130
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_pid_alive_tells_a_live_process_from_a_finished_one():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert interrupts.pid_alive(os.getpid())
    assert not interrupts.pid_alive(process.pid)
    assert not interrupts.pid_alive(None) and not interrupts.pid_alive(0)
