"""Segmentation agent: every customer in one declared RFM segment, with a 0-1 score and a channel affinity.

Reads dim_customers (without PII: the manifest does not ask for it), fct_conversions (the purchases,
cut at the window's end) and, when the attribution agent has run, its fractional credit. Writes
customer_segments (one row per customer, pseudonymous customer_id only) and segment_summary (one row
per segment of the declared set). Deterministic: no randomness.
"""

from __future__ import annotations

from agents.segmentation.parameters import SegmentationParameters
from agents.segmentation.rules import SEGMENTS
from agents.segmentation.run import run, segment_customers
from mops.core.runtime.agent import Agent, AgentManifest, Read, Write

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
