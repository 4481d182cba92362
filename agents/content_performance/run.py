"""The agent function: ad totals -> features -> GLMs -> scores, decisions and notes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.content_performance.features import DESCRIPTIONS, FEATURES, copy_features
from agents.content_performance.model import fit_metric
from agents.content_performance.notes import build_prompt, request_notes
from agents.content_performance.scores import score_ads, suggested_changes
from mops.core.runtime.agent import AgentResult, Decision
from mops.core.runtime.context import RunContext

EFFECT_COLUMNS = [
    "feature",
    "metric",
    "effect_type",
    "effect",
    "effect_low",
    "effect_high",
    "log_effect",
    "std_error",
    "p_value",
    "is_significant",
    "confidence_level",
    "ads",
    "ads_with_feature",
    "standard_errors",
]
SCORE_COLUMNS = [
    "platform",
    "ad_id",
    "ad_key",
    "campaign_key",
    "ad_group_id",
    "ad_name",
    "headline",
    "body",
    *FEATURES,
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "observed_ctr",
    "observed_cvr",
    "predicted_ctr",
    "predicted_cvr",
    "score",
    "score_low",
    "score_high",
    "predicted_score",
    "recommendation",
    "recommendation_confidence",
    "reason",
    "suggested_changes",
]


def ad_totals(daily: pd.DataFrame) -> pd.DataFrame:
    """One row per ad: summed counts and spend, and the copy it ran with last."""
    daily = daily.sort_values("date_day")
    totals = daily.groupby(["platform", "ad_id"], as_index=False, sort=True).agg(
        ad_key=("ad_key", "last"),
        campaign_key=("campaign_key", "last"),
        ad_group_id=("ad_group_id", "last"),
        ad_name=("ad_name", "last"),
        headline=("headline", "last"),
        body=("body", "last"),
        impressions=("impressions", "sum"),
        clicks=("clicks", "sum"),
        conversions=("conversions", "sum"),
        spend=("spend_in_reporting_currency", "sum"),
    )
    totals["impressions"] = totals["impressions"].astype("int64")
    totals["clicks"] = totals["clicks"].astype("int64")
    totals["conversions"] = totals["conversions"].astype(float)
    totals["spend"] = totals["spend"].astype(float)
    return totals[totals["impressions"] > 0].reset_index(drop=True)


def run(inputs: dict[str, pd.DataFrame], context: RunContext, params) -> AgentResult:
    ads = ad_totals(inputs["fct_ad_creative_daily"])
    ads = pd.concat([ads, copy_features(ads["headline"], ads["body"], params.long_copy_min_chars)], axis=1)
    ctr = fit_metric(ads, "ctr", "clicks", "impressions", params.confidence_level, params.standard_errors)
    cvr = fit_metric(ads, "cvr", "conversions", "clicks", params.confidence_level, params.standard_errors)
    effects = pd.concat([ctr.effects, cvr.effects], ignore_index=True)[EFFECT_COLUMNS]

    ads["observed_ctr"] = ads["clicks"] / ads["impressions"]
    ads["observed_cvr"] = (ads["conversions"] / ads["clicks"].where(ads["clicks"] > 0)).clip(upper=1.0)
    ads["predicted_ctr"] = ctr.predicted.fillna(ads["observed_ctr"])
    ads["predicted_cvr"] = cvr.predicted.fillna(ads["observed_cvr"]).fillna(0.0)
    scored = score_ads(ads, params.confidence_level, params.min_impressions, params.min_expected_conversions)
    ads = ads.join(scored)
    with np.errstate(divide="ignore", invalid="ignore"):
        predicted_score = ads["predicted_ctr"] * ads["predicted_cvr"] / ads["campaign_rate"]
    ads["predicted_score"] = predicted_score.replace([np.inf, -np.inf], np.nan).fillna(0.0)
    ads["suggested_changes"] = suggested_changes(ads, effects)
    scores = ads[SCORE_COLUMNS].reset_index(drop=True)

    notes, notes_source = request_notes(params.notes_provider, build_prompt(effects, scores))
    decisions = _ad_decisions(scores, notes_source) + _feature_decisions(effects, params.confidence_level)
    counts = scores["recommendation"].value_counts()
    return AgentResult(
        outputs={"content_feature_effects": effects, "ad_creative_scores": scores},
        decisions=decisions,
        metrics={
            "ads": float(len(scores)),
            "significant_effects": float(effects["is_significant"].sum()),
            **{f"ads_{rec}": float(counts.get(rec, 0)) for rec in ("scale", "keep", "pause", "test")},
            "llm_notes": 1.0 if notes_source == "llm" else 0.0,
        },
        artifacts={"content_performance_notes.md": f"# Copy notes ({context.describe()})\n\n{notes}\n"},
    )


def _ad_decisions(scores: pd.DataFrame, notes_source: str) -> list[Decision]:
    acted = scores[scores["recommendation"].isin(["pause", "scale"])]
    return [
        Decision(
            kind="creative",
            subject=row.ad_key,
            action=f"{row.recommendation}_creative",
            value=float(row.score),
            low=float(row.score_low),
            high=float(row.score_high),
            confidence=float(row.recommendation_confidence),
            reason=row.reason,
            details={
                "campaign_key": row.campaign_key,
                "headline": row.headline,
                "suggested_changes": row.suggested_changes,
                "notes_source": notes_source,
            },
        )
        for row in acted.itertuples()
    ]


def _feature_decisions(effects: pd.DataFrame, confidence_level: float) -> list[Decision]:
    decisions = []
    for row in effects[effects["is_significant"]].itertuples():
        better = row.effect > 1
        decisions.append(
            Decision(
                kind="copy_feature",
                subject=f"{row.feature}:{row.metric}",
                action="favour_copy_feature" if better else "avoid_copy_feature",
                value=float(row.effect),
                low=float(row.effect_low),
                high=float(row.effect_high),
                confidence=float(1 - row.p_value),
                reason=(
                    f"{DESCRIPTIONS[row.feature]} {'raises' if better else 'lowers'} {row.metric} "
                    f"(odds ratio {row.effect:.2f}, {confidence_level:.0%} interval "
                    f"{row.effect_low:.2f}-{row.effect_high:.2f}) against ads of the same campaign without it"
                ),
            )
        )
    return decisions
