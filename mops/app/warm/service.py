"""The warm process's loop: one thread, one selector; a forked child per command, watched until it ends.

Per connection: the peer's uid must be ours (SO_PEERCRED); the request carries argv, cwd, environment,
the caller's start time and identity, and the caller's stdin/stdout/stderr as file descriptors. A request
from another checkout or interpreter is declined (the caller starts cold); when this process's own source
changed since it started, it declines and re-executes itself once no child runs. Otherwise it forks: the
child gets its own process group and dies with this process (parent-death signal), puts the three
descriptors on 0/1/2, takes the caller's environment and working directory and runs the command. The
loop then forwards the caller's signals to the child, kills the child's group when the caller's end of
the socket closes (the caller died, even by kill -9), and sends the child's exit status when it ends.
Nothing forks while a second thread exists in this process (checked in /proc before every fork).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mops.app.warm import wire

PR_SET_PDEATHSIG = 1
STOP_GRACE_S = 8.0


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} warm[{os.getpid()}] {message}", file=sys.stderr, flush=True)


def threads_in_process() -> int:
    """Every thread of this process, the interpreter's and native ones (OpenBLAS, DuckDB) alike."""
    return len(os.listdir("/proc/self/task"))


def assert_single_threaded() -> None:
    count, python = threads_in_process(), threading.active_count()
    assert count == 1 and python == 1, f"the warm process has {count} threads ({python} Python): no fork"


@dataclass
class Child:
    pid: int
    conn: socket.socket
    reader: wire.Reader
    pidfd: int


