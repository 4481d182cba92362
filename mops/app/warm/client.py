"""The `mops` command's first try: hand the command to the warm process, or say why not and start cold.

Standard library only. When `<var>/prefect/warm.sock` exists, is ours (owner and peer uid are this
process's uid) and answers, the command's argv, working directory, environment and start time travel
over it with this process's stdin, stdout and stderr (SCM_RIGHTS); the warm process forks a child that
runs the CLI on them, replies with its pid, and later with its exit status. Meanwhile SIGINT, SIGTERM,
SIGHUP, SIGQUIT and SIGWINCH received here are forwarded to the child, and Ctrl-Z (SIGTSTP) stops the child
with this process and continues it when this process continues. Anything that goes wrong before the child
exists is a reason to start cold (`reason` keeps it for one debug log line); nothing reaches the user.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time

from mops.app.warm import wire

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGWINCH, signal.SIGTSTP)
CONNECT_TIMEOUT_S = 5.0


class Fallback(Exception):
    """The warm path is not usable for this command: start cold."""


def _started_at() -> float:
    """This process's start (epoch seconds, /proc), so the run's recorded wall counts from the caller's start."""
    try:
        with open("/proc/self/stat") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.time()


def _connect(path) -> socket.socket:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise Fallback(f"no warm process ({path} absent)") from exc
    if info.st_uid != os.getuid():
        raise Fallback(f"{path} belongs to uid {info.st_uid}, not {os.getuid()}")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        with wire.short_address(path) as address:
            sock.connect(address)
        if wire.peer(sock)[1] != os.getuid():
            raise Fallback(f"the process behind {path} is not this user's")
    except BaseException:
        sock.close()
        raise
    return sock


def _process_state() -> dict:
    """What a forked child would otherwise take from the warm process: umask, niceness, resource limits."""
    import resource

    mask = os.umask(0o022)
    os.umask(mask)
    limits = {}
    for name in ("RLIMIT_NOFILE", "RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_CPU"):
        if hasattr(resource, name):
            limits[name] = list(resource.getrlimit(getattr(resource, name)))
    main = sys.modules.get("__main__")
    return {
        "umask": mask,
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "limits": limits,
        "main_package": getattr(main, "__package__", None),
    }


def _request(sock: socket.socket) -> wire.Reader:
    message = {
        "process": _process_state(),
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "started_at": _started_at(),
        "identity": wire.identity(),
    }
    socket.send_fds(sock, [wire.encode(message)], [0, 1, 2])
    reader = wire.Reader(sock)
    reply = reader.read()
    if reply is None:
        raise Fallback("the warm process closed the connection")
    if "fallback" in reply:
        raise Fallback(f"the warm process declined: {reply['fallback']}")
    if not isinstance(reply.get("pid"), int):
        raise Fallback(f"unexpected reply {reply!r}")
    return reader


class Forwarder:
    """Signals received here go to the child once it exists; before that they wait (or end us, on fallback)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.pending, self.committed = sock, [], False
        self.previous = {sig: signal.signal(sig, self._handler) for sig in FORWARDED}

    def _send(self, signum: int) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(wire.encode({"signal": signum}))

    def _handler(self, signum, frame) -> None:
        if signum == signal.SIGTSTP:  # Ctrl-Z: stop the child with us, continue it when we continue
            if self.committed:
                self._send(signal.SIGSTOP)
            signal.signal(signal.SIGTSTP, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTSTP)  # stopped here until `fg` / SIGCONT
            signal.signal(signal.SIGTSTP, self._handler)
            if self.committed:
                self._send(signal.SIGCONT)
        elif self.committed:
            self._send(signum)
        else:
            self.pending.append(signum)

    def commit(self) -> None:
        self.committed = True
        for signum in self.pending:
            self._send(signum)

    def restore(self) -> None:
        """Back to the handlers we had; a signal that came meanwhile is delivered again, to the cold path."""
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        for signum in self.pending:
            if signum != signal.SIGWINCH:
                os.kill(os.getpid(), signum)


def _finish(reader: wire.Reader) -> int:
    """Wait for the child's exit status; a child killed by a signal ends this process the same way."""
    reader.sock.settimeout(None)
    try:
        reply = reader.read()
    except (OSError, ValueError):
        reply = None
    if reply is None:
        print("mops: the warm process ended before the command did", file=sys.stderr)
        return 1
    killed = reply.get("signal")
    if killed:
        for sig in FORWARDED:
            signal.signal(sig, signal.SIG_DFL)
        with contextlib.suppress(OSError, ValueError):
            os.kill(os.getpid(), killed)
        return 128 + killed
    return int(reply.get("exit", 1))


def run() -> tuple[int | None, str]:
    """(exit code, "") when the warm process ran the command, else (None, why it was not used)."""
    try:
        cwd = os.getcwd()
        if not wire.enabled(os.environ, cwd):
            return None, "MOPS_WARM_START is off"
        if sys.argv[1:3] == ["server", "stop"]:  # it stops the warm process: a child of it would stop itself
            return None, "`mops server stop` always starts cold"
        sock = _connect(wire.socket_path(wire.state_dir(os.environ, cwd)))
    except Fallback as exc:
        return None, str(exc)
    except (OSError, ValueError) as exc:
        return None, f"warm process unreachable: {exc}"
    with sock:
        forwarder = Forwarder(sock)
        try:
            reader = _request(sock)
        except (Fallback, OSError, ValueError, TypeError) as exc:
            forwarder.restore()
            return None, str(exc) if isinstance(exc, Fallback) else f"warm request failed: {exc!r}"
        forwarder.commit()  # from here on the child runs the command: its status is ours
        return _finish(reader), ""
