"""Per-source freshness against the declared dbt source freshness; freshness and deadline alerts."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from mops.core.landing import load_registry
from mops.core.monitoring.check import MonitorConfig, alerts_for, assess
from mops.core.monitoring.freshness import limit_hours, source_freshness
from mops.core.ops import OpsLog
from mops.core.settings import PROJECT_DIR
from mops.core.warehouse.adapter import DuckDBWarehouse

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
NOW = datetime(2026, 7, 1, 8, 0)


@pytest.fixture
def log(settings):
    warehouse = DuckDBWarehouse(settings)
    yield OpsLog(warehouse)
    warehouse.close()


def _land(log: OpsLog, newest: date, loaded_at: datetime, new_fields=()) -> None:
    """TikTok's campaign report up to `newest` (its date field is a timestamp) and its ingest log row."""
    days = pd.date_range(newest - timedelta(days=9), newest)
    log.warehouse.append_rows(
        "raw", "tiktok_ads__campaign_report", pd.DataFrame({"stat_time_day": days}), {"stat_time_day": "timestamp"}
    )
    files = pd.DataFrame(
        [
            {
                "source": "tiktok_ads",
                "table_name": "campaign_report",
                "row_count": 10,
                "loaded_at": loaded_at,
                "new_fields": json.dumps(list(new_fields)),
            }
        ]
    )
    log.warehouse.append_rows(
        "raw",
        "_mops_files",
        files,
        {
            "source": "varchar",
            "table_name": "varchar",
            "row_count": "bigint",
            "loaded_at": "timestamp",
            "new_fields": "varchar",
        },
    )


def _status(log, day):
    found = source_freshness(log, REGISTRY, day, NOW)
    return {(f.source, f.table): f for f in found}


def test_lag_is_judged_against_the_declared_freshness(log):
    assert limit_hours("warn_after") == 30 and limit_hours("error_after") == 72  # what the dbt sources declare
    _land(log, date(2026, 6, 30), NOW - timedelta(hours=2), new_fields=("video_views",))
    fresh = _status(log, date(2026, 6, 30))[("tiktok_ads", "campaign_report")]
    assert (fresh.status, fresh.data_lag_hours, fresh.rows_ingested, fresh.new_fields) == ("ok", 0, 10, ["video_views"])
    assert _status(log, date(2026, 7, 1))[("tiktok_ads", "campaign_report")].status == "ok"  # one day late: 24 h
    late = _status(log, date(2026, 7, 2))[("tiktok_ads", "campaign_report")]
    assert late.status == "warn" and late.data_lag_hours == 48
    stale = _status(log, date(2026, 7, 4))[("tiktok_ads", "campaign_report")]
    assert stale.status == "error" and "newest data 2026-06-30, 96 h behind 2026-07-04" in stale.message


def test_an_old_load_is_a_breach_even_when_the_data_reach_the_day(log):
    _land(log, date(2026, 6, 30), NOW - timedelta(days=4))
    assert _status(log, date(2026, 6, 30))[("tiktok_ads", "campaign_report")].status == "error"


def test_a_table_never_loaded_is_no_data_not_a_breach_and_refusals_are_counted(log):
    log.warehouse.append_rows(
        "raw", "tiktok_ads__campaign_report", pd.DataFrame({"stat_time_day": [pd.NaT]}), {"stat_time_day": "timestamp"}
    )
    log.append(
        "ingests",
        [
            {
                "path": "tiktok_ads/campaign_report/a.jsonl",
                "status": "refused",
                "ingested_at": NOW - timedelta(hours=3),
            },
            {
                "path": "tiktok_ads/campaign_report/b.jsonl",
                "status": "refused",
                "ingested_at": NOW - timedelta(hours=3),
            },
            {"path": "tiktok_ads/campaign_report/b.jsonl", "status": "loaded", "ingested_at": NOW - timedelta(hours=1)},
        ],
    )
    status = _status(log, date(2026, 6, 30))[("tiktok_ads", "campaign_report")]
    assert status.status == "no_data" and status.files_refused == 1  # b was loaded on the second try


def test_breaches_and_deadlines_at_risk_become_alerts_once_per_problem(log, tmp_path):
    _land(log, date(2026, 6, 26), NOW - timedelta(hours=2))
    log.append(
        "workflow_runs",
        [
            {
                "run_id": "r1",
                "workflow": "daily",
                "mode": "live",
                "run_date": date(2026, 6, 30),
                "status": "succeeded",
                "started_at": NOW - timedelta(hours=1),
                "wall_s": 10.0,
                "overhead_share": 0.01,
            }
        ],
    )
    log.append(
        "workflow_steps",
        [
            {
                "run_id": "r1",
                "workflow": "daily",
                "step": "budget",
                "status": "succeeded",
                "due_at": NOW + timedelta(hours=1),
                "deadline_share": 0.9,
                "finished_at": NOW,
            },
            {
                "run_id": "r1",
                "workflow": "daily",
                "step": "report",
                "status": "succeeded",
                "due_at": NOW + timedelta(hours=9),
                "deadline_share": 0.3,
                "finished_at": NOW,
            },
        ],
    )
    config = MonitorConfig(landing_contracts=PROJECT_DIR / "contracts" / "landing", kpi_checks=False)
    state = assess(log, config, NOW, day=date(2026, 6, 30))
    assert state.level == "red"
    assert any(r.startswith("freshness breach: tiktok_ads.campaign_report") for r in state.reasons)
    assert any(r.startswith("deadline at risk: step budget of daily (succeeded) used 90%") for r in state.reasons)
    alerts = alerts_for(state, "r1", owners={"budget": "marketing-science"})
    kinds = sorted((a.kind, a.subject, a.severity) for a in alerts if a.kind in ("freshness", "deadline"))
    assert kinds == [("deadline", "daily:budget", "warning"), ("freshness", "tiktok_ads.campaign_report", "critical")]
    assert next(a for a in alerts if a.kind == "deadline").owner == "marketing-science"
    # the same stale table judged the next day is the same problem (one fingerprint: suppressed, not re-sent)
    later = assess(log, config, NOW, day=date(2026, 7, 1))
    again = [a for a in alerts_for(later, "r2") if a.kind == "freshness"]
    assert [a.fingerprint for a in again] == [a.fingerprint for a in alerts if a.kind == "freshness"]
