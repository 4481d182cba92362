"""`mops server start|status|stop` for real: one detached Prefect server per project, found again by its pid file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mops.app import server
from mops.app.cli import app
from tests.conftest import make_settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def project(tmp_path, monkeypatch):
    port = _free_port()
    monkeypatch.setenv("MOPS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MOPS_PREFECT_PORT", str(port))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    settings = make_settings(tmp_path, prefect_port=port)
    yield settings
    server.stop(settings)  # never leave a server behind, whatever the test did


def test_start_status_stop_one_background_server(project):
    runner = CliRunner()
    down = runner.invoke(app, ["server", "status"])
    assert down.exit_code == 1 and "no Prefect server running" in down.output

    started = runner.invoke(app, ["server", "start"])
    assert started.exit_code == 0, started.output
    assert "Prefect server started" in started.output
    pid = server.running_pid(project)
    assert pid is not None and server.healthy(server.api_url(project))
    assert (project.var_path / "prefect" / "prefect.db").exists()  # its database under the project's var/
    warm_pid = server.warm_pid(project)  # the warm starter came up with it, and says so
    assert warm_pid is not None and f"warm starter running (pid {warm_pid})" in started.output
    assert os.getsid(pid) == pid  # detached: its own session, outlives the command that started it

    again = runner.invoke(app, ["server", "start"])
    assert again.exit_code == 0 and "already running" in again.output and str(pid) in again.output
    up = runner.invoke(app, ["server", "status"])
    assert up.exit_code == 0 and f"running (pid {pid})" in up.output
    assert f"warm starter running (pid {warm_pid})" in up.output

    # another process (as `mops run` would) finds it through the pid file and the health check
    probe = (
        "from mops.app.server import use_running_server; from mops.core.settings import get_settings; "
        "print(use_running_server(get_settings()))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=dict(os.environ))
    assert found.stdout.strip() == server.api_url(project)

    stopped = runner.invoke(app, ["server", "stop"])
    assert stopped.exit_code == 0 and f"(pid {pid}) stopped" in stopped.output
    assert server.running_pid(project) is None and not server.healthy(server.api_url(project))
    assert not (project.var_path / "prefect" / "server.pid").exists()
    assert server.warm_pid(project) is None and not (project.var_path / "prefect" / "warm.sock").exists()
    assert runner.invoke(app, ["server", "status"]).exit_code == 1
    assert "no Prefect server running" in runner.invoke(app, ["server", "stop"]).output


def test_a_stale_pid_file_is_not_a_running_server(project):
    folder = project.var_path / "prefect"
    folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / "server.pid").write_text(str(dead.pid))
    assert server.running_pid(project) is None
    assert server.running_url(project) is None
    assert server.use_running_server(project) is None and "PREFECT_API_URL" not in os.environ
