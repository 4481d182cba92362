"""Independent pandas reference for the last non-direct touch (the budget optimizer's pre-dbt path).

`last_non_direct_touches` matches each conversion to the user's latest non-direct touch at or before it,
of any age, ties (same user, same time) to the greatest touchpoint_id, with pandas' merge_asof, as the
agent did before fct_conversions carried the match. `merge_asof_outcome` is that old agent path whole:
the merge with the lookback as merge_asof's tolerance, then conversions and revenue per channel and day.
"""

from __future__ import annotations

from datetime import date

import pandas as pd


def _non_direct(touchpoints: pd.DataFrame) -> pd.DataFrame:
    touches = touchpoints.loc[touchpoints["channel_id"] != "direct"]
    touches = touches.assign(touched_at=pd.to_datetime(touches["touched_at"]).astype("datetime64[us]"))
    # merge_asof takes the last of equal keys in the right frame's order: the greatest touchpoint_id
    order = ["touched_at", "touchpoint_id"] if "touchpoint_id" in touches else ["touched_at"]
    return touches.sort_values(order, kind="stable")


def _purchases(conversions: pd.DataFrame) -> pd.DataFrame:
    converted = pd.to_datetime(conversions["converted_at"]).astype("datetime64[us]")
    return conversions.assign(converted_at=converted).sort_values("converted_at", kind="stable")


def last_non_direct_touches(touchpoints: pd.DataFrame, conversions: pd.DataFrame) -> pd.DataFrame:
    """conversion_id -> last_non_direct_touchpoint_id, _channel_id, _touched_at (null when none)."""
    touches = _non_direct(touchpoints)[["user_pseudo_id", "touched_at", "touchpoint_id", "channel_id"]]
    matched = pd.merge_asof(
        _purchases(conversions)[["conversion_id", "user_pseudo_id", "converted_at"]],
        touches.rename(
            columns={
                "touched_at": "last_non_direct_touched_at",
                "touchpoint_id": "last_non_direct_touchpoint_id",
                "channel_id": "last_non_direct_channel_id",
            }
        ),
        left_on="converted_at",
        right_on="last_non_direct_touched_at",
        by="user_pseudo_id",
        direction="backward",
    )
    columns = ["last_non_direct_touchpoint_id", "last_non_direct_channel_id", "last_non_direct_touched_at"]
    return matched.set_index("conversion_id")[columns].sort_index()


def merge_asof_outcome(
    touchpoints: pd.DataFrame, conversions: pd.DataFrame, lookback_days: int, start: date, end: date
) -> pd.DataFrame:
    """The old agent path: conversions and revenue per channel and conversion day, lookback as tolerance."""
    touches = _non_direct(touchpoints)[["user_pseudo_id", "touched_at", "channel_id"]]
    columns = ["user_pseudo_id", "converted_at", "conversion_date", "revenue_in_reporting_currency"]
    purchases = _purchases(conversions)[columns]
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
