"""Journeys from the path mart: one row per journey and one row per touch, within the run window.

The mart gives each journey's channels (channel_path) and each touch's hours before the journey's
end (touch_hours_before_end), both joined by ' > '. Exploding them once here lets every model work on
plain columns; identical paths are aggregated by the models that can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

SEPARATOR = " > "


@dataclass(frozen=True)
class Journeys:
    """journeys: one row per journey (index = journey number 0..n-1), with `path` after the lookback.
    touches: one row per kept touch (journey, position, touch_count, channel_id, hours_before_end).
    history: every touch the mart gives (journey, channel_id, hours_before_end), before the lookback and the
    passive channels: the sessions at risk of converting, for the counterfactual model."""

    journeys: pd.DataFrame
    touches: pd.DataFrame
    history: pd.DataFrame | None = None


def _split(column: pd.Series) -> pd.Series:
    return column.fillna("").str.split(SEPARATOR, regex=False)


def build_journeys(
    paths: pd.DataFrame,
    window_start: date,
    window_end: date,
    lookback_days: int,
    passive_channels: tuple[str, ...] = (),
) -> Journeys:
    """Converting journeys that converted in the window and non-converting ones last touched in it.

    A touch more than `lookback_days` before the journey's end is dropped, except the last touch,
    so every journey keeps at least one channel. Touches of `passive_channels` are dropped from
    journeys that have any other channel.
    """
    start = pd.Timestamp(window_start)
    end = pd.Timestamp(window_end + timedelta(days=1))
    converted = paths["is_converted"].astype(bool)
    moment = pd.to_datetime(paths["converted_at"].where(converted, paths["last_touched_at"]))
    kept = paths[(moment >= start) & (moment < end)].reset_index(drop=True)

    channels = _split(kept["channel_path"])
    if "touch_hours_before_end" in kept.columns:
        hours = _split(kept["touch_hours_before_end"])
    else:  # an older mart without touch times: time decay falls back to touch positions
        hours = channels.map(lambda c: [str(len(c) - 1 - i) for i in range(len(c))])
    lengths = channels.map(len).to_numpy(dtype=np.int64)
    if not np.array_equal(lengths, hours.map(len).to_numpy(dtype=np.int64)):
        raise ValueError("fct_conversion_paths: touch_hours_before_end is not aligned with channel_path")

    journey = np.repeat(np.arange(len(kept)), lengths)
    touches = pd.DataFrame(
        {
            "journey": journey,
            "channel_id": np.concatenate(channels.to_numpy()) if len(kept) else np.array([], dtype=object),
            "hours_before_end": (
                np.concatenate(hours.to_numpy()).astype(float) if len(kept) else np.array([], dtype=float)
            ),
        }
    )
    history = touches[["journey", "channel_id", "hours_before_end"]].copy()
    touches["position"] = touches.groupby("journey").cumcount()
    is_last = touches["position"] == np.repeat(lengths - 1, lengths)
    touches = touches[(touches["hours_before_end"] <= lookback_days * 24.0) | is_last].copy()
    passive = touches["channel_id"].isin(passive_channels)
    has_active = (~passive).groupby(touches["journey"]).transform("any")
    touches = touches[~passive | ~has_active].copy()
    touches["position"] = touches.groupby("journey").cumcount()
    touches["touch_count"] = touches.groupby("journey")["position"].transform("size")
    touches = touches.reset_index(drop=True)

    journeys = pd.DataFrame(
        {
            "journey_id": kept["journey_id"].astype(str),
            "conversion_id": kept["conversion_id"],
            "is_converted": kept["is_converted"].astype(bool),
            "converted_at": pd.to_datetime(kept["converted_at"]),
            "conversion_value": pd.to_numeric(kept["conversion_value_in_reporting_currency"]).fillna(0.0).astype(float),
        }
    )
    # rebuild the path string only where the lookback or passive channels dropped touches
    kept_counts = np.bincount(touches["journey"].to_numpy(), minlength=len(kept))
    changed = np.flatnonzero(kept_counts != lengths)
    paths = kept["channel_path"].astype(str).to_numpy(copy=True)
    if len(changed):  # touches are sorted by journey: split the channel column at journey boundaries
        bounds = np.concatenate([[0], np.cumsum(kept_counts)])
        channel = touches["channel_id"].to_numpy()
        paths[changed] = [SEPARATOR.join(channel[bounds[i] : bounds[i + 1]]) for i in changed]
    journeys["path"] = paths
    return Journeys(journeys=journeys, touches=touches, history=history)
