"""The run record on PostgreSQL: one row per run replaced in place, crashed runs found, mixed outputs named."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pandas as pd

from mops.core.ops import OpsLog, finish_run, mixed_sources, start_run
from mops.core.warehouse.adapter import PostgresWarehouse
from tests.conftest import make_settings
from tests.integration.test_postgres import postgres_url  # noqa: F401 - the module's database fixture


def test_run_records_and_mixed_outputs_on_postgres(postgres_url, tmp_path):  # noqa: F811
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with PostgresWarehouse(make_settings(tmp_path, warehouse_url=postgres_url)) as warehouse:
        with warehouse._con.cursor() as cursor:
            cursor.execute("drop schema if exists agents cascade; drop schema if exists ops cascade")
        warehouse._con.commit()
        ops = OpsLog(warehouse)
        base = {"workflow": "daily", "run_date": date(2026, 6, 30), "started_at": datetime(2026, 7, 1)}
        ops.append("workflow_runs", [{"run_id": "killed", **base, "status": "running", "pid": gone.pid}])
        assert start_run(ops, {"run_id": "next", **base}) == ["killed"]
        finish_run(ops, {"run_id": "next", **base, "status": "succeeded"})
        frame = ops.query("workflow_runs", order="run_id")
        assert list(zip(frame.run_id, frame.status, strict=True)) == [("killed", "crashed"), ("next", "succeeded")]
        types = {"_mops_context_key": "varchar", "_mops_run_id": "varchar"}
        for table, run_id in (("attribution_credit_v2", "a"), ("budget_shifts_v1", "b")):
            frame = pd.DataFrame({"_mops_context_key": ["ctx"], "_mops_run_id": [run_id]})
            warehouse.append_rows("agents", table, frame, types)
        assert mixed_sources(ops, "ctx") == {"attribution_credit_v2": ["a"], "budget_shifts_v1": ["b"]}
