"""Segmentation agent: every customer in one declared RFM segment, with a 0-1 score and a channel affinity.

Reads dim_customers (without PII: the manifest does not ask for it), fct_conversions (the purchases,
cut at the window's end) and, when the attribution agent has run, its fractional credit. Writes
customer_segments (one row per customer, pseudonymous customer_id only) and segment_summary (one row
per segment of the declared set). Deterministic: no randomness.
"""

from __future__ import annotations

import pandas as pd

from agents.segmentation.affinity import channel_affinity, is_in
from agents.segmentation.rfm import conversions_as_of, customers_as_of, rfm_table
from agents.segmentation.rules import SEGMENTS, SegmentationParameters, assign_segments, segment_rules
from agents.segmentation.summary import segment_summary
from mops.core.runtime.agent import Agent, AgentManifest, AgentResult, Read, Write
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


AGENT = Agent(
    manifest=AgentManifest(
        name="segmentation",
        owner="crm",
        description="RFM segments of every customer with a 0-1 score and the channel with most attributed credit.",
        reads=(
            Read(
                name="dim_customers",
                version=1,
                columns=("customer_id", "lifecycle_stage", "created_at"),
                key=("customer_id",),
            ),
            Read(
                name="fct_conversions",
                version=1,
                columns=(
                    "conversion_id",
                    "customer_id",
                    "converted_at",
                    "session_channel_id",
                    "revenue_in_reporting_currency",
                ),
                key=("conversion_id",),
                freshness_column="converted_at",
                max_age_days=3,
            ),
            Read(
                name="attribution_credit",
                version=2,
                columns=("conversion_id", "channel_id", "credit"),
                key=("conversion_id", "channel_id"),
                optional=True,
                min_rows=0,
            ),
        ),
        writes=(Write(table="customer_segments", version=1), Write(table="segment_summary", version=1)),
        needs_pii=False,
    ),
    function=run,
    parameters=SegmentationParameters,
)

__all__ = ["AGENT", "SEGMENTS", "SegmentationParameters", "segment_customers"]
