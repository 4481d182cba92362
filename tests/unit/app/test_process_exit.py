"""`mops` ends without the interpreter's teardown, but as `sys.exit` would: exit handlers, output, status."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from mops.app.cli.process_exit import exit_status


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), (130, 130), ("a message", 1)])
def test_the_exit_status_is_what_python_gives_system_exit(code, status):
    done = subprocess.run([sys.executable, "-c", f"raise SystemExit({code!r})"], capture_output=True)
    assert done.returncode == status  # Python's own mapping, the independent truth
    assert exit_status(code) == status


def _run(body: str, tmp_path) -> subprocess.CompletedProcess:
    script = textwrap.dedent(
        f"""
        import atexit, sys, threading, time
        from mops.app.cli.process_exit import exit_now
        marker = {str(tmp_path / "handler-ran")!r}
        atexit.register(lambda: open(marker, "w").write("ran"))
        sys.stdout.write("buffered, no newline")  # still in the buffer when the process ends
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script + textwrap.dedent(body)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(("code", "status"), [(0, 0), (3, 3), (None, 0)])
def test_exit_handlers_run_output_is_flushed_and_the_status_kept(tmp_path, code, status):
    done = _run(f"exit_now({code!r})\nprint('not reached')", tmp_path)
    assert done.returncode == status
    assert done.stdout == "buffered, no newline"
    assert (tmp_path / "handler-ran").read_text() == "ran"


def test_a_message_code_is_printed_to_stderr_with_status_1(tmp_path):
    done = _run("exit_now('something went wrong')", tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == "something went wrong"
    assert (tmp_path / "handler-ran").read_text() == "ran"


def test_a_running_non_daemon_thread_is_waited_for_as_a_normal_exit_would(tmp_path):
    body = f"""
        done = {str(tmp_path / "thread-done")!r}
        def work():
            time.sleep(0.5)
            open(done, "w").write("done")
        threading.Thread(target=work).start()
        exit_now(4)
        """
    finished = _run(body, tmp_path)
    assert finished.returncode == 4
    assert (tmp_path / "thread-done").read_text() == "done"  # os._exit would have killed it mid-sleep
    assert (tmp_path / "handler-ran").read_text() == "ran"
    assert finished.stdout == "buffered, no newline"
