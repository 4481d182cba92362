"""A prewarmed dbt child runs what the `dbt` command runs, only for the settings it was started for."""

from __future__ import annotations

import re

from mops.core import transform
from tests.conftest import make_settings


def _run_config_dir(settings):
    return transform.run_dbt(settings, ["debug", "--config-dir"])


def _lines(result) -> str:
    return re.sub(r"(?m)^\d\d:\d\d:\d\d  ", "", result.log_path.read_text())  # dbt's time stamps


def test_the_prewarmed_child_gives_what_a_cold_dbt_gives(tmp_path):
    settings = make_settings(tmp_path)
    cold = _run_config_dir(settings)
    transform.prewarm(settings)
    warm_process = transform._Warm.process
    warm = _run_config_dir(settings)
    assert transform._Warm.process is None  # taken by the run
    assert warm_process.returncode == cold.returncode == 0
    assert _lines(warm) == _lines(cold)
    assert str(settings.dbt_project_dir) in warm.log_path.read_text()


def test_a_child_started_for_other_settings_is_not_used(tmp_path):
    transform.prewarm(make_settings(tmp_path / "a"))
    other = transform._Warm.process
    result = _run_config_dir(make_settings(tmp_path / "b", reporting_currency="EUR"))
    assert result.ok
    assert other.poll() is not None  # stopped, never given the other settings' command
    assert transform._Warm.process is None


def test_an_unused_child_is_stopped(tmp_path):
    transform.prewarm(make_settings(tmp_path))
    process = transform._Warm.process
    transform.stop_prewarmed()
    assert process.poll() is not None
