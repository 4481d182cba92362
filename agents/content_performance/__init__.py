"""Content performance: which ad-copy features move CTR and conversion rate, and which ads to keep.

Reads fct_ad_creative_daily (ads with their copy), sums each ad over the window, extracts copy
features, fits binomial GLMs of CTR and CVR with campaign fixed effects (effects with intervals),
scores each ad against its campaign's other ads and recommends scale / keep / pause / test.
"""

from __future__ import annotations

from agents.content_performance.parameters import ContentPerformanceParameters
from agents.content_performance.run import run
from mops.core.runtime.agent import Agent, AgentManifest, FailurePolicy, Read, Write

AGENT = Agent(
    manifest=AgentManifest(
        name="content_performance",
        owner="content",
        description=__doc__.strip().splitlines()[0],
        reads=(
            Read(
                name="fct_ad_creative_daily",
                version=1,
                columns=(
                    "date_day",
                    "platform",
                    "account_id",
                    "campaign_key",
                    "ad_group_id",
                    "ad_id",
                    "ad_key",
                    "ad_name",
                    "headline",
                    "body",
                    "spend_in_reporting_currency",
                    "impressions",
                    "clicks",
                    "conversions",
                ),
                key=("date_day", "platform", "account_id", "ad_id"),
                window_column="date_day",
                lookback_days=62,  # copy effects need more history than a 28-day window holds
                freshness_column="date_day",
                max_age_days=3,
            ),
        ),
        writes=(Write(table="content_feature_effects", version=1), Write(table="ad_creative_scores", version=1)),
        decisions=("pause_creative", "scale_creative", "favour_copy_feature", "avoid_copy_feature"),
        failure_policy=FailurePolicy(on_failure="skip"),
    ),
    function=run,
    parameters=ContentPerformanceParameters,
    preload=("scipy.stats", "statsmodels.api"),
)

__all__ = ["AGENT", "ContentPerformanceParameters", "NotesProvider"]
