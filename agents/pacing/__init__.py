"""Pacing agent: spend to date against the budget plan per channel and day, and threshold crossings.

Reads fct_ad_performance_daily (spend per account-local day) and fct_budget_plan_daily (the team's
plan), both from the first of the window's month so month-to-date totals are whole. Writes
pacing_status (one row per channel and day of the window) and, for each channel whose spend reached
`threshold` x its daily budget on the last `decision_days` days of the window, a threshold_crossed
decision with the estimated crossing moment (uniform spend within each account's day: the data is
daily, there is no intraday spend).
"""

from __future__ import annotations

from agents.pacing.parameters import PacingParameters
from agents.pacing.run import pacing_status, run
from mops.core.runtime.agent import Agent, AgentManifest, Read, Write

AGENT = Agent(
    manifest=AgentManifest(
        name="pacing",
        owner="paid-media",
        description="Daily spend against the budget plan per channel; flags when a channel crosses its threshold.",
        reads=(
            Read(
                name="fct_ad_performance_daily",
                version=1,
                columns=("date_day", "day_started_at_utc", "channel_id", "account_id", "spend_in_reporting_currency"),
                window_column="date_day",
                lookback_days=31,  # month-to-date needs the days since the first of window_start's month
                freshness_column="date_day",
                max_age_days=1,
            ),
            Read(
                name="fct_budget_plan_daily",
                version=1,
                columns=(
                    "date_day",
                    "channel_id",
                    "daily_budget_in_reporting_currency",
                    "month_budget_in_reporting_currency",
                ),
                key=("date_day", "channel_id"),
                window_column="date_day",
                lookback_days=31,
                freshness_column="date_day",
                max_age_days=0,  # the plan must cover the window's last day
            ),
        ),
        writes=(Write(table="pacing_status", version=1),),
        decisions=("threshold_crossed",),
    ),
    function=run,
    parameters=PacingParameters,
)

__all__ = ["AGENT", "PacingParameters", "pacing_status"]
