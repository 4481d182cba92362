"""Anomaly detectors: a robust baseline (median and MAD) over a training window, optionally by weekday.

Why median and MAD rather than mean and standard deviation: one earlier spike in the training window
would inflate a standard deviation and hide the next one; the median and the MAD ignore up to half the
window being odd. The MAD is scaled by 1.4826 so the score reads like a z-score on normal noise.
A point is an anomaly only when its score passes `sensitivity` AND its absolute change passes
`min_abs_change` (a 3-row table going to 6 rows is not news) AND its ratio passes `min_ratio_change`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
from pydantic import Field

from mops.core.base import StrictModel

MAD_TO_SIGMA = 1.482602218505602  # 1 / Phi^-1(3/4): MAD of normal noise times this = its standard deviation


class DetectorConfig(StrictModel):
    """How one detector judges a point against its history."""

    # how many earlier points (runs, or days for daily series) the baseline is computed from
    training_window: int = Field(default=14, ge=3, le=400)
    # fewer earlier points than this: no judgement (a new agent or metric is not an anomaly)
    min_history: int = Field(default=7, ge=3)
    # robust z-score a point must pass to be an anomaly (higher = fewer alerts)
    sensitivity: float = Field(default=4.0, gt=0)
    # smallest absolute change from the baseline that counts (same unit as the series)
    min_abs_change: float = Field(default=0.0, ge=0)
    # smallest relative change from the baseline that counts (0.3 = 30%)
    min_ratio_change: float = Field(default=0.25, ge=0)
    # "day_of_week": compare with the same weekday's level (daily series only)
    seasonality: Literal["none", "day_of_week"] = "none"
    # which directions are anomalies
    directions: tuple[Literal["spike", "drop"], ...] = ("spike", "drop")
    # noise floor of the scale, as a share of the baseline, so a perfectly flat history still has a scale
    min_relative_scale: float = Field(default=0.02, ge=0)


@dataclass(frozen=True)
class Verdict:
    """A judged point: its baseline, how far it is from it, and whether that is an anomaly."""

    value: float
    baseline: float
    scale: float
    score: float
    ratio: float | None  # value / baseline (None when the baseline is 0)
    direction: Literal["spike", "drop"] | None  # None: not an anomaly
    history: int

    @property
    def is_anomaly(self) -> bool:
        return self.direction is not None


def robust_scale(values: np.ndarray) -> float:
    """The MAD scaled to a standard deviation (scipy's median_abs_deviation(scale='normal'))."""
    return float(MAD_TO_SIGMA * np.median(np.abs(values - np.median(values))))


def _weekday_factors(values: np.ndarray, weekdays: np.ndarray) -> dict[int, float]:
    """Each weekday's median relative to the overall median (multiplicative weekly pattern)."""
    overall = float(np.median(values))
    if overall == 0:
        return {}
    return {int(d): float(np.median(values[weekdays == d])) / overall for d in np.unique(weekdays)}


def judge(
    history: Sequence[float],
    value: float,
    config: DetectorConfig,
    history_days: Sequence[date] | None = None,
    day: date | None = None,
) -> Verdict | None:
    """Judge `value` against the last `training_window` points of `history` (oldest first); None: too little."""
    values = np.asarray(list(history)[-config.training_window :], dtype=float)
    seasonal = config.seasonality == "day_of_week"
    if seasonal and (history_days is None or day is None):
        raise ValueError("day_of_week seasonality needs the day of every point")
    weekdays = np.array([d.weekday() for d in list(history_days)[-config.training_window :]]) if seasonal else None
    keep = ~np.isnan(values)
    values = values[keep]
    if len(values) < config.min_history:
        return None
    factor, residuals = 1.0, values
    if seasonal:
        weekdays = weekdays[keep]
        factors = _weekday_factors(values, weekdays)
        if day.weekday() not in factors or any(f <= 0 for f in factors.values()):
            return None  # no history of this weekday (or a weekday with nothing): no seasonal baseline
        residuals = values / np.array([factors[int(d)] for d in weekdays])
        factor = factors[day.weekday()]
    level = float(np.median(residuals))
    baseline = level * factor
    scale = max(robust_scale(residuals) * factor, config.min_relative_scale * abs(baseline), 1e-9)
    score = (value - baseline) / scale
    ratio = value / baseline if baseline else None
    change = abs(value - baseline)
    relative = change / abs(baseline) if baseline else float("inf")
    direction = None
    if abs(score) >= config.sensitivity and change >= config.min_abs_change and relative >= config.min_ratio_change:
        direction = "spike" if score > 0 else "drop"
        if direction not in config.directions:
            direction = None
    return Verdict(value, baseline, scale, float(score), ratio, direction, len(values))


def scan(values: Sequence[float], config: DetectorConfig, days: Sequence[date] | None = None) -> list[Verdict | None]:
    """Judge every point against the points before it (how the detectors are evaluated on synthetic series)."""
    values = list(values)
    out: list[Verdict | None] = []
    for i, value in enumerate(values):
        if days is None:
            out.append(judge(values[:i], value, config))
        else:
            out.append(judge(values[:i], value, config, list(days)[:i], days[i]))
    return out
