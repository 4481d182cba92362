"""attribution_channel_summary: totals per channel with bootstrap intervals, spend, ROAS, CPA, flags.

The bootstrap resamples journeys: one multinomial draw of counts over the unique path keys per
sample (seeded), so a sample costs a matrix product (rule-based models) or one refit on counts
(Markov, Shapley) or one draw of the counterfactual model (agents/attribution/specifications.py), never a
pass over journeys. The draws are shifted by the gap between the credit table's channel totals and the
model's own deterministic totals (allocation can miss a total the paths cannot reach; 0 for the
counterfactual model, whose credit table is its own). Revenue per sample is the
resampled mean value of a channel's credited conversions times its resampled conversions. Spend is
fixed, so ROAS and CPA intervals come from the revenue and conversion draws. A paid channel whose spend
data ends too early (stale, see AttributionParameters.spend_max_age_days) gets no ROAS or CPA: they would be
revenue over a window divided by spend over part of it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.attribution.models import Fit
from agents.attribution.parameters import AttributionParameters

COLUMNS = [
    "channel_id",
    "is_paid",
    "attributed_conversions",
    "attributed_conversions_low",
    "attributed_conversions_high",
    "attributed_revenue",
    "attributed_revenue_low",
    "attributed_revenue_high",
    "conversion_share",
    "spend",
    "roas",
    "roas_low",
    "roas_high",
    "cpa",
    "cpa_low",
    "cpa_high",
    "is_underperforming",
    "spend_through",
    "is_spend_stale",
]


@dataclass(frozen=True)
class Draws:
    """Bootstrap draws per channel (samples x channels)."""

    conversions: np.ndarray
    revenue: np.ndarray


def bootstrap(fit: Fit, params: AttributionParameters) -> Draws:
    counts = fit.keys["n"].to_numpy().astype(float)
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros((params.bootstrap_samples, len(fit.channels)))
        return Draws(empty, empty)
    rng = np.random.default_rng(params.seed)
    samples = rng.multinomial(total, counts / total, size=params.bootstrap_samples).astype(float)
    credited = samples @ fit.key_credit
    credited_value = samples @ (fit.key_credit * fit.keys["value"].fillna(0.0).to_numpy()[:, None])
    if fit.refit is None:
        conversions = credited
    else:
        allocation_shift = counts @ fit.key_credit - (fit.estimate or fit.refit)(counts)
        conversions = np.clip(np.vstack([fit.refit(row) for row in samples]) + allocation_shift, 0.0, None)
    value_per_conversion = np.divide(credited_value, credited, out=np.zeros_like(credited), where=credited > 0)
    return Draws(conversions=conversions, revenue=value_per_conversion * conversions)


def _interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1.0 - level) / 2.0
    finite = np.where(np.isfinite(draws), draws, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (unpaid channels) give NaN
        low = np.nanquantile(finite, tail, axis=0) if len(draws) else np.full(draws.shape[1], np.nan)
        high = np.nanquantile(finite, 1.0 - tail, axis=0) if len(draws) else np.full(draws.shape[1], np.nan)
    return low, high


def channel_summary(
    credit_v2: pd.DataFrame,
    fit: Fit,
    draws: Draws,
    spend: pd.Series,
    paid: pd.Series,
    params: AttributionParameters,
    spend_through: pd.Series | None = None,
    stale: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary frame, and per flagged channel the share of draws beyond target (its confidence).

    `spend_through`: each paid channel's newest spend day; channels in `stale` get no ROAS or CPA (nor a
    flag judged on them): their spend misses days of the window.
    """
    channels = sorted(set(fit.channels) | set(paid.index) | set(spend.index))
    position = {c: i for i, c in enumerate(fit.channels)}

    def per_channel(matrix: np.ndarray) -> np.ndarray:
        out = np.zeros((matrix.shape[0], len(channels)))
        for j, channel in enumerate(channels):
            if channel in position:
                out[:, j] = matrix[:, position[channel]]
        return out

    conversions = per_channel(draws.conversions)
    revenue = per_channel(draws.revenue)
    totals = credit_v2.groupby("channel_id")[["credit", "credited_value"]].sum().reindex(channels).fillna(0.0)
    frame = pd.DataFrame({"channel_id": channels})
    frame["is_paid"] = [bool(paid.get(c, c in spend.index)) for c in channels]
    frame["attributed_conversions"] = totals["credit"].to_numpy()
    frame["attributed_conversions_low"], frame["attributed_conversions_high"] = _interval(
        conversions, params.confidence_level
    )
    frame["attributed_revenue"] = totals["credited_value"].to_numpy()
    frame["attributed_revenue_low"], frame["attributed_revenue_high"] = _interval(revenue, params.confidence_level)
    total = frame["attributed_conversions"].sum()
    frame["conversion_share"] = frame["attributed_conversions"] / total if total > 0 else 0.0

    spent = np.array([spend.get(c, np.nan) if frame["is_paid"].iloc[j] else np.nan for j, c in enumerate(channels)])
    is_stale = np.array([c in stale for c in channels], dtype=bool)
    has_spend = np.isfinite(spent) & (spent > 0) & ~is_stale
    with np.errstate(divide="ignore", invalid="ignore"):
        roas_draws = np.where(has_spend, revenue / spent, np.nan)
        cpa_draws = np.where(has_spend & (conversions > 0), spent / conversions, np.inf)
        cpa_draws = np.where(has_spend, cpa_draws, np.nan)
        frame["spend"] = np.where(frame["is_paid"], np.nan_to_num(spent, nan=0.0), np.nan)
        frame["roas"] = np.where(has_spend, frame["attributed_revenue"] / spent, np.nan)
        frame["cpa"] = np.where(
            has_spend & (frame["attributed_conversions"] > 0), spent / frame["attributed_conversions"], np.nan
        )
    frame["roas_low"], frame["roas_high"] = _interval(roas_draws, params.confidence_level)
    frame["cpa_low"], frame["cpa_high"] = _interval(cpa_draws, params.confidence_level)

    target_cpa = np.array([params.target_cpa.get(c, np.nan) for c in channels])
    roas_short = has_spend & (frame["roas_high"].to_numpy() < params.target_roas)
    cpa_over = has_spend & np.isfinite(target_cpa) & (frame["cpa_low"].to_numpy() > target_cpa)
    frame["is_underperforming"] = roas_short | cpa_over
    with np.errstate(invalid="ignore"):
        below = np.mean(roas_draws < params.target_roas, axis=0) if len(roas_draws) else np.zeros(len(channels))
        above = np.mean(cpa_draws > target_cpa, axis=0) if len(cpa_draws) else np.zeros(len(channels))
    evidence = pd.DataFrame(
        {
            "channel_id": channels,
            "roas_short": roas_short,
            "cpa_over": cpa_over,
            "share_below_target_roas": below,
            "share_above_target_cpa": above,
            "target_cpa": target_cpa,
        }
    )
    through = spend_through if spend_through is not None else pd.Series(dtype=object)
    frame["spend_through"] = [through.get(c) if frame["is_paid"].iloc[j] else None for j, c in enumerate(channels)]
    frame["is_spend_stale"] = is_stale
    for column in COLUMNS:
        if frame[column].dtype == object and column not in ("channel_id", "spend_through"):
            frame[column] = frame[column].astype(float)
    return frame[COLUMNS], evidence
