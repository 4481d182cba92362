"""The served path on the embedded warehouse: `mops serve` on a real persistent Prefect server, a copy of the
built demo DuckDB warehouse; the same story as tests/integration/test_served_path.py (its own file so a second
test worker can take it)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from mops.app import server
from tests.conftest import make_settings
from tests.integration.test_served_path import BIN, _daily_pacing_reoptimize, _free_port

pytestmark = [pytest.mark.slow, pytest.mark.served]


@pytest.fixture(scope="module")
def served_duckdb(built_warehouse, tmp_path_factory):
    """`mops serve` on a copy of the built demo DuckDB warehouse, on a real persistent server."""
    import duckdb

    root = tmp_path_factory.mktemp("served_duckdb")
    settings = make_settings(root, prefect_port=_free_port())
    shutil.copy(built_warehouse.settings.warehouse_path, settings.warehouse_path)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # only this test's runs in ops.*
        con.execute("drop schema if exists ops cascade")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        MOPS_WAREHOUSE=str(settings.warehouse_path),
        MOPS_LANDING_DIR=str(built_warehouse.settings.landing_path),
        MOPS_VAR_DIR=str(settings.var_path),
        MOPS_PREFECT_PORT=str(settings.prefect_port),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    api, _, _ = server.start(settings)
    serving = None
    try:
        log = (root / "serve.log").open("w")
        serving = subprocess.Popen(
            [str(BIN / "mops"), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        yield settings, api, root / "serve.log"
    finally:
        if serving is not None:
            os.killpg(serving.pid, 15)
            serving.wait(timeout=60)
        server.stop(settings)


def test_the_same_with_mops_serve_on_the_embedded_warehouse(served_duckdb):
    from mops.core.warehouse.adapter import DuckDBWarehouse

    settings, api, serve_log = served_duckdb

    def records(sql: str):
        with DuckDBWarehouse(settings, read_only=True) as warehouse:
            return warehouse.query(sql)

    _daily_pacing_reoptimize(api, serve_log, records)
