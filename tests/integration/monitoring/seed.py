"""A small warehouse of ops rows (and an ad performance mart) for the monitoring tests."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from mops.core.ops import OpsLog

END = date(2026, 6, 30)
AGENTS = {"attribution": 120.0, "pacing": 20.0, "budget_optimizer": 300.0}
MART = ("marts", "fct_ad_performance_daily_v1")
MART_TYPES = {
    "channel_id": "varchar",
    "date_day": "date",
    "spend_in_reporting_currency": "double precision",
    "clicks": "bigint",
    "conversions": "double precision",
}


def _noise(i: int) -> float:
    return 1 + 0.02 * ((i * 7) % 5 - 2)


def seed_runs(log: OpsLog, days: int = 20, slow_last: str | None = None, failed_last: bool = False) -> None:
    """`days` daily runs of the daily workflow, each running every agent for its usual time."""
    for i in range(days):
        day = END - timedelta(days=days - 1 - i)
        started = datetime.combine(day + timedelta(days=1), datetime.min.time()) + timedelta(hours=6)
        run_id = f"daily-{day.isoformat()}"
        last = i == days - 1
        total = 0.0
        for agent, usual in AGENTS.items():
            duration = usual * _noise(i) * (4.5 if last and agent == slow_last else 1.0)
            total += duration
            log.append(
                "agent_runs",
                [
                    {
                        "run_id": run_id,
                        "agent": agent,
                        "status": "succeeded",
                        "started_at": started,
                        "finished_at": started + timedelta(seconds=duration),
                        "duration_s": duration,
                        "compute_s": duration * 0.9,
                        "rows_written": json.dumps({f"agents.{agent}_out": 10}),
                    }
                ],
            )
            log.append(
                "agent_reads",
                [
                    {
                        "run_id": run_id,
                        "agent": agent,
                        "input": "fct_touchpoints",
                        "rows": 10_000 + 40 * (i % 3),
                        "read_at": started,
                    }
                ],
            )
        status = "failed" if last and failed_last else "succeeded"
        wall = total * 1.05
        log.append(
            "workflow_runs",
            [
                {
                    "run_id": run_id,
                    "workflow": "daily",
                    "mode": "live",
                    "run_date": day,
                    "status": status,
                    "started_at": started,
                    "finished_at": started + timedelta(seconds=wall),
                    "wall_s": wall,
                    "critical_path_s": total,
                    "overhead_s": wall - total,
                    "overhead_share": (wall - total) / wall,
                }
            ],
        )
        log.append(
            "workflow_steps",
            [
                {
                    "run_id": run_id,
                    "workflow": "daily",
                    "step": agent,
                    "kind": "agent",
                    "status": "failed" if last and failed_last and agent == "pacing" else "succeeded",
                    "duration_s": usual,
                    "attempts": 1,
                    "message": "",
                    "finished_at": started,
                }
                for agent, usual in AGENTS.items()
            ],
        )


def seed_conflict(log: OpsLog, run_id: str = "daily-2026-06-30", at: datetime | None = None) -> None:
    """The optimizer raising a channel pacing reports as over-pacing, in the same run."""
    at = at or datetime(2026, 7, 1, 6, 5)
    common = {"run_id": run_id, "confidence": 1.0, "details": "{}", "decided_at": at}
    log.append(
        "decisions",
        [
            {
                **common,
                "agent": "pacing",
                "kind": "threshold_crossed",
                "subject": "google_ads",
                "action": "flag_over_pacing",
                "value": 1.4,
                "reason": "google_ads spent 140% of its daily budget",
            },
            {
                **common,
                "agent": "budget_optimizer",
                "kind": "shift_budget",
                "subject": "google_ads",
                "action": "increase_spend",
                "value": 0.2,
                "reason": "raise to 1,200.00",
            },
        ],
    )


def seed_mart(log: OpsLog, spike: float = 1.0, days: int = 56) -> None:
    """Daily spend, clicks and conversions of two channels with a weekend dip; meta_ads' last day x`spike`."""
    rows = []
    for i in range(days):
        day = END - timedelta(days=days - 1 - i)
        weekend = 0.6 if day.weekday() >= 5 else 1.0
        for channel, level in (("meta_ads", 1000.0), ("google_ads", 2000.0)):
            factor = spike if (channel == "meta_ads" and i == days - 1) else 1.0
            value = level * weekend * _noise(i + len(channel))
            rows.append(
                {
                    "channel_id": channel,
                    "date_day": day,
                    "spend_in_reporting_currency": value * factor,
                    "clicks": int(value / 2),
                    "conversions": value / 50,
                }
            )
    log.warehouse.append_rows(*MART, pd.DataFrame(rows), MART_TYPES)


def write_manifest(target: Path) -> None:
    """A dbt manifest naming the mart (the CLI resolves it as every reader does)."""
    node = {
        "resource_type": "model",
        "name": "fct_ad_performance_daily",
        "version": 1,
        "latest_version": 1,
        "schema": MART[0],
        "alias": MART[1],
        "columns": {c: {"data_type": t} for c, t in MART_TYPES.items()},
    }
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_text(json.dumps({"nodes": {"model.mops.fct_ad_performance_daily.v1": node}}))
