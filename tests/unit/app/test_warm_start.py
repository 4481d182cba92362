"""The warm starter for real: a warm process, `mops` commands through it and cold, compared byte for byte.

Every test starts a real warm process (`mops.app.warm.control.start`, as `mops server start` does) under a
private state folder and runs the installed `mops` command against it; MOPS_WARM_START=false gives the
cold path for comparison, MOPS_WARM_START=debug makes the client say why it started cold.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from mops.app.warm import control, wire
from mops.core.settings import PROJECT_DIR, Settings
from tests.flows.faults.cli import children_of, cmdline, left_behind

MOPS = str(Path(sys.executable).parent / "mops")


class Warm:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "var" / "prefect"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COLUMNS", "LINES"))},
            "PYTHONPATH": str(PROJECT_DIR),
            "MOPS_VAR_DIR": str(root / "var"),
            "MOPS_LANDING_DIR": str(root / "no-landing"),
            "MOPS_WAREHOUSE": str(root / "w.duckdb"),
            "MOPS_DBT_TARGET_FOLDER": "target-warmtest",
            "COLUMNS": "100",
        }
        self.pid: int | None = None

    def start(self) -> int:
        self.pid = control.start(self.folder, PROJECT_DIR)
        assert self.pid is not None, self.log()
        return self.pid

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return control.log_path(self.folder).read_text()
        return ""

    def run(self, args: list[str], warm: str = "true", cwd: Path | None = None, **env: str):
        done = subprocess.run(
            [MOPS, *args],
            env={**self.env, "MOPS_WARM_START": warm, **env},
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done

    def served(self, client_pid: int) -> int | None:
        """The pid of the child that ran the command of `client_pid`, from the warm log (None: not served)."""
        found = re.search(rf"child (\d+) runs the command of pid {client_pid}\b", self.log())
        return int(found.group(1)) if found else None


@pytest.fixture
def warm(tmp_path):
    state = Warm(tmp_path)
    state.start()
    yield state
    control.stop(state.folder)


def _popen(warm: Warm, args: list[str], mode: str = "true", job: bool = False, **env: str) -> subprocess.Popen:
    """`job`: in a process group of its own in this session, as a shell runs a job. Stop signals to an
    orphaned process group are discarded by the kernel, and a test worker's group may be orphaned (xdist)."""
    return subprocess.Popen(
        [MOPS, *args],
        env={**warm.env, "MOPS_WARM_START": mode, **env},
        cwd=warm.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0 if job else None,
    )


def test_the_client_finds_the_socket_where_the_settings_put_it(warm):
    settings = Settings(var_dir=Path(warm.env["MOPS_VAR_DIR"]))
    assert control.folder_of(settings.var_path) == wire.state_dir(warm.env, str(warm.root)) == warm.folder
    assert os.stat(wire.socket_path(warm.folder)).st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "args",
    [["--help"], ["run", "--help"], ["nosuchcommand"], ["server", "status"], ["check"]],
    ids=["help", "run-help", "unknown-command", "server-status", "check"],
)
def test_a_command_through_the_warm_process_says_and_exits_as_a_cold_start(warm, args):
    process = _popen(warm, args, "debug")
    out, err = process.communicate(timeout=120)
    assert warm.served(process.pid), f"not served warm: {err}\n{warm.log()}"
    cold = warm.run(args, "false")
    assert (process.returncode, out, err) == (cold.returncode, cold.stdout, cold.stderr)
    assert "warm start not used" not in err


def test_server_stop_stops_the_warm_process_from_a_cold_start(warm):
    shown = warm.run(["server", "stop"], "debug")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "`mops server stop` always starts cold" in shown.stderr
    assert control.running_pid(warm.folder) is None and not wire.socket_path(warm.folder).exists()
    assert warm.run(["--help"], "debug").stderr.count("warm start not used") == 1


