"""The segmentation agent's pure function: RFM segments, scores and channel affinity per customer."""

from __future__ import annotations

import pandas as pd

from agents.segmentation.affinity import channel_affinity, is_in
from agents.segmentation.parameters import SegmentationParameters
from agents.segmentation.rfm import conversions_as_of, customers_as_of, rfm_table
from agents.segmentation.rules import assign_segments, segment_rules
from agents.segmentation.summary import segment_summary
from mops.core.runtime.agent import AgentResult
from mops.core.runtime.context import RunContext

CUSTOMER_COLUMNS = [
    "customer_id",
    "segment",
    "score",
    "recency_days",
    "frequency",
    "monetary",
    "average_order_value",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "first_converted_at",
    "last_converted_at",
    "channel_affinity",
    "channel_affinity_share",
    "channel_affinity_source",
    "lifecycle_stage",
]


def segment_customers(
    customers: pd.DataFrame, conversions: pd.DataFrame, credit: pd.DataFrame, context: RunContext, params
) -> pd.DataFrame:
    reference = context.window_end
    known = customers_as_of(customers, reference, context.timezone)
    bought = conversions_as_of(conversions, reference, context.timezone)
    bought = bought[is_in(bought.customer_id, known.customer_id)]
    table = rfm_table(known, bought, reference)
    table["segment"] = assign_segments(table.recency_days, table.frequency, params)
    table = table.merge(channel_affinity(bought, credit), on="customer_id", how="left")
    table["customer_id"] = table.customer_id.astype(str)
    for column in ("first_converted_at", "last_converted_at"):
        table[column] = pd.to_datetime(table[column])
    for column in ("channel_affinity", "channel_affinity_source", "lifecycle_stage"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    table["channel_affinity_share"] = table.channel_affinity_share.astype(float)
    return table[CUSTOMER_COLUMNS].sort_values("customer_id").reset_index(drop=True)


def run(inputs: dict[str, pd.DataFrame], context: RunContext, params: SegmentationParameters) -> AgentResult:
    credit = inputs.get("attribution_credit")
    if credit is None or credit.empty:
        credit = pd.DataFrame({"conversion_id": [], "channel_id": [], "credit": []})
    segments = segment_customers(inputs["dim_customers"], inputs["fct_conversions"], credit, context, params)
    summary = segment_summary(segments, segment_rules(params), context.window_end)
    metrics = {"customers": float(len(segments)), "buyers": float((segments.frequency > 0).sum())}
    metrics |= {f"share_{row.segment}": float(row.share) for row in summary.itertuples()}
    buyers = segments[segments.frequency > 0]
    if len(buyers):
        metrics["affinity_from_attribution_share"] = float(
            buyers.channel_affinity_source.isin(["attribution", "mixed"]).mean()
        )
    return AgentResult(outputs={"customer_segments": segments, "segment_summary": summary}, metrics=metrics)
