"""Content performance: which ad-copy features move CTR and conversion rate, and which ads to keep.

Reads fct_ad_creative_daily (ads with their copy), sums each ad over the window, extracts copy
features, fits binomial GLMs of CTR and CVR with campaign fixed effects (effects with intervals),
scores each ad against its campaign's other ads and recommends scale / keep / pause / test.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.content_performance.notes import NotesProvider
from agents.content_performance.run import run
from mops.core.runtime.agent import Agent, AgentManifest, FailurePolicy, Read, Write


class ContentPerformanceParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    # level of the effect intervals, the score intervals and the significance test
    confidence_level: float = Field(default=0.95, gt=0.5, lt=1)
    # quasi_binomial: binomial SEs scaled by the Pearson dispersion; cluster_campaign: clustered by campaign
    standard_errors: Literal["quasi_binomial", "cluster_campaign"] = "quasi_binomial"
    # body (Google descriptions / Meta primary text) longer than this many characters is long copy
    long_copy_min_chars: int = Field(default=140, ge=1)
    # an ad with fewer impressions, or fewer expected conversions at its campaign's rate, is 'test'
    min_impressions: int = Field(default=1000, ge=0)
    min_expected_conversions: float = Field(default=5.0, gt=0)
    # optional language model for qualitative notes, injected by the runtime (see mops.core.llm)
    notes_provider: NotesProvider | None = None


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
)

__all__ = ["AGENT", "ContentPerformanceParameters", "NotesProvider"]
