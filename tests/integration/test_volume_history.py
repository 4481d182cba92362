"""The volume gate compares like with like (issues 11 and 16) and a new level can be accepted, audited."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import pytest

from mops.core.errors import MopsError
from mops.core.ops import OpsLog
from mops.core.ops.volumes import ReadKind, UnknownInput, accept_level, comparable_volumes
from mops.core.runtime.agent import Read
from mops.core.runtime.context import RunContext
from mops.core.runtime.gates import GateFailed
from mops.core.runtime.runner import Runner
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import DEMO_END_DATE, make_settings
from tests.integration.test_runtime import reader

DAY = date.fromisoformat(DEMO_END_DATE)
PATHS = Read(name="fct_conversions", window_column="converted_at", volume_tolerance=0.5)
OPTIONAL = Read(name="attribution_channel_summary", version=1, optional=True, min_rows=0)


@pytest.fixture
def warehouse(built_warehouse, tmp_path):
    settings = make_settings(tmp_path)
    shutil.copy(built_warehouse.settings.warehouse_path, settings.warehouse_path)
    with DuckDBWarehouse(settings) as wh:
        for schema in ("agents", "ops"):
            wh._con.execute(f"drop schema if exists {schema} cascade")
        yield wh


def test_a_backfill_then_a_daily_run_passes(warehouse):
    agent = reader(PATHS)
    backfill = Runner(warehouse, mode="backfill")
    for offset in range(5, 0, -1):  # a backfill of earlier days, one-day windows: small reads
        backfill.run(agent, RunContext.for_day(DAY - timedelta(days=offset), 1))
    live = Runner(warehouse)
    for offset in range(3):  # daily runs on 28-day windows: about 28x the rows, never compared with the above
        assert live.run(agent, RunContext.for_day(DAY - timedelta(days=2 - offset), 28)).status == "succeeded"
    reads = OpsLog(warehouse).query("agent_reads", order="read_at")
    assert reads["mode"].tolist() == ["backfill"] * 5 + ["live"] * 3
    assert reads["window_days"].tolist() == [1] * 5 + [28] * 3


def test_a_real_volume_jump_under_a_comparable_window_still_fails_and_is_recorded(warehouse):
    agent = reader(PATHS)
    runner = Runner(warehouse)
    for offset in range(3):
        runner.run(agent, RunContext.for_day(DAY - timedelta(days=offset), 28))
    sparse = RunContext.for_day(DAY + timedelta(days=20), 28)  # 20 of the 28 days after the data ends
    with pytest.raises(GateFailed, match=r"rows: volume: .* comparable reads .*mops gates accept"):
        runner.run(agent, sparse)
    reads = OpsLog(warehouse).query("agent_reads", order="read_at")
    assert reads["status"].tolist() == ["passed"] * 3 + ["gate_failed"]


def test_too_few_comparable_reads_never_refuse(warehouse):
    agent = reader(PATHS)
    runner = Runner(warehouse)
    runner.run(agent, RunContext.for_day(DAY, 28))
    runner.run(agent, RunContext.for_day(DAY, 28))
    # only two comparable reads: a drop is not refused yet
    assert runner.run(agent, RunContext.for_day(DAY + timedelta(days=20), 28)).status == "succeeded"


def test_zero_row_reads_of_an_optional_input_are_no_history(warehouse):
    ops = OpsLog(warehouse)
    agent = reader(OPTIONAL)
    runner = Runner(warehouse)
    for _ in range(4):
        runner.run(agent, RunContext.for_day(DAY, 28))  # the table does not exist yet: zero rows, optional
    kind = ReadKind("reader", "agents.attribution_channel_summary_v1", "live", 28)
    assert len(ops.query("agent_reads")) == 4
    assert comparable_volumes(ops, kind) == []


def test_an_accepted_level_restarts_the_history_and_is_audited(warehouse):
    ops = OpsLog(warehouse)
    agent = reader(PATHS)
    runner = Runner(warehouse)
    for offset in range(3):
        runner.run(agent, RunContext.for_day(DAY - timedelta(days=offset), 28))
    sparse = RunContext.for_day(DAY + timedelta(days=20), 28)
    with pytest.raises(GateFailed):
        runner.run(agent, sparse)
    with pytest.raises(UnknownInput, match=r"it reads: fct_conversions v1 \(marts.fct_conversions_v1\)"):
        accept_level(ops, "reader", "fct_nope", "ana", "typo")
    with pytest.raises(MopsError, match="needs a reason"):
        accept_level(ops, "reader", "fct_conversions", "ana", " ")
    (accepted,) = accept_level(ops, "reader", "marts.fct_conversions_v1", "ana", "tracking moved to server side")
    assert (accepted["mode"], accepted["window_days"], accepted["accepted_by"]) == ("live", 28, "ana")
    assert accepted["rows"] == int(ops.query("agent_reads", "status = 'gate_failed'")["rows"].iloc[0])
    assert runner.run(agent, sparse).status == "succeeded"
    audit = ops.query("volume_acceptances")
    assert audit[["agent", "input", "reason"]].values.tolist() == [
        ["reader", "fct_conversions v1 (marts.fct_conversions_v1)", "tracking moved to server side"]
    ]


def test_failed_reads_let_a_lasting_new_level_move_the_median(warehouse):
    agent = reader(PATHS)
    runner = Runner(warehouse)
    for offset in range(3):
        runner.run(agent, RunContext.for_day(DAY - timedelta(days=offset), 28))
    sparse = RunContext.for_day(DAY + timedelta(days=20), 28)
    outcomes = []
    for _ in range(5):
        try:
            outcomes.append(runner.run(agent, sparse).status)
        except GateFailed:
            outcomes.append("gate_failed")
    # the median of the comparable reads reaches the new level once its reads outnumber the old ones
    assert outcomes == ["gate_failed"] * 4 + ["succeeded"]
