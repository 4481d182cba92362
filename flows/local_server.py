"""A temporary Prefect server for one CLI run that cannot outlive it.

Without PREFECT_API_URL, Prefect starts a temporary server per process and stops it at exit, but
a kill -9 (or a SIGTERM with Python's default handler) leaves it running: a ~200 MB uvicorn that
never exits. `mops run` starts the same server (Prefect's own app factory, as Prefect does) as a
child with a parent-death signal and its own process group, points the run at it, and stops it on
the way out; a configured PREFECT_API_URL (a real server, the test harness) is used as it is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from mops.core import interrupts
from mops.core.errors import MopsError


class ServerFailed(MopsError):
    """The temporary Prefect server did not start."""


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(port: int) -> subprocess.Popen:
    import prefect
    from prefect.settings import get_current_settings

    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
        **get_current_settings().to_environment_variables(exclude_unset=True),
    }
    command = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
        "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, **interrupts.child_kwargs())


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _drain(timeout: float = 5.0) -> None:
    """Send what Prefect's background workers still hold (run logs, events) to the server."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=timeout)


_TEMPORARY: set[str] = set()  # API URLs of the temporary servers this process runs


def is_temporary(url: str | None) -> bool:
    """A server this process started for itself: nobody else can open its UI, and it dies with us."""
    return url in _TEMPORARY


@contextlib.contextmanager
def temporary_server(startup_seconds: float = 90.0) -> Iterator[str | None]:
    """Yield the API URL of a temporary server bound to this process (None: one is configured)."""
    import httpx
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield None
        return
    process = None
    try:
        healthy = False
        for _attempt in range(3):  # a port taken between our probe and uvicorn's bind: try another
            port = _free_port()
            process = _start(port)
            url = f"http://127.0.0.1:{port}/api"
            deadline = time.monotonic() + startup_seconds
            while not healthy and time.monotonic() < deadline and process.poll() is None:
                with contextlib.suppress(httpx.HTTPError):
                    healthy = httpx.get(f"{url}/health", timeout=2).status_code == 200
                interrupts.check()
                if not healthy:
                    time.sleep(0.2)
            if healthy:
                break
            _stop(process)
        if not healthy:
            raise ServerFailed(
                f"the temporary Prefect server did not start within {startup_seconds:.0f} s "
                f"(exit code {process.returncode if process else None}); set PREFECT_API_URL to use a running server"
            )
        _TEMPORARY.add(url)
        with temporary_settings({PREFECT_API_URL: url}):
            try:
                yield url
            finally:
                _drain()  # logs and events reach the server before it stops
                _TEMPORARY.discard(url)
    finally:
        if process is not None:
            _stop(process)
