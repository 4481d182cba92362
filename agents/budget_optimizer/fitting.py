"""Fit every paid channel's response curve from its history; one row per channel for budget_response_curves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.budget_optimizer.curves import CurveDraws, CurveFitError, draw_curves, fit_carryover, fit_saturation

BURN_IN_DAYS = 14  # the adstock is seeded on the first day; skip days whose carry-over is still mostly the seed


@dataclass(frozen=True)
class ChannelFit:
    channel_id: str
    draws: CurveDraws
    row: dict


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
    tail = (1 - confidence) / 2
    for channel, days in history.groupby("channel_id", sort=True):
        settled = days.iloc[: len(days) - settle_days] if settle_days else days
        try:
            saturation = fit_saturation(days.spend.to_numpy(), days.clicks.to_numpy(), shape)
            carryover = fit_carryover(
                settled.clicks.to_numpy(), settled[outcome_column].to_numpy(), confidence, BURN_IN_DAYS
            )
        except CurveFitError as exc:
            failures[channel] = str(exc)
            continue
        draws = draw_curves(saturation, carryover, n_draws, rng)
        spend_now = float(current.get(channel, 0.0))

        def interval(values: np.ndarray, name: str) -> dict:
            low, high = np.quantile(values, [tail, 1 - tail])
            return {name: float(values[0]), f"{name}_low": float(low), f"{name}_high": float(high)}

        mean_spend = days.spend.mean()
        row = {
            "channel_id": channel,
            "history_start": days.date_day.min().date(),
            "history_end": days.date_day.max().date(),
            "n_days": len(days),
            "spend_variation": float(days.spend.std() / mean_spend) if mean_spend > 0 else 0.0,
            **interval(draws.max_clicks, "max_clicks"),
            **interval(draws.half_saturation, "half_saturation_spend"),
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
            **interval(draws.marginal(spend_now)[:, 0], "marginal_outcome_per_spend"),
        }
        fits[channel] = ChannelFit(channel, draws, row)
    return fits, failures