def test_the_callers_terminal_width_colour_and_tty_are_the_commands(warm):
    def on_a_terminal(mode: str) -> tuple[int, bytes]:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 90, 0, 0))  # 40 rows, 90 columns
        env = {k: v for k, v in warm.env.items() if k != "COLUMNS"}
        process = subprocess.Popen(
            [MOPS, "check"], env={**env, "MOPS_WARM_START": mode}, cwd=warm.root, stdin=slave, stdout=slave,
            stderr=slave, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        output = b""
        with contextlib.suppress(OSError):  # EIO once the last writer has closed the terminal
            while chunk := os.read(master, 65536):
                output += chunk
        os.close(master)
        process.wait(60)
        if mode == "true":
            assert warm.served(process.pid), warm.log()
        return process.returncode, output

    code, shown = on_a_terminal("true")
    assert (code, shown) == on_a_terminal("false")
    assert b"\x1b[" in shown  # colour: the command saw a terminal
    widest = max(len(re.sub(rb"\x1b\[[0-9;]*m", b"", line).decode()) for line in shown.splitlines())
    assert widest == 90  # the terminal's width, not the warm process's default of 80


def test_the_environment_and_working_directory_are_the_callers(warm, tmp_path):
    here = tmp_path / "elsewhere"
    here.mkdir()
    (here / ".env").write_text(f"MOPS_LANDING_DIR={tmp_path / 'from-dotenv'}\n")  # read from the working dir
    env = {k: v for k, v in warm.env.items() if k != "MOPS_LANDING_DIR"}
    shown = {}
    for mode in ("true", "false"):
        process = subprocess.Popen(
            [MOPS, "check"], env={**env, "MOPS_WARM_START": mode, "COLUMNS": "140"}, cwd=here,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        shown[mode] = (*process.communicate(timeout=60), process.returncode)
        assert bool(warm.served(process.pid)) == (mode == "true"), warm.log()
    assert shown["true"] == shown["false"]
    out = shown["true"][0]
    assert f"landing folder {tmp_path / 'from-dotenv'}" in out
    assert max(len(line) for line in out.splitlines()) == 140  # the caller's COLUMNS


def _wait_for_dbt(child: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in children_of(child):
            if "transform_child" in cmdline(pid) or "dbt" in cmdline(pid):
                return pid
        time.sleep(0.05)
    raise AssertionError(f"no dbt child under {child}")


def _served_child(warm: Warm, client: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child := warm.served(client):
            return child
        time.sleep(0.05)
    raise AssertionError(f"the command of pid {client} was not served:\n{warm.log()}")


def _umask_and_nice(pid: int) -> tuple[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    umask = re.search(r"^Umask:\s*(\d+)", status, re.M).group(1)
    nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    return umask, nice


def test_kill_9_of_the_caller_ends_the_child_and_its_dbt_process(warm):
    def as_a_caller() -> None:  # a umask and niceness the warm process does not have
        os.umask(0o027)
        os.nice(3)

    process = subprocess.Popen(
        [MOPS, "build", "--full-refresh"], env={**warm.env, "MOPS_WARM_START": "true"}, cwd=warm.root,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=as_a_caller,
    )  # fmt: skip
    child = _served_child(warm, process.pid)
    dbt = _wait_for_dbt(child)
    assert _umask_and_nice(child) == _umask_and_nice(process.pid) != _umask_and_nice(warm.pid)
    process.kill()
    process.wait(10)
    assert left_behind([child, dbt]) == []
    assert control.running_pid(warm.folder) == warm.pid  # the warm process itself stays, and serves again
    again = _popen(warm, ["--help"])
    again.communicate(timeout=60)
    assert again.returncode == 0 and warm.served(again.pid)


def test_ctrl_c_on_the_caller_stops_the_command_as_it_stops_a_cold_one(warm):
    codes = {}
    for mode in ("true", "false"):
        process = _popen(warm, ["build", "--full-refresh"], mode)  # dbt runs whatever built before
        if mode == "true":
            _wait_for_dbt(_served_child(warm, process.pid))
        else:
            _wait_for_dbt(process.pid)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        codes[mode] = (process.returncode, "stopped" in out + err)
    assert codes["true"] == codes["false"] == (130, True)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _wait_state(pid: int, states: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while (state := _state(pid)) not in states:
        assert time.monotonic() < deadline, f"pid {pid} stays {state}, not {states}"
        time.sleep(0.05)
    return state


def test_ctrl_z_stops_the_child_with_the_caller_and_fg_continues_it(warm):
    process = _popen(warm, ["build", "--full-refresh"], job=True)  # dbt runs whatever built before
    child = _served_child(warm, process.pid)
    _wait_for_dbt(child)
    process.send_signal(signal.SIGTSTP)  # what the terminal sends on Ctrl-Z
    _wait_state(process.pid, "T")
    _wait_state(child, "T")
    process.send_signal(signal.SIGCONT)  # `fg`
    _wait_state(process.pid, "RSD")
    _wait_state(child, "RSD")
    process.kill()
    process.wait(10)
    assert left_behind([child]) == []


def test_changed_source_starts_cold_and_the_warm_process_restarts(warm):
    source = PROJECT_DIR / "mops" / "app" / "warm" / "__init__.py"
    before = os.stat(source)
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    try:
        stale = warm.run(["--help"], "debug")
        assert stale.returncode == 0 and "Usage" in stale.stdout
        assert "source changed" in stale.stderr
        deadline = time.monotonic() + 60
        while not (control.answers(warm.folder) and warm.log().count("listening on") == 2):
            assert time.monotonic() < deadline, warm.log()
            time.sleep(0.1)
        assert control.running_pid(warm.folder) == warm.pid  # the same process, re-executed on the new source
        fresh = _popen(warm, ["--help"], "debug")
        _, err = fresh.communicate(timeout=60)
        assert warm.served(fresh.pid) and "warm start not used" not in err
    finally:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_caller_of_another_checkout_or_interpreter_is_declined_before_any_fork(warm):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        with wire.short_address(wire.socket_path(warm.folder)) as address:
            sock.connect(address)
        request = {"argv": ["mops", "--help"], "cwd": str(warm.root), "env": {}, "started_at": time.time(),
                   "identity": {**wire.identity(), "executable": "/elsewhere/bin/python"}}  # fmt: skip
        socket.send_fds(sock, [wire.encode(request)], [0, 1, 2])
        reply = wire.Reader(sock).read()
    assert reply == {"fallback": "another checkout, Python or virtual environment"}
    assert "runs the command" not in warm.log()
    assert warm.run(["--help"]).returncode == 0  # and it still serves its own


def test_a_dead_socket_file_starts_cold(warm):
    control.stop(warm.folder)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with wire.short_address(wire.socket_path(warm.folder)) as address:
        dead.bind(address)
    dead.close()  # the file stays, nobody listens
    shown = warm.run(["--help"], "debug")
    assert shown.returncode == 0 and "Usage" in shown.stdout
    assert "warm start not used" in shown.stderr and "refused" in shown.stderr.lower()


NOBODY = 65534


def _fork_as_nobody(body) -> tuple[int, int, int]:
    """Fork a child that becomes uid 65534 and runs `body(write_fd, go_fd)`: (pid, read end, go end)."""
    read, write = os.pipe()
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            body(write, go_read)
        finally:
            os._exit(0)
    os.close(write)
    os.close(go_read)
    return pid, read, go_write


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another uid")
def test_a_socket_of_another_uid_starts_cold_and_ours_refuses_other_uids(warm):
    path = wire.socket_path(warm.folder)

    def connect(out: int, go: int) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock, wire.short_address(path) as address:
            try:
                sock.connect(address)
                os.write(out, b"connected\n")
            except PermissionError:
                os.write(out, b"denied\n")

    pid, read, go = _fork_as_nobody(connect)
    with os.fdopen(read) as pipe:
        assert pipe.readline().strip() == "denied"  # ours is 0600: another uid cannot even connect
    os.close(go)
    os.waitpid(pid, 0)

    os.chown(path, NOBODY, NOBODY)  # the file another user's
    shown = warm.run(["--help"], "debug")
    assert shown.returncode == 0 and f"belongs to uid {NOBODY}" in shown.stderr

    control.stop(warm.folder)
    os.chmod(warm.folder, 0o777)
    folder = os.open(warm.folder, os.O_PATH | os.O_DIRECTORY)  # pytest's tmp root is 0700: a way in for nobody

    def listen(out: int, go: int) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(f"/proc/self/fd/{folder}/{path.name}")
        listener.listen(1)
        os.write(out, b"ready\n")
        os.read(go, 1)  # hold the socket until the parent is done

    pid, read, go = _fork_as_nobody(listen)
    try:
        with os.fdopen(read) as pipe:
            assert pipe.readline().strip() == "ready"
        os.chown(path, 0, 0)  # the file looks like ours; the process behind it is not
        shown = warm.run(["--help"], "debug")
        assert shown.returncode == 0 and "Usage" in shown.stdout
        assert "is not this user's" in shown.stderr
    finally:
        with contextlib.suppress(OSError):
            os.write(go, b"x")
        os.close(go)
        os.close(folder)
        os.waitpid(pid, 0)
