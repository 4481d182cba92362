"""Stopping cleanly: a signal asks the run to stop, every wait checks it, child processes die with us.

SIGTERM or SIGINT inside a run (`cooperative()`) only sets `STOP`: the engine starts no new step, the
waits (run lock, approvals) return, dbt's process group is killed, and the run is recorded as
cancelled before the process exits. Outside a run, or on a second signal, `Interrupted` is raised at
once, so context managers (the run lock, Prefect's temporary server) still unwind. A child started
through `child_kwargs()` gets its own process group and a parent-death signal (Linux prctl), so even
a kill -9 of mops leaves no dbt process behind holding the warehouse.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import threading
from collections.abc import Iterator

from mops.core.errors import MopsError

STOP = threading.Event()
_state = {"reason": "", "cooperative": 0}
_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()

PR_SET_PDEATHSIG = 1


class Interrupted(MopsError):
    """The process was asked to stop (SIGTERM or SIGINT)."""


def stop_requested() -> bool:
    return STOP.is_set()


def reason() -> str:
    return _state["reason"]


def exit_code() -> int:
    """The conventional exit code of the signal that stopped us (128 + signal number)."""
    return {"SIGTERM": 143, "SIGINT": 130}.get(_state["reason"], 1)


def check() -> None:
    """Raise `Interrupted` when a stop was requested (call it before starting anything long)."""
    if STOP.is_set():
        raise Interrupted(f"stopped by {_state['reason'] or 'request'}")


def sleep(seconds: float) -> bool:
    """Sleep up to `seconds`; True when a stop was requested (the sleep ends at once)."""
    return STOP.wait(max(seconds, 0.0))


def request_stop(why: str) -> None:
    """Ask everything to stop: set STOP and kill the tracked child process groups."""
    _state["reason"] = _state["reason"] or why
    STOP.set()
    kill_children()


def reset() -> None:
    """Forget a previous stop (tests, and a long-lived process that handled it)."""
    STOP.clear()
    _state["reason"] = ""


# --- child processes ---------------------------------------------------------------------------


def _death_signal_setter():
    """A preexec function: the child gets SIGKILL when its parent dies (resolved before fork)."""
    name = ctypes.util.find_library("c")
    try:
        prctl = ctypes.CDLL(name, use_errno=True).prctl if name else None
    except (OSError, AttributeError):
        prctl = None
    parent = os.getpid()

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl: do not outlive it
            os._exit(1)

    return preexec


def child_kwargs() -> dict:
    """Popen arguments for a child that dies with us: its own process group plus a parent-death signal."""
    return {"start_new_session": True, "preexec_fn": _death_signal_setter()}


@contextlib.contextmanager
def tracked(process: subprocess.Popen, grace_seconds: float = 5.0) -> Iterator[subprocess.Popen]:
    """Kill the child's process group if we leave early (an exception) or a stop is requested."""
    with _children_lock:
        _children.add(process)
    try:
        yield process
    except BaseException:
        _kill_group(process, grace_seconds)
        raise
    finally:
        with _children_lock:
            _children.discard(process)


def _kill_group(process: subprocess.Popen, grace_seconds: float = 5.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def kill_group(process: subprocess.Popen, grace_seconds: float = 5.0) -> None:
    """SIGTERM a child's process group, SIGKILL after the grace period."""
    _kill_group(process, grace_seconds)


def kill_children() -> None:
    """SIGTERM every tracked child's group (their readers see the end of output and return)."""
    with _children_lock:
        children = list(_children)
    for process in children:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id exists on this machine (a zombie counts as gone)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


# --- signals -----------------------------------------------------------------------------------


@contextlib.contextmanager
def cooperative() -> Iterator[None]:
    """Within: the first signal only requests a stop; the code checks `STOP` and winds down itself."""
    _state["cooperative"] += 1
    try:
        yield
    finally:
        _state["cooperative"] -= 1


def _handler(signum, frame) -> None:
    name = signal.Signals(signum).name
    first = not STOP.is_set()
    request_stop(name)
    if first and _state["cooperative"]:
        return
    raise Interrupted(f"stopped by {name}")


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGINT into a requested stop (or `Interrupted`) in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
