"""Daily history per paid channel: spend and clicks (ad platforms) and the outcome they led to.

The outcome (parameter outcome_source) is GA4 last non-direct click (the default), the platforms' own reported
conversions and conversion value, or the attribution agent's credit (its level applied to the last non-direct
daily series). GA4 last non-direct click: each GA4 purchase goes to the user's latest
non-direct session at or before it (matched in dbt: fct_conversions.last_non_direct_*), when that session is
within `lookback_days` of it; purchases with none stay with direct. In the
demo, a purchase caused by an ad click happens either in that session or on a later direct return visit,
so last non-direct click finds the causing click whenever no other channel's session came in between.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from mops.core.errors import MopsError

AD_TABLE = "fct_ad_performance_daily"


PLATFORM_COLUMNS = {"platform_conversions": "conversions", "platform_value": "conversion_value_in_reporting_currency"}
OUTCOME_SOURCES = ("ga4_last_non_direct", "platform", "attribution")


class OutcomeUnavailable(MopsError):
    """The chosen outcome source has no data for this run."""


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
    """Spend (reporting currency), clicks and platform-reported conversions per channel and day.

    Each channel's days run from its first day with data (within [start, end]) to `end`, 0 on days without
    rows: a channel that began last month is not padded with months of zero spend before it existed.
    """
    frame = ads.assign(date_day=pd.to_datetime(ads["date_day"]))
    frame = frame[(frame.date_day >= pd.Timestamp(start)) & (frame.date_day <= pd.Timestamp(end))]
    aggregations = {"spend": ("spend_in_reporting_currency", "sum"), "clicks": ("clicks", "sum")}
    for name, column in PLATFORM_COLUMNS.items():
        if column in frame.columns:
            aggregations[name] = (column, "sum")
    grouped = frame.groupby(["channel_id", "date_day"]).agg(**aggregations)
    pieces = []
    for channel, rows in grouped.groupby(level="channel_id", sort=True):
        days = pd.date_range(rows.index.get_level_values("date_day").min(), pd.Timestamp(end), freq="D")
        index = pd.MultiIndex.from_product([[channel], days], names=["channel_id", "date_day"])
        pieces.append(rows.reindex(index, fill_value=0))
    columns = ["channel_id", "date_day", *aggregations]
    out = pd.concat(pieces).reset_index() if pieces else pd.DataFrame(columns=columns)
    for name in aggregations:
        out[name] = pd.to_numeric(out[name], errors="coerce").fillna(0.0).astype(float)
    return out


LAST_TOUCH_COLUMNS = ("last_non_direct_channel_id", "last_non_direct_touched_at")  # of fct_conversions v1


def last_non_direct_outcome(conversions: pd.DataFrame, lookback_days: int, start: date, end: date) -> pd.DataFrame:
    """Conversions and revenue credited per channel and conversion day (last non-direct click).

    fct_conversions carries each purchase's latest non-direct touch at or before it, of any age; a touch
    more than `lookback_days` before the purchase gives no credit (the purchase stays with direct).
    """
    touched = pd.to_datetime(conversions["last_non_direct_touched_at"])
    age = pd.to_datetime(conversions["converted_at"]) - touched
    within = touched.notna() & (age <= pd.Timedelta(days=lookback_days))
    credited = pd.DataFrame(
        {
            "channel_id": conversions["last_non_direct_channel_id"].where(within).fillna("direct").astype(str),
            "date_day": pd.to_datetime(conversions["conversion_date"]),
            "revenue": pd.to_numeric(conversions["revenue_in_reporting_currency"]).astype(float),
        }
    )
    credited = credited[(credited.date_day >= pd.Timestamp(start)) & (credited.date_day <= pd.Timestamp(end))]
    return (
        credited.groupby(["channel_id", "date_day"])
        .agg(conversions=("revenue", "size"), revenue=("revenue", "sum"))
        .reset_index()
        .astype({"conversions": float, "revenue": float})
    )


def channel_history(
    ads: pd.DataFrame,
    conversions: pd.DataFrame,
    end: date,
    history_days: int,
    lookback_days: int,
    source: str = "ga4_last_non_direct",
    credit: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per paid channel and day: spend, clicks, and the outcome (conversions, revenue) of `source`."""
    start = end - timedelta(days=history_days - 1)
    spend = daily_spend(ads, start, end)
    if source == "platform":
        missing = [c for c in PLATFORM_COLUMNS if c not in spend.columns]
        if missing:
            raise OutcomeUnavailable(
                f"outcome_source 'platform' needs {AD_TABLE} columns {[PLATFORM_COLUMNS[c] for c in missing]}"
            )
        out = spend.assign(conversions=spend.platform_conversions, revenue=spend.platform_value)
    else:
        outcome = last_non_direct_outcome(conversions, lookback_days, start, end)
        out = spend.merge(outcome, on=["channel_id", "date_day"], how="left")
        out[["conversions", "revenue"]] = out[["conversions", "revenue"]].fillna(0.0)
        if source == "attribution":
            out = scale_to_attribution(out, credit)
    out = out.drop(columns=[c for c in PLATFORM_COLUMNS if c in out.columns])
    return out.sort_values(["channel_id", "date_day"]).reset_index(drop=True)


def scale_to_attribution(history: pd.DataFrame, credit: pd.DataFrame | None) -> pd.DataFrame:
    """Rescale each channel's daily last-non-direct outcome to the attribution agent's credit.

    attribution_credit covers only the run window, too short to learn carry-over from, so the daily series
    keeps its last-non-direct shape (timing, carry-over) and its level becomes the attribution model's:
    outcome x (credited / last non-direct) per channel, both summed over the days the credit covers.
    """
    if credit is None or credit.empty:
        raise OutcomeUnavailable(
            "outcome_source 'attribution' needs attribution_credit rows for this run context: run the attribution"
            " agent first (same window, attribution model and currency)"
        )
    days = pd.to_datetime(credit["converted_at"]).dt.normalize()
    covered = (history.date_day >= days.min()) & (history.date_day <= days.max())
    lnd = history[covered].groupby("channel_id")[["conversions", "revenue"]].sum()
    credited = credit.assign(conversions=credit["credit"], revenue=credit["credited_value"])
    credited = credited.groupby("channel_id")[["conversions", "revenue"]].sum().reindex(lnd.index, fill_value=0.0)
    factor = (credited / lnd.where(lnd > 0)).fillna(0.0)
    out = history.copy()
    for column in ("conversions", "revenue"):
        out[column] = out[column] * out.channel_id.map(factor[column]).fillna(0.0)
    return out


def current_daily_spend(history: pd.DataFrame, days: int) -> pd.Series:
    """Mean daily spend per channel over the last `days` days of the history (a week smooths weekdays)."""
    last = history.date_day.max() - pd.Timedelta(days=days - 1)
    recent = history[history.date_day >= last]
    return recent.groupby("channel_id").spend.mean().astype(float).fillna(0.0).rename("current")


def spend_variation(history: pd.DataFrame) -> pd.Series:
    """Coefficient of variation of daily spend per channel (identifiability of the saturation curve)."""
    grouped = history.groupby("channel_id").spend
    return (grouped.std() / grouped.mean().replace(0, np.nan)).fillna(0.0)
