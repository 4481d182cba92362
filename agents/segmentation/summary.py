"""Segment sizes: one row per declared segment (empty segments included, so the set is stable)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from agents.segmentation.rules import SEGMENTS


def segment_summary(segments: pd.DataFrame, rules: dict[str, str], reference: date) -> pd.DataFrame:
    grouped = segments.groupby("segment")
    top_channel = (
        segments.dropna(subset=["channel_affinity"])
        .groupby(["segment", "channel_affinity"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["segment", "n", "channel_affinity"], ascending=[True, False, True])
        .drop_duplicates("segment")
        .set_index("segment")
        .channel_affinity
    )
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "orders": grouped.frequency.sum(),
            "revenue": grouped.monetary.sum(),
            "average_recency_days": grouped.recency_days.mean(),
            "average_score": grouped.score.mean(),
        }
    ).reindex(list(SEGMENTS))
    out["customers"] = out.customers.fillna(0).astype("int64")
    out["orders"] = out.orders.fillna(0).astype("int64")
    out["revenue"] = out.revenue.fillna(0.0).astype(float)
    total_customers, total_revenue = out.customers.sum(), out.revenue.sum()
    out["share"] = out.customers / total_customers if total_customers else 0.0
    out["revenue_share"] = out.revenue / total_revenue if total_revenue else 0.0
    out["average_order_value"] = (out.revenue / out.orders).where(out.orders > 0)
    out["average_recency_days"] = out.average_recency_days.astype(float)
    out["average_score"] = out.average_score.astype(float)
    out["top_channel"] = top_channel.reindex(out.index).astype(object)
    out["rule"] = [rules[s] for s in out.index]
    out["segment_order"] = range(1, len(out) + 1)
    out["reference_date"] = reference
    out = out.rename_axis("segment").reset_index()
    return out[
        [
            "reference_date",
            "segment",
            "segment_order",
            "rule",
            "customers",
            "share",
            "orders",
            "revenue",
            "revenue_share",
            "average_order_value",
            "average_recency_days",
            "average_score",
            "top_channel",
        ]
    ]
