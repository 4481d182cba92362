"""No traceback from any command: known causes explained, the unexpected logged and named in one line."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from mops.app.cli import program as cli  # the Typer app and main
from mops.app.cli.errors import report_unexpected, user_message
from mops.core.settings import PROJECT_DIR

MOPS = os.path.join(os.path.dirname(sys.executable), "mops")  # the installed entry point, as users run it


def mops(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    full = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200", **env}
    return subprocess.run(
        [str(MOPS), *args], env=full, capture_output=True, text=True, timeout=timeout,
        cwd=PROJECT_DIR,
    )  # fmt: skip


def test_marts_missing_from_the_warehouse_is_a_message_saying_to_build():
    message = user_message(duckdb.CatalogException("Table with name fct_x does not exist!"))
    assert "Run `mops build` first" in message and "fct_x" in message


def test_an_unexpected_error_is_one_line_naming_the_log_with_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("MOPS_VAR_DIR", str(tmp_path / "var"))
    try:
        raise KeyError("surprise")
    except KeyError as exc:
        line = report_unexpected(exc)
    assert line.startswith("unexpected KeyError: 'surprise' (details in ")
    log = next((tmp_path / "var" / "logs").glob("mops-error-*.log"))
    assert str(log) in line and "Traceback" in log.read_text()


def test_main_turns_any_exception_into_exit_1_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOPS_VAR_DIR", str(tmp_path / "var"))

    def broken():
        raise RuntimeError("[bold]boom[/] from a bug")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out = capsys.readouterr().out
    assert exit_info.value.code == 1
    assert "unexpected RuntimeError: [bold]boom[/] from a bug (details in" in out  # escaped, not markup
    assert "Traceback" not in out


def test_files_without_a_warehouse_says_so_without_a_traceback(tmp_path):
    result = mops(["files"], {"MOPS_WAREHOUSE": str(tmp_path / "none.duckdb"), "MOPS_VAR_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "does not exist yet" in result.stdout and "mops ingest" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_validating_workflows_needs_no_warehouse_even_when_another_process_holds_it(tmp_path):
    path = tmp_path / "held.duckdb"
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = mops(["workflows", "validate"], {"MOPS_WAREHOUSE": str(path), "MOPS_VAR_DIR": str(tmp_path)})
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok daily" in result.stdout and "run history unavailable" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
