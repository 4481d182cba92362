"""Driving real `mops` CLI processes for the fault suite: start, watch the output, find every descendant."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from mops.core.interrupts import pid_alive
from mops.core.settings import PROJECT_DIR

MOPS = Path(sys.executable).parent / "mops"


def children_of(pid: int) -> list[int]:
    """Every descendant of `pid` now, from /proc (no psutil): parent links followed down."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class MopsProcess:
    """A running `mops` command whose output lines are collected as they come."""

    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    killed_children: dict[int, str] = field(default_factory=dict)  # pid -> command line, at the kill
    _queue: queue.Queue = field(default_factory=queue.Queue)

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 90.0) -> str:
        """The first output line containing `text` (fails if the process ends or the time runs out)."""
        for line in self.lines:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"mops ended ({self.process.poll()}) before {text!r}:\n{self.output}")
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output}")

    def wait_for_child(self, needle: str, timeout: float = 90.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for child in children_of(self.process.pid):
                if needle in cmdline(child):
                    return child
            time.sleep(0.05)
        raise AssertionError(f"no child process running {needle!r} within {timeout} s:\n{self.output}")

    def finish(self, timeout: float = 120.0) -> int:
        code = self.process.wait(timeout)
        while True:
            try:
                line = self._queue.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return code

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def kill(self, sig: int) -> list[int]:
        """Send `sig`; returns the descendants that existed just before (all of them must go)."""
        descendants = children_of(self.process.pid)
        self.killed_children = {pid: cmdline(pid) for pid in descendants}
        os.kill(self.process.pid, sig)
        return descendants


def start(args: list[str], env: dict[str, str]) -> MopsProcess:
    full = {**os.environ, **env, "PYTHONPATH": str(PROJECT_DIR), "PYTHONUNBUFFERED": "1", "COLUMNS": "250"}
    process = subprocess.Popen(
        [str(MOPS), *args], env=full, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    running = MopsProcess(process)
    threading.Thread(target=running._read, daemon=True).start()
    return running


def run(args: list[str], env: dict[str, str], timeout: float = 180.0) -> tuple[int, str]:
    process = start(args, env)
    code = process.finish(timeout)
    return code, process.output


def left_behind(pids: list[int], grace: float = 10.0) -> list[str]:
    """The processes of `pids` still alive after `grace` seconds (each with its command line)."""
    deadline = time.monotonic() + grace
    alive = pids
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if pid_alive(pid)]
        if not alive:
            return []
        time.sleep(0.1)
    described = [f"{pid}: {cmdline(pid)}" for pid in alive]
    for pid in alive:  # do not leak them into the rest of the session
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return described
