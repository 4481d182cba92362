"""Per-ad scores: conversions per impression against the campaign's other ads, with an exact interval.

The comparison is within the campaign (same audience, bids, placements), so the score says how the ad
does against its siblings, not how good the campaign is. The interval is the exact (Garwood) Poisson
interval of the ad's conversions divided by what the campaign's other ads would have converted on its
impressions; the campaign rate is treated as known (it pools many more impressions than one ad).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.content_performance.features import DESCRIPTIONS, FEATURES


def poisson_interval(counts: np.ndarray, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy import stats  # loaded by the first run, not with the catalog

    alpha = 1 - confidence_level
    low = np.where(counts > 0, stats.chi2.ppf(alpha / 2, 2 * counts) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * (counts + 1)) / 2
    return low, high


def campaign_rate_of_others(ads: pd.DataFrame, numerator: str, denominator: str) -> pd.Series:
    """Per ad: sum(numerator) / sum(denominator) over the other ads of its campaign."""
    totals = ads.groupby("campaign_key")[[numerator, denominator]].transform("sum")
    others_denominator = totals[denominator] - ads[denominator]
    return (totals[numerator] - ads[numerator]) / others_denominator.where(others_denominator > 0)


def score_ads(ads: pd.DataFrame, confidence_level: float, min_impressions: int, min_expected: float) -> pd.DataFrame:
    """score, interval, recommendation, confidence and reason per ad (ads: one row per ad with totals)."""
    rate = campaign_rate_of_others(ads, "conversions", "impressions")
    expected = (ads["impressions"] * rate).to_numpy(float)
    conversions = np.round(ads["conversions"].to_numpy(float))
    low, high = poisson_interval(conversions, confidence_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(expected > 0, conversions / expected, np.nan)
        score_low = np.where(expected > 0, low / expected, np.nan)
        score_high = np.where(expected > 0, high / expected, np.nan)
    from scipy import stats

    p_worse = stats.poisson.cdf(conversions, expected)  # P(X <= observed) if the ad converted like its siblings
    p_better = stats.poisson.sf(conversions - 1, expected)  # P(X >= observed)
    enough = (ads["impressions"].to_numpy() >= min_impressions) & (expected >= min_expected)
    recommendation = np.select(
        [~enough, score_high < 1, score_low > 1], ["test", "pause", "scale"], default="keep"
    ).astype(object)
    confidence = np.select(
        [recommendation == "test", recommendation == "pause", recommendation == "scale"],
        [np.minimum(np.nan_to_num(expected) / min_expected, 1.0), 1 - p_worse, 1 - p_better],
        default=np.minimum(1.0, 2 * np.minimum(p_worse, p_better)),
    )
    columns = zip(recommendation, conversions, expected, score, score_low, score_high, strict=True)
    reason = [_reason(*values, confidence_level) for values in columns]
    return pd.DataFrame(
        {
            "score": np.nan_to_num(score, nan=0.0),
            "score_low": np.nan_to_num(score_low, nan=0.0),
            "score_high": np.nan_to_num(score_high, nan=0.0),
            "recommendation": recommendation,
            "recommendation_confidence": np.clip(np.nan_to_num(confidence), 0.0, 1.0),
            "reason": reason,
            "campaign_rate": rate.to_numpy(float),
        },
        index=ads.index,
    )


def _reason(rec: str, conversions: float, expected: float, score: float, low: float, high: float, level: float):
    if rec == "test":
        return (
            f"too little data: {conversions:.0f} conversions where the campaign's other ads would expect "
            f"{expected:.1f}; keep testing"
        )
    interval = f"{score:.2f} ({level:.0%} interval {low:.2f}-{high:.2f})"
    if rec == "pause":
        return f"converts per impression at {interval} of its campaign's other ads: below them"
    if rec == "scale":
        return f"converts per impression at {interval} of its campaign's other ads: above them"
    return f"converts per impression at {interval} of its campaign's other ads: not distinguishable"


def suggested_changes(ads: pd.DataFrame, effects: pd.DataFrame) -> pd.Series:
    """Add the features whose significant effects raise conversions per impression; drop those that lower it.

    Conversions per impression is CTR x CVR, so a feature's combined log effect is the sum of its two
    log effects (a feature without a significant effect on a metric counts as no effect there).
    """
    significant = effects[effects["is_significant"]]
    combined = significant.groupby("feature")["log_effect"].sum()
    changes = pd.Series([[] for _ in range(len(ads))], index=ads.index, dtype=object)
    for feature in FEATURES:
        if feature not in combined.index or combined[feature] == 0:
            continue
        lift = np.exp(combined[feature]) - 1
        if lift > 0:
            missing = ~ads[feature].astype(bool)
            text = f"add {DESCRIPTIONS[feature]} (about {lift:+.0%} conversions per impression)"
        else:
            missing = ads[feature].astype(bool)
            text = f"drop {DESCRIPTIONS[feature]} (about {lift:+.0%} conversions per impression)"
        for index in ads.index[missing]:
            changes[index] = [*changes[index], text]
    return pd.Series(["; ".join(items) if items else None for items in changes], index=ads.index, dtype=object)
