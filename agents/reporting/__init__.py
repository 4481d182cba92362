"""Reporting agent: the performance report of the run window, as HTML and Markdown, and report_kpis.

KPIs (spend, impressions, clicks, CTR, conversions, revenue, CPA, ROAS) by channel, platform and
campaign against the prior period of the same length; attributed conversions and revenue with
intervals; segments, budget recommendations, pacing and creatives when their agents ran. The report
states the run context it used and marks inputs the workflow engine let it read from an earlier run.
"""

from __future__ import annotations

from agents.reporting.attributed import CREDIT_COLUMNS, SUMMARY_COLUMNS
from agents.reporting.parameters import MAX_PRIOR_DAYS, ReportingParameters
from agents.reporting.run import run
from mops.core.runtime.agent import Agent, AgentManifest, FailurePolicy, Read, Write

AD_COLUMNS = (
    "date_day",
    "platform",
    "channel_id",
    "campaign_key",
    "spend_in_reporting_currency",
    "impressions",
    "clicks",
    "conversions",
    "conversion_value_in_reporting_currency",
)
SEGMENT_COLUMNS = (
    "reference_date",
    "segment",
    "segment_order",
    "rule",
    "customers",
    "share",
    "orders",
    "revenue",
    "revenue_share",
    "average_order_value",
    "top_channel",
)
BUDGET_COLUMNS = (
    "channel_id",
    "objective",
    "current_daily_spend",
    "recommended_daily_spend",
    "change_share",
    "is_locked",
    "expected_uplift",
    "expected_uplift_low",
    "expected_uplift_high",
    "rationale",
)
PACING_COLUMNS = (
    "date_day",
    "channel_id",
    "is_over_threshold",
    "month_to_date_spend",
    "month_to_date_budget",
    "month_to_date_pace",
    "month_projected_pace",
)
CREATIVE_COLUMNS = (
    "platform",
    "ad_id",
    "ad_name",
    "score",
    "score_low",
    "score_high",
    "recommendation",
    "suggested_changes",
)


def _agent_output(name: str, columns: tuple[str, ...], key: tuple[str, ...] = (), **options) -> Read:
    """Another agent's output, pinned to v1, optional: the report says so when the agent has not run."""
    return Read(name=name, version=1, columns=columns, key=key, optional=True, min_rows=0, **options)


MANIFEST = AgentManifest(
    name="reporting",
    owner="marketing-ops",
    description=(
        "Performance report of the run window: KPIs by channel, platform and campaign against the prior "
        "period, attributed conversions with intervals, segments, budget recommendations; HTML + Markdown."
    ),
    reads=(
        Read(
            name="fct_ad_performance_daily",
            version=1,
            columns=AD_COLUMNS,
            window_column="date_day",
            # the prior period (as long as the window, at most MAX_PRIOR_DAYS) is read with the window
            lookback_days=MAX_PRIOR_DAYS,
        ),
        Read(
            name="fct_conversions",
            version=1,
            columns=("converted_at", "session_channel_id", "revenue_in_reporting_currency"),
            window_column="converted_at",
            lookback_days=MAX_PRIOR_DAYS,
        ),
        Read(name="dim_channels", version=1, columns=("channel_id", "channel_name", "platform"), key=("channel_id",)),
        Read(
            name="dim_campaigns",
            version=1,
            columns=("campaign_key", "campaign_name", "account_name"),
            key=("campaign_key",),
        ),
        # pinned to v1: one row per conversion, so counting rows counts conversions
        _agent_output("attribution_credit", CREDIT_COLUMNS, ("conversion_id",), window_column="converted_at"),
        _agent_output("attribution_channel_summary", SUMMARY_COLUMNS, ("channel_id",)),
        _agent_output("segment_summary", SEGMENT_COLUMNS, ("segment",)),
        _agent_output("budget_recommendations", BUDGET_COLUMNS, ("channel_id",)),
        _agent_output("pacing_status", PACING_COLUMNS, ("channel_id", "date_day")),
        _agent_output("ad_creative_scores", CREATIVE_COLUMNS, ("platform", "ad_id")),
    ),
    writes=(Write(table="report_kpis", version=1),),
    decisions=("kpi_alert",),
    failure_policy=FailurePolicy(on_failure="halt"),  # a failed report must show, not pass quietly
)

AGENT = Agent(manifest=MANIFEST, function=run, parameters=ReportingParameters, preload=("scipy.stats",))

__all__ = ["AGENT", "MANIFEST", "ReportingParameters", "run"]
