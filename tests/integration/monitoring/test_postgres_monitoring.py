"""The monitoring pass on PostgreSQL finds what it finds on DuckDB, from the same seeded records."""

from __future__ import annotations

from datetime import datetime

import pytest

from mops.core.monitoring.alerts import AlertConfig
from mops.core.monitoring.check import MonitorConfig, assess, record
from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import DuckDBWarehouse, PostgresWarehouse
from tests.conftest import make_settings
from tests.integration.monitoring.seed import MART, seed_conflict, seed_mart, seed_runs
from tests.integration.monitoring.test_alerts import Receiver
from tests.integration.test_postgres_pipeline import throwaway_database

NOW = datetime(2026, 7, 1, 9, 0)


@pytest.fixture
def postgres_url():
    with throwaway_database() as url:
        yield url


def _pass(warehouse, url):
    log = OpsLog(warehouse)
    seed_runs(log, slow_last="attribution", failed_last=True)
    seed_mart(log, spike=5.0)
    seed_conflict(log)
    config = MonitorConfig(kpi_relation=".".join(MART), alerts=AlertConfig(urls=(url,)))
    state = assess(log, config, NOW)
    first = record(log, state, "daily-2026-06-30", config)
    second = record(log, assess(log, config, NOW), "daily-2026-06-30", config)
    return state, sorted(zip(first.kind, first.status, strict=True)), sorted(second.status)


def test_same_findings_on_both_databases(postgres_url, tmp_path):
    with Receiver() as receiver:
        with PostgresWarehouse(make_settings(tmp_path / "pg", warehouse_url=postgres_url)) as pg:
            on_pg = _pass(pg, receiver.url)
        with DuckDBWarehouse(make_settings(tmp_path / "duck")) as duck:
            on_duck = _pass(duck, receiver.url)
    pg_state, duck_state = on_pg[0], on_duck[0]
    assert pg_state.level == duck_state.level == "red"
    assert [a.message for a in pg_state.anomalies] == [a.message for a in duck_state.anomalies]
    assert [c.conflict_id for c in pg_state.conflicts] == [c.conflict_id for c in duck_state.conflicts]
    assert on_pg[1:] == on_duck[1:]
    assert set(on_pg[2]) == {"suppressed"}
