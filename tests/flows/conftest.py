"""Workflow tests: one Prefect test server for the session, a private warehouse copy per test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import make_settings


@pytest.fixture(scope="session")
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def engine(built_warehouse, prefect_server, tmp_path, monkeypatch):
    """Settings (through MOPS_ env, as the flow reads them) with test agents and a specs folder."""
    settings = make_settings(tmp_path)
    shutil.copy(built_warehouse.settings.warehouse_path, settings.warehouse_path)
    import duckdb

    with duckdb.connect(str(settings.warehouse_path)) as con:  # start without other tests' agent outputs
        con.execute("drop schema if exists agents cascade")
        con.execute("drop schema if exists ops cascade")
    specs = tmp_path / "workflows"
    specs.mkdir()
    monkeypatch.setenv("MOPS_WAREHOUSE", str(settings.warehouse_path))
    monkeypatch.setenv("MOPS_VAR_DIR", str(settings.var_path))
    monkeypatch.setenv("MOPS_LANDING_DIR", str(settings.landing_path))
    monkeypatch.setenv("MOPS_WORKFLOWS_DIR", str(specs))
    monkeypatch.setenv("MOPS_AGENT_MODULES", json.dumps(["tests.flow_agents"]))
    # the toy agents stand in for the real ones (one writer per table holds across the whole catalog)
    monkeypatch.setenv("MOPS_AGENT_PACKAGES", "[]")
    # CLI processes act as `tester` under the test policy (tests/conftest.py; approvals: `test-approver`)
    from mops.core.settings import get_settings

    return get_settings(), specs


def write_spec(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.yml").write_text(f"name: {name}\ndescription: test workflow\n{body}")
