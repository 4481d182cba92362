"""One persistent local Prefect server per project, in the background (`mops server start|stop|status`).

Without it every `mops run` starts a temporary Prefect server of its own (10-15 s before the
first step). The server runs detached in its own session, with its SQLite database, pid file and
log under `<var>/prefect/`; commands use it when its pid file names a live process that answers
`/api/health`, and otherwise fall back to a temporary server (and say so). Beside it runs the warm
starter (`mops.app.warm`): a process that has imported the CLI and Prefect and forks each `mops` command
from there (MOPS_WARM_START=false: not started); it starts and stops with the server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mops.app.warm import control as warm
from mops.core.errors import MopsError
from mops.core.settings import Settings


@dataclass(frozen=True)
class ServerFiles:
    home: Path  # PREFECT_HOME of the server: its prefect.db lives here

    @property
    def pid(self) -> Path:
        return self.home / "server.pid"

    @property
    def log(self) -> Path:
        return self.home / "server.log"


def files(settings: Settings) -> ServerFiles:
    return ServerFiles(settings.var_path / "prefect")


def api_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.prefect_port}/api"


def healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(settings: Settings) -> int | None:
    """The pid of this project's server when its pid file names a live process, else None."""
    path = files(settings).pid
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def running_url(settings: Settings) -> str | None:
    """The API URL of this project's server when it is up and answers, else None."""
    if running_pid(settings) is None:
        return None
    url = api_url(settings)
    return url if healthy(url) else None


def start(settings: Settings, wait_seconds: float = 120.0) -> tuple[str, int, bool]:
    """Start the server detached (or find it running): (url, pid, started_now)."""
    where = files(settings)
    url = api_url(settings)
    pid = running_pid(settings)
    if pid is not None:
        if healthy(url, timeout=3):
            start_warm(settings)
            return url, pid, False
        raise MopsError(
            f"a Prefect server (pid {pid}, {where.pid}) is running but {url}/health does not answer; "
            f"see {where.log} or `mops server stop`"
        )
    if healthy(url):
        raise MopsError(
            f"port {settings.prefect_port} already has a Prefect server not started by mops; "
            "stop it or set MOPS_PREFECT_PORT"
        )
    where.home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env.update(PREFECT_HOME=str(where.home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_API_URL=url)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    command += ["--port", str(settings.prefect_port)]
    with where.log.open("ab") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    partial = where.pid.with_suffix(".partial")
    partial.write_text(str(process.pid))
    partial.replace(where.pid)
    deadline = time.monotonic() + wait_seconds
    start_warm(settings)  # its imports (~2 s) while the server starts (~10-15 s)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            where.pid.unlink(missing_ok=True)
            warm.stop(warm.folder_of(settings.var_path))
            raise MopsError(f"the Prefect server exited with code {process.returncode}; see {where.log}")
        if healthy(url):
            _prime(url)
            return url, process.pid, True
        time.sleep(0.5)
    stop(settings)
    raise MopsError(f"the Prefect server did not answer {url}/health within {wait_seconds:.0f} s; see {where.log}")


def stop(settings: Settings, wait_seconds: float = 30.0) -> int | None:
    """Stop the server this project started (its whole process group) and the warm starter; the server's pid."""
    warm.stop(warm.folder_of(settings.var_path))
    where = files(settings)
    pid = running_pid(settings)
    if pid is None:
        where.pid.unlink(missing_ok=True)
        return None
    with contextlib.suppress(ProcessLookupError):  # the server's own session: uvicorn and its services
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_seconds
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.2)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    where.pid.unlink(missing_ok=True)
    return pid


def _prime(url: str) -> None:
    """The API's first request costs it ~0.3 s more than the next ones (measured): pay it here, not in a run."""
    with contextlib.suppress(OSError):
        urllib.request.urlopen(f"{url}/admin/version", timeout=10).close()


def warm_enabled() -> bool:
    from mops.app.warm.wire import enabled

    return enabled(os.environ, os.getcwd())


def start_warm(settings: Settings) -> int | None:
    """Start the warm starter beside the server (unless MOPS_WARM_START=false): its pid, None if not up."""
    if not warm_enabled():
        return None
    return warm.start(warm.folder_of(settings.var_path), settings.project_dir)


def warm_pid(settings: Settings) -> int | None:
    """The warm starter's pid when it runs and its socket answers."""
    folder = warm.folder_of(settings.var_path)
    pid = warm.running_pid(folder)
    return pid if pid is not None and warm.answers(folder) else None


def _reap(pid: int) -> None:
    """A server started by this very process is its child: collect it so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def use_running_server(settings: Settings) -> str | None:
    """Point this process at the project's server when it is up (unless PREFECT_API_URL is already set)."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    url = running_url(settings)
    if url:
        os.environ["PREFECT_API_URL"] = url
    return url
