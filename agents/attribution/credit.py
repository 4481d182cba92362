"""attribution_credit frames: v2 (fractional credit per conversion and channel) and its v1 shadow."""

from __future__ import annotations

import pandas as pd

V2_COLUMNS = ["conversion_id", "converted_at", "channel_id", "credit", "conversion_value", "credited_value"]
V1_COLUMNS = ["conversion_id", "converted_at", "channel_id", "conversion_value"]


def empty_v2() -> pd.DataFrame:
    """A typed v2 frame with no rows (no conversions in the window)."""
    return pd.DataFrame(
        {
            "conversion_id": pd.Series(dtype=object),
            "converted_at": pd.Series(dtype="datetime64[ns]"),
            "channel_id": pd.Series(dtype=object),
            "credit": pd.Series(dtype=float),
            "conversion_value": pd.Series(dtype=float),
            "credited_value": pd.Series(dtype=float),
        }
    )


def credit_v2(credit: pd.DataFrame, journeys: pd.DataFrame) -> pd.DataFrame:
    """One row per conversion and credited channel; credit renormalised so it sums to 1 exactly."""
    if credit.empty:
        return empty_v2()
    frame = credit.join(journeys[["conversion_id", "converted_at", "conversion_value"]], on="journey")
    frame["credit"] = frame["credit"] / frame.groupby("journey")["credit"].transform("sum")
    frame["credited_value"] = frame["credit"] * frame["conversion_value"]
    frame = frame.sort_values(["converted_at", "conversion_id", "channel_id"]).reset_index(drop=True)
    out = frame[V2_COLUMNS].copy()
    out["conversion_id"] = out["conversion_id"].astype(str)
    out["channel_id"] = out["channel_id"].astype(str)
    out["converted_at"] = pd.to_datetime(out["converted_at"])
    for column in ("credit", "conversion_value", "credited_value"):
        out[column] = out[column].astype(float)
    return out


def to_v1(frame: pd.DataFrame) -> pd.DataFrame:
    """v2 -> v1: each conversion's channel with the largest credit.

    Ties (e.g. linear credit over two channels) go to the alphabetically first channel_id: v2 rows
    carry no touch order, and a rule that needs only the frame is the same wherever it runs.
    """
    ranked = frame.sort_values(["conversion_id", "credit", "channel_id"], ascending=[True, False, True])
    top = ranked.drop_duplicates("conversion_id", keep="first")
    return top.sort_values(["converted_at", "conversion_id"])[V1_COLUMNS].reset_index(drop=True)
