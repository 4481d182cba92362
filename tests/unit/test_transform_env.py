"""dbt's environment follows the settings: the PostgreSQL target and its MOPS_PG_* from warehouse_url."""

from __future__ import annotations

import pytest

from mops.core.transform import dbt_env, postgres_profile_env
from tests.conftest import make_settings


def test_a_warehouse_url_becomes_the_postgres_profile(tmp_path):
    env = dbt_env(make_settings(tmp_path, warehouse_url="postgresql://mops:p%40ss@db.internal:6543/marketing"))
    assert env["MOPS_DBT_TARGET"] == "postgres"
    assert {k: env[k] for k in env if k.startswith("MOPS_PG_")} == {
        "MOPS_PG_HOST": "db.internal",
        "MOPS_PG_PORT": "6543",
        "MOPS_PG_USER": "mops",
        "MOPS_PG_PASSWORD": "p@ss",
        "MOPS_PG_DATABASE": "marketing",
    }


def test_defaults_for_port_and_password():
    assert postgres_profile_env("postgresql://postgres@127.0.0.1/db") == {
        "MOPS_PG_HOST": "127.0.0.1",
        "MOPS_PG_PORT": "5432",
        "MOPS_PG_USER": "postgres",
        "MOPS_PG_PASSWORD": "",
        "MOPS_PG_DATABASE": "db",
    }


def test_without_a_url_dbt_targets_the_duckdb_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MOPS_DBT_TARGET", "postgres")  # a stray variable must not split dbt from the runtime
    env = dbt_env(make_settings(tmp_path))
    assert env["MOPS_DBT_TARGET"] == "duckdb"
    assert env["MOPS_WAREHOUSE_PATH"] == str(tmp_path / "warehouse.duckdb")


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql://u@h", "postgresql://u@h/"])
def test_a_url_that_names_no_postgres_database_is_refused(url):
    with pytest.raises(ValueError, match="warehouse_url"):
        postgres_profile_env(url)


def test_dbt_args_add_full_refresh_only_when_asked():
    from mops.core.transform import dbt_args

    assert dbt_args() == ["build"]
    assert dbt_args("run", "marts") == ["run", "--select", "marts"]
    assert dbt_args("build", full_refresh=True) == ["build", "--full-refresh"]


@pytest.mark.parametrize(("flags", "args"), [(["--full-refresh"], ["build", "--full-refresh"]), (["--all"], ["build"])])
def test_mops_build_flags_reach_dbt(monkeypatch, tmp_path, flags, args):
    from typer.testing import CliRunner

    import mops.app.cli
    import mops.app.cli.data
    import mops.core.build_plan
    import mops.core.transform

    seen = []

    class Passed:
        ok, log_path, failures = True, tmp_path / "dbt.log", []

    def run_dbt(settings, args, on_progress=None):
        seen.append(args)
        return Passed()

    monkeypatch.setattr(mops.core.transform, "run_dbt", run_dbt)
    monkeypatch.setattr(mops.core.build_plan, "_record", lambda settings, row: None)
    monkeypatch.setattr(mops.core.build_plan, "_save_state", lambda *args: None)
    monkeypatch.setattr(mops.app.cli.data, "get_settings", lambda: make_settings(tmp_path))
    result = CliRunner().invoke(mops.app.cli.app, ["build", *flags])
    assert result.exit_code == 0, result.output
    # (then `--exclude` for marts this empty warehouse has no landing data for: mops.core.availability)
    assert [call[: len(args)] for call in seen] == [args]
