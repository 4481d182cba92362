"""Fit every paid channel's response curve from its history; one row per channel for budget_response_curves.

A channel whose curve cannot be fitted, or whose fit yields any non-finite number, is left out with the reason
(the run holds it at current spend); the others are still fitted. A curve whose half-saturation interval
reaches beyond IDENTIFIED_MULTIPLE x the highest observed spend is marked as not identified: the data show no
saturation, so the allocator does not extrapolate it beyond a declared multiple of the highest observed spend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.budget_optimizer.curves import CurveDraws, CurveFitError, draw_curves, fit_carryover, fit_saturation

BURN_IN_DAYS = 14  # the adstock is seeded on the first day; skip days whose carry-over is still mostly the seed
IDENTIFIED_MULTIPLE = 3.0  # saturation is identified when the half-saturation's upper end is within 3x max spend


@dataclass(frozen=True)
class ChannelFit:
    channel_id: str
    draws: CurveDraws
    row: dict
    max_observed_spend: float
    is_saturation_identified: bool


def fit_channels(
    history: pd.DataFrame,
    current: pd.Series,
    outcome_column: str,
    shape: float | None,
    confidence: float,
    settle_days: int,
    n_draws: int,
    rng: np.random.Generator,
) -> tuple[dict[str, ChannelFit], dict[str, str]]:
    """Curves of the channels that can be fitted, and the reason for each that cannot."""
    fits: dict[str, ChannelFit] = {}
    failures: dict[str, str] = {}
    for channel, days in history.groupby("channel_id", sort=True):
        try:
            fits[channel] = _fit_one(
                channel, days, current, outcome_column, shape, confidence, settle_days, n_draws, rng
            )
        except CurveFitError as exc:
            failures[channel] = str(exc)
    return fits, failures


def _fit_one(channel, days, current, outcome_column, shape, confidence, settle_days, n_draws, rng) -> ChannelFit:
    tail = (1 - confidence) / 2
    settled = days.iloc[: len(days) - settle_days] if settle_days else days
    if len(settled) <= BURN_IN_DAYS + 2:
        raise CurveFitError(f"{len(days)} days of history: too few for the carry-over fit (burn-in {BURN_IN_DAYS})")
    saturation = fit_saturation(days.spend.to_numpy(), days.clicks.to_numpy(), shape)
    carryover = fit_carryover(settled.clicks.to_numpy(), settled[outcome_column].to_numpy(), confidence, BURN_IN_DAYS)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        draws = draw_curves(saturation, carryover, n_draws, rng)
        spend_now = float(current.get(channel, 0.0))
        marginal = draws.marginal(spend_now)[:, 0]
    for name, values in {"outcome": draws.max_outcome, "marginal return": marginal}.items():
        if not np.all(np.isfinite(values)):
            raise CurveFitError(f"the fitted curve gives non-finite {name} values (numerically unstable fit)")
    max_spend = float(days.spend.max())

    def interval(values: np.ndarray, name: str) -> dict:
        low, high = np.quantile(values, [tail, 1 - tail])
        return {name: float(values[0]), f"{name}_low": float(low), f"{name}_high": float(high)}

    mean_spend = days.spend.mean()
    half = interval(draws.half_saturation, "half_saturation_spend")
    identified = bool(half["half_saturation_spend_high"] <= IDENTIFIED_MULTIPLE * max_spend)
    row = {
        "channel_id": channel,
        "history_start": days.date_day.min().date(),
        "history_end": days.date_day.max().date(),
        "n_days": len(days),
        "spend_variation": float(days.spend.std() / mean_spend) if mean_spend > 0 else 0.0,
        **interval(draws.max_clicks, "max_clicks"),
        **half,
        **interval(draws.shape, "hill_shape"),
        "is_shape_fixed": shape is not None,
        **interval(draws.value_per_click, "value_per_click"),
        "carryover": carryover.decay,
        "carryover_low": carryover.decay_low,
        "carryover_high": carryover.decay_high,
        **interval(draws.max_outcome, "max_outcome_per_day"),
        "clicks_pseudo_r2": saturation.pseudo_r2,
        "clicks_dispersion": saturation.dispersion,
        "outcome_r2": carryover.r2,
        "current_daily_spend": spend_now,
        **interval(marginal, "marginal_outcome_per_spend"),
        "max_observed_daily_spend": max_spend,
        "is_saturation_identified": identified,
    }
    bad = [k for k, v in row.items() if isinstance(v, float) and not np.isfinite(v)]
    if bad:
        raise CurveFitError(f"the fit gives non-finite {', '.join(bad)} (numerically unstable fit)")
    return ChannelFit(channel, draws, row, max_spend, identified)
