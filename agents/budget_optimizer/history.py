"""Daily history per paid channel: spend and clicks (ad platforms) and the outcome they led to (GA4).

The outcome credited to a channel is last non-direct click: each GA4 purchase goes to the user's latest
non-direct session at or before it, within `lookback_days`; purchases with none stay with direct. In the
demo, a purchase caused by an ad click happens either in that session or on a later direct return visit,
so last non-direct click finds the causing click whenever no other channel's session came in between.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from mops.core.errors import MopsError

AD_TABLE = "fct_ad_performance_daily"


class StaleSpendData(MopsError):
    """Spend data is older than the declared freshness: the agent refuses to recommend on it."""


def check_spend_freshness(ads: pd.DataFrame, window_end: date, max_age_days: float) -> None:
    """Every channel's newest spend day must be at most `max_age_days` before the window end."""
    if ads.empty:
        raise StaleSpendData(f"{AD_TABLE}: no rows (column date_day) up to {window_end}: nothing to optimise")
    newest = pd.to_datetime(ads["date_day"]).groupby(ads["channel_id"]).max()
    limit = pd.Timestamp(window_end) - pd.Timedelta(days=max_age_days)
    stale = newest[newest < limit]
    if not stale.empty:
        detail = ", ".join(f"{channel} last {day:%Y-%m-%d}" for channel, day in stale.items())
        raise StaleSpendData(
            f"{AD_TABLE}.date_day is stale beyond {max_age_days:g} days before the window end {window_end}: {detail}"
        )


def daily_spend(ads: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Spend (reporting currency) and clicks per channel and day, every day of [start, end] (0 when none)."""
    days = pd.date_range(start, end, freq="D")
    frame = ads.assign(date_day=pd.to_datetime(ads["date_day"]))
    frame = frame[(frame.date_day >= days[0]) & (frame.date_day <= days[-1])]
    grouped = frame.groupby(["channel_id", "date_day"]).agg(
        spend=("spend_in_reporting_currency", "sum"), clicks=("clicks", "sum")
    )
    channels = sorted(frame.channel_id.unique())
    index = pd.MultiIndex.from_product([channels, days], names=["channel_id", "date_day"])
    out = grouped.reindex(index, fill_value=0).reset_index()
    out["spend"] = out["spend"].astype(float)
    out["clicks"] = out["clicks"].astype(float)
    return out


def last_non_direct_outcome(
    touchpoints: pd.DataFrame, conversions: pd.DataFrame, lookback_days: int, start: date, end: date
) -> pd.DataFrame:
    """Conversions and revenue credited per channel and conversion day (last non-direct click)."""
    touches = touchpoints.loc[touchpoints["channel_id"] != "direct", ["user_pseudo_id", "touched_at", "channel_id"]]
    touches = touches.assign(touched_at=pd.to_datetime(touches["touched_at"])).sort_values("touched_at")
    purchases = conversions[["user_pseudo_id", "converted_at", "conversion_date", "revenue_in_reporting_currency"]]
    purchases = purchases.assign(converted_at=pd.to_datetime(purchases["converted_at"])).sort_values("converted_at")
    credited = pd.merge_asof(
        purchases,
        touches,
        left_on="converted_at",
        right_on="touched_at",
        by="user_pseudo_id",
        direction="backward",
        tolerance=pd.Timedelta(days=lookback_days),
    )
    credited["channel_id"] = credited["channel_id"].fillna("direct")
    credited["date_day"] = pd.to_datetime(credited["conversion_date"])
    credited = credited[(credited.date_day >= pd.Timestamp(start)) & (credited.date_day <= pd.Timestamp(end))]
    return (
        credited.groupby(["channel_id", "date_day"])
        .agg(conversions=("converted_at", "size"), revenue=("revenue_in_reporting_currency", "sum"))
        .reset_index()
        .astype({"conversions": float, "revenue": float})
    )


def channel_history(
    ads: pd.DataFrame,
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    end: date,
    history_days: int,
    lookback_days: int,
) -> pd.DataFrame:
    """One row per paid channel and day: spend, clicks, credited conversions and revenue."""
    start = end - timedelta(days=history_days - 1)
    spend = daily_spend(ads, start, end)
    outcome = last_non_direct_outcome(touchpoints, conversions, lookback_days, start, end)
    out = spend.merge(outcome, on=["channel_id", "date_day"], how="left")
    out[["conversions", "revenue"]] = out[["conversions", "revenue"]].fillna(0.0)
    return out.sort_values(["channel_id", "date_day"]).reset_index(drop=True)


def current_daily_spend(history: pd.DataFrame, days: int) -> pd.Series:
    """Mean daily spend per channel over the last `days` days of the history (a week smooths weekdays)."""
    last = history.date_day.max() - pd.Timedelta(days=days - 1)
    recent = history[history.date_day >= last]
    return recent.groupby("channel_id").spend.mean().astype(float).fillna(0.0).rename("current")


def spend_variation(history: pd.DataFrame) -> pd.Series:
    """Coefficient of variation of daily spend per channel (identifiability of the saturation curve)."""
    grouped = history.groupby("channel_id").spend
    return (grouped.std() / grouped.mean().replace(0, np.nan)).fillna(0.0)
