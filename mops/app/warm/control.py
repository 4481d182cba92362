"""Starting, finding and stopping the warm process beside the persistent Prefect server.

`mops server start` starts it (unless MOPS_WARM_START=false), `mops server stop` stops it, `mops server
status` names it. It runs detached in its own session (`python -m mops.app.cli.warm_main <folder>`), with
its pid file, socket and log under `<var>/prefect/`, the same folder the client derives from the
environment (`wire.state_dir`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mops.app.warm import wire


def folder_of(var_path: Path) -> Path:
    return var_path / "prefect"


def log_path(folder: Path) -> Path:
    return folder / "warm.log"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False
    except (PermissionError, OSError, IndexError):
        return True


def running_pid(folder: Path) -> int | None:
    try:
        pid = int(wire.pid_path(folder).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def answers(folder: Path) -> bool:
    """Whether something listens on the socket (a connect that is closed at once: the loop logs nothing)."""
    path = wire.socket_path(folder)
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            with wire.short_address(path) as address:
                sock.connect(address)
        except OSError:
            return False
    return True


def start(folder: Path, project_dir: Path, wait_seconds: float = 60.0) -> int | None:
    """Start the warm process (or find it): its pid, or None when it did not come up (see its log)."""
    pid = running_pid(folder)
    if pid is not None:
        return pid
    folder.mkdir(parents=True, exist_ok=True)
    wire.socket_path(folder).unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    with log_path(folder).open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mops.app.cli.warm_main", str(folder)],
            cwd=project_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    partial = wire.pid_path(folder).with_suffix(".partial")
    partial.write_text(str(process.pid))
    partial.replace(wire.pid_path(folder))
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            wire.pid_path(folder).unlink(missing_ok=True)
            return None
        if wire.socket_path(folder).exists():
            return process.pid
        time.sleep(0.05)
    stop(folder)
    return None


def stop(folder: Path, wait_seconds: float = 10.0) -> int | None:
    """Stop the warm process (running commands get SIGTERM and a few seconds); the pid stopped, or None."""
    pid = running_pid(folder)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait_seconds
        while _alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # started by this very process: do not leave a zombie
            time.sleep(0.05)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    wire.pid_path(folder).unlink(missing_ok=True)
    wire.socket_path(folder).unlink(missing_ok=True)
    return pid
