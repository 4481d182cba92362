"""A monitoring pass after a run: new anomalies and conflicts recorded once, alerted once to a real receiver."""

from __future__ import annotations

from datetime import datetime, timedelta

from mops.core.monitoring.alerts import AlertConfig
from mops.core.monitoring.check import MonitorConfig, assess, record
from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.integration.monitoring.seed import MART, seed_conflict, seed_mart, seed_runs
from tests.integration.monitoring.test_alerts import Receiver

NOW = datetime(2026, 7, 1, 9, 0)
RUN = "daily-2026-06-30"


def test_each_fault_is_recorded_and_alerted_once(settings):
    warehouse = DuckDBWarehouse(settings)
    log = OpsLog(warehouse)
    seed_runs(log, slow_last="attribution", failed_last=True)
    seed_mart(log, spike=5.0)
    seed_conflict(log)
    with Receiver() as receiver:
        config = MonitorConfig(kpi_relation=".".join(MART), alerts=AlertConfig(urls=(receiver.url,)))
        owners = {"attribution": "analytics@example.com", "pacing": "paid-media@example.com"}
        first = record(log, assess(log, config, NOW), RUN, config, owners)
        second = record(log, assess(log, config, NOW + timedelta(hours=1)), RUN, config)
    assert sorted(first.kind) == ["anomaly", "anomaly", "conflict", "step_failed"]
    assert set(first.status) == {"delivered"} and set(second.status) == {"suppressed"}
    bodies = [r["message"] for r in receiver.received]
    assert len(bodies) == 4
    assert any(b.startswith("attribution took") and b.endswith("(owner: analytics@example.com)") for b in bodies)
    assert any("pacing reports as over-pacing" in b for b in bodies)
    assert any("step pacing of workflow daily failed" in b and "paid-media@example.com" in b for b in bodies)
    assert sorted(first.owner.dropna()) == ["analytics@example.com", "paid-media@example.com"]
    anomalies, conflicts = log.query("anomalies"), log.query("conflicts")
    assert sorted(anomalies.subject) == ["attribution", "meta_ads"] and set(anomalies.run_id) == {RUN}
    assert list(conflicts.rule) == ["increase_on_over_pacing"]  # the second pass added nothing new
    warehouse.close()


def test_a_clean_month_records_and_alerts_nothing(settings):
    warehouse = DuckDBWarehouse(settings)
    log = OpsLog(warehouse)
    seed_runs(log)
    seed_mart(log)
    with Receiver() as receiver:
        config = MonitorConfig(kpi_relation=".".join(MART), alerts=AlertConfig(urls=(receiver.url,)))
        state = assess(log, config, NOW)
        rows = record(log, state, RUN, config)
    assert state.level == "green" and rows.empty and receiver.received == []
    assert log.query("anomalies").empty and log.query("alerts").empty
    warehouse.close()
