"""Budget optimization agent: response curves with uncertainty, then a risk-aware daily allocation.

Reads daily spend, clicks and platform conversions per channel (fct_ad_performance_daily), GA4 purchases with
their last non-direct touch (fct_conversions) and, when present, attribution's underperformance flags
(attribution_channel_summary) and credit (attribution_credit, the outcome when outcome_source is 'attribution').
Writes budget_response_curves v1 and budget_recommendations v1.
"""

from __future__ import annotations

from agents.budget_optimizer.history import LAST_TOUCH_COLUMNS
from agents.budget_optimizer.parameters import HISTORY_LOOKBACK_DAYS, SPEND_MAX_AGE_DAYS, BudgetParameters
from agents.budget_optimizer.run import run
from mops.core.runtime.agent import Agent, AgentManifest, FailurePolicy, Read, Write

MANIFEST = AgentManifest(
    name="budget_optimizer",
    owner="marketing-science",
    description=(
        "Fits adstock + Hill response curves per paid channel with parameter uncertainty and allocates the daily"
        " budget to maximise the lower quantile of expected revenue (or conversions) under min/max, daily-change"
        " and lock constraints."
    ),
    reads=(
        Read(
            name="fct_ad_performance_daily",
            version=1,
            columns=(
                "date_day",
                "channel_id",
                "spend_in_reporting_currency",
                "clicks",
                "conversions",
                "conversion_value_in_reporting_currency",
            ),
            window_column="date_day",
            lookback_days=HISTORY_LOOKBACK_DAYS,
            freshness_column="date_day",
            max_age_days=SPEND_MAX_AGE_DAYS,
        ),
        Read(
            name="fct_conversions",
            version=1,
            # each purchase's last non-direct touch (any age) is matched in dbt; the agent applies its lookback
            columns=("converted_at", "conversion_date", "revenue_in_reporting_currency", *LAST_TOUCH_COLUMNS),
            window_column="conversion_date",
            lookback_days=HISTORY_LOOKBACK_DAYS,
        ),
        Read(
            name="attribution_channel_summary",
            version=1,
            columns=("channel_id", "is_underperforming"),
            key=("channel_id",),
            optional=True,
            min_rows=0,
        ),
        # the outcome when outcome_source is 'attribution' (credited conversions and revenue per channel)
        Read(
            name="attribution_credit",
            version=2,
            columns=("converted_at", "channel_id", "credit", "credited_value"),
            optional=True,
            min_rows=0,
        ),
    ),
    writes=(Write(table="budget_response_curves", version=1), Write(table="budget_recommendations", version=1)),
    decisions=("shift_budget", "conflict", "hold_budget"),
    money_decisions=("shift_budget",),
    failure_policy=FailurePolicy(on_failure="halt"),
)

AGENT = Agent(
    manifest=MANIFEST,
    function=run,
    parameters=BudgetParameters,
    preload=("scipy.stats", "scipy.optimize", "agents.budget_optimizer.likelihood"),
)