class Service:
    def __init__(self, folder: Path, run_child: Callable[[dict], int], stamp: str) -> None:
        self.folder, self.run_child, self.stamp = folder, run_child, stamp
        self.children: dict[int, Child] = {}
        self.selector = selectors.DefaultSelector()
        self.stopping = self.restart = False
        self.listener: socket.socket | None = None
        self.wake_r, self.wake_w = socket.socketpair()
        self.prctl = _prctl()  # resolved once: finding libc runs a subprocess

    # --- the listening socket ------------------------------------------------------------------

    def bind(self) -> None:
        path = wire.socket_path(self.folder)
        path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # created 0600: only this user may connect
        try:
            with wire.short_address(path) as address:
                listener.bind(address)
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        listener.listen(16)
        self.listener = listener
        self.selector.register(listener, selectors.EVENT_READ, "accept")

    def close_listener(self) -> None:
        if self.listener is None:
            return
        self.selector.unregister(self.listener)
        self.listener.close()
        self.listener = None
        with contextlib.suppress(OSError):
            wire.socket_path(self.folder).unlink()

    # --- requests ------------------------------------------------------------------------------

    def accept(self) -> None:
        conn, _ = self.listener.accept()
        fds: list[int] = []
        try:
            conn.settimeout(5.0)
            caller, uid = wire.peer(conn)
            if uid != os.getuid():
                _log(f"refused a connection from pid {caller} (uid {uid})")
                return conn.close()
            data, fds, _, _ = socket.recv_fds(conn, 65536, 3)
            reader = wire.Reader(conn, data)
            request = reader.read()
            why = self.decline(request, fds)
            if why:
                with contextlib.suppress(OSError):
                    conn.sendall(wire.encode({"fallback": why}))
                return conn.close()
            self.fork(request, fds, conn, reader, caller)
        except (OSError, ValueError, TypeError) as exc:
            _log(f"request failed: {exc!r}")
            conn.close()
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def decline(self, request: dict | None, fds: list[int]) -> str:
        if not isinstance(request, dict) or len(fds) != 3:
            return "malformed request"
        if request.get("identity") != wire.identity():
            return "another checkout, Python or virtual environment"
        if self.stopping:
            return "stopping"
        if wire.source_stamp() != self.stamp:
            self.restart = True
            self.close_listener()  # nobody else comes here until the new process listens
            return "mops's source changed since the warm process started (it restarts)"
        try:
            assert_single_threaded()
        except AssertionError as exc:
            self.stopping = True
            self.close_listener()
            _log(str(exc))
            return str(exc)
        return ""

    def fork(self, request: dict, fds: list[int], conn: socket.socket, reader: wire.Reader, caller: int) -> None:
        prctl = self.prctl
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.setpgid(0, 0)
                if prctl is not None:
                    prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                self._become_child(request, fds, conn)
                code = self.run_child(request)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException as exc:  # noqa: BLE001 - the child reports and ends; the loop is not its own
                with contextlib.suppress(Exception):
                    print(f"error: the warm start failed in the child: {exc!r}", file=sys.stderr, flush=True)
            os._exit(code)
        _log(f"child {pid} runs the command of pid {caller}")
        conn.settimeout(None)
        conn.setblocking(False)
        child = Child(pid, conn, reader, os.pidfd_open(pid))
        self.children[pid] = child
        self.selector.register(conn, selectors.EVENT_READ, ("conn", pid))
        self.selector.register(child.pidfd, selectors.EVENT_READ, ("exit", pid))
        try:
            conn.sendall(wire.encode({"pid": pid}))
        except OSError:
            self.caller_gone(pid)

    def _become_child(self, request: dict, fds: list[int], conn: socket.socket) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL if sig != signal.SIGPIPE else signal.SIG_IGN)
        signal.set_wakeup_fd(-1)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)  # dup2 leaves 0/1/2 inheritable, as a normal start has them
        for fd in fds:
            if fd > 2:
                os.close(fd)
        for child in self.children.values():
            child.conn.close()
            os.close(child.pidfd)
        conn.close()  # the caller must see the end of the stream when this process dies
        if self.listener is not None:
            self.listener.close()
        self.wake_r.close()
        self.wake_w.close()
        self.selector.close()
        _adopt_process_state(request.get("process") or {})
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])

    # --- running children ----------------------------------------------------------------------

    def from_caller(self, pid: int) -> None:
        """Every message the caller has sent (signals to forward), or its end of the stream."""
        child = self.children[pid]
        while True:
            try:
                message = child.reader.read()
            except BlockingIOError:
                return
            except (OSError, ValueError):
                message = None
            if message is None:
                return self.caller_gone(pid)
            signum = message.get("signal")
            if isinstance(signum, int):
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(pid, signum)  # not yet reaped: the pid is still this child's

    def caller_gone(self, pid: int) -> None:
        """The caller's end closed (it died): the child's whole group goes too, as it would with the caller."""
        child = self.children.get(pid)
        if child is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(child.conn)
        child.conn.close()

    def ended(self, pid: int) -> None:
        child = self.children.pop(pid)
        _, status, usage = os.wait4(pid, 0)
        _log(f"child {pid} ended with status {status}, {usage.ru_utime + usage.ru_stime:.2f} s CPU")
        self.selector.unregister(child.pidfd)
        os.close(child.pidfd)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # whatever the command left in its group
        message = {"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else {"exit": os.WEXITSTATUS(status)}
        if child.conn.fileno() >= 0:
            with contextlib.suppress(OSError, KeyError, ValueError):
                self.selector.unregister(child.conn)
            with contextlib.suppress(OSError):
                child.conn.setblocking(True)
                child.conn.sendall(wire.encode(message))
            child.conn.close()

    # --- the loop ------------------------------------------------------------------------------

    def on_signal(self, signum, frame) -> None:
        self.stopping = True

    def serve(self) -> None:
        self.wake_w.setblocking(False)
        self.wake_r.setblocking(False)
        signal.set_wakeup_fd(self.wake_w.fileno(), warn_on_full_buffer=False)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self.on_signal)
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")
        self.bind()
        _log(f"listening on {wire.socket_path(self.folder)}")
        deadline = None
        while True:
            if (self.stopping or self.restart) and self.listener is not None:
                self.close_listener()
            if self.stopping and deadline is None:
                deadline = time.monotonic() + STOP_GRACE_S
                for pid in self.children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
            if (self.stopping or self.restart) and not self.children:
                break
            if deadline is not None and time.monotonic() > deadline:
                for pid in self.children:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
            for key, _ in self.selector.select(timeout=1.0):
                if key.data == "wake":
                    with contextlib.suppress(OSError):
                        self.wake_r.recv(512)
                elif key.data == "accept" and self.listener is not None:
                    self.accept()
                elif key.data[0] == "conn" and key.data[1] in self.children:
                    self.from_caller(key.data[1])
                elif key.data[0] == "exit" and key.data[1] in self.children:
                    self.ended(key.data[1])
        if self.restart and not self.stopping:
            _log("source changed: restarting")
            signal.set_wakeup_fd(-1)
            os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
        _log("stopped")


def _adopt_process_state(state: dict) -> None:
    """The caller's umask, niceness and resource limits (as far as this process may set them)."""
    import resource

    if isinstance(state.get("umask"), int):
        os.umask(state["umask"])
    if isinstance(state.get("nice"), int):
        with contextlib.suppress(OSError):  # a lower niceness than ours needs privilege: keep ours then
            os.setpriority(os.PRIO_PROCESS, 0, state["nice"])
    for name, (soft, hard) in (state.get("limits") or {}).items():
        with contextlib.suppress(AttributeError, ValueError, OSError):
            resource.setrlimit(getattr(resource, name), (soft, hard))


def _prctl():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True).prctl if name else None
    except (OSError, AttributeError):
        return None
