"""Rule-based models: each touch of a converting journey gets a weight; weights sum to 1 per journey."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.attribution.parameters import AttributionParameters


def touch_weights(touches: pd.DataFrame, model: str, params: AttributionParameters) -> np.ndarray:
    """Weight of every touch under a rule-based model (touches: position, touch_count, hours_before_end)."""
    position = touches["position"].to_numpy()
    count = touches["touch_count"].to_numpy()
    if model == "first_touch":
        return (position == 0).astype(float)
    if model == "last_touch":
        return (position == count - 1).astype(float)
    if model == "linear":
        return 1.0 / count
    if model == "time_decay":
        half_life_hours = params.time_decay_half_life_days * 24.0
        raw = np.power(0.5, touches["hours_before_end"].to_numpy() / half_life_hours)
        totals = pd.Series(raw).groupby(touches["journey"].to_numpy()).transform("sum").to_numpy()
        return raw / totals
    if model == "position_based":
        return _position_based(position, count, params.position_first_weight, params.position_last_weight)
    raise ValueError(f"not a rule-based model: {model}")


def _position_based(position: np.ndarray, count: np.ndarray, first: float, last: float) -> np.ndarray:
    """first/last shares to the end touches, the rest evenly over the middle ones.

    One touch takes everything; two touches split first:last in proportion (50/50 at 40/40), since
    there is no middle to give the remainder to.
    """
    middle = (1.0 - first - last) / np.maximum(count - 2, 1)
    weights = np.where(position == 0, first, np.where(position == count - 1, last, middle))
    pair_total = first + last
    two = count == 2
    pair_first = first / pair_total if pair_total > 0 else 0.5
    weights = np.where(two & (position == 0), pair_first, weights)
    weights = np.where(two & (position == 1), 1.0 - pair_first, weights)
    return np.where(count == 1, 1.0, weights)


def journey_channel_credit(touches: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Sum touch weights to one row per journey and channel (journey, channel_id, credit)."""
    frame = pd.DataFrame({"journey": touches["journey"].to_numpy(), "channel_id": touches["channel_id"].to_numpy()})
    frame["credit"] = weights
    return frame.groupby(["journey", "channel_id"], as_index=False, sort=True)["credit"].sum()
