"""A step's declared anomaly holds in a real flow run: a spend spike on the run date holds its budget shifts."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb

from flows.local import run_once
from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import DEMO_END_DATE
from tests.flows.conftest import write_spec

DAY = date.fromisoformat(DEMO_END_DATE)

SPEC = """
steps:
  - id: budget_optimizer
    agent: budget_optimizer
    approval: {decision: shift_budget, above: 0.15}
    hold_on_anomalies: [spend, conversions]
    policy: {on_failure: skip}
"""


def test_a_spend_spike_on_the_run_date_holds_the_budget_shifts(engine, monkeypatch):
    settings, specs = engine
    monkeypatch.setenv("MOPS_AGENT_MODULES", json.dumps(["tests.month_agents"]))
    write_spec(specs, "daily", SPEC)
    with open_warehouse(settings) as warehouse:
        relation = warehouse.manifest.resolve("fct_ad_performance_daily")
    with duckdb.connect(str(settings.warehouse_path)) as con:  # the day's Google Ads spend x6 in the mart
        con.execute(
            f'update {relation.schema}."{relation.name}" set spend_in_reporting_currency = '
            "spend_in_reporting_currency * 6 where channel_id = 'google_ads' and date_day = ?",
            [DAY],
        )
    clean = run_once(settings, "daily", DAY - timedelta(days=1))
    spiked = run_once(settings, "daily", DAY)
    assert {a.status for a in clean.step("budget_optimizer").approvals} == {"auto_applied"}
    held = spiked.step("budget_optimizer")
    assert held.status == "succeeded" and held.approvals and {a.status for a in held.approvals} == {"held"}
    assert all(a.reason.startswith(f"spend anomaly: google_ads spend on {DAY.isoformat()}") for a in held.approvals)
    assert any(w.startswith(f"{len(held.approvals)} decision(s) held, not applied") for w in held.warnings)
    with open_warehouse(settings) as warehouse:
        rows = OpsLog(warehouse).query("applied_decisions", "run_id = ?", [spiked.run_id])
    assert set(rows.status) == {"held"} and rows.reason.str.contains("google_ads spend").all()
