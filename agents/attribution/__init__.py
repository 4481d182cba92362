"""Attribution agent: credit for every conversion by channel, under the run's attribution model.

Models (context.attribution_model): first_touch, last_touch, linear, time_decay, position_based,
markov (removal effect, order configurable), shapley. Writes attribution_credit v2 (v1 is derived
from it by `to_v1`) and attribution_channel_summary v1 (bootstrap intervals, spend, ROAS, CPA and
underperformance flags, each flag also a Decision).
"""

from __future__ import annotations

from agents.attribution.credit import to_v1
from agents.attribution.parameters import AttributionParameters
from agents.attribution.run import run
from mops.core.runtime.agent import Agent, AgentManifest, FailurePolicy, Read, Write

MANIFEST = AgentManifest(
    name="attribution",
    owner="marketing-analytics",
    description=(
        "Credits every conversion in the run window to the channels on its path under the run's "
        "attribution model, and summarises credit, spend, ROAS and CPA per channel with bootstrap "
        "intervals, flagging channels whose interval misses target."
    ),
    reads=(
        Read(
            name="fct_conversion_paths",
            version=1,
            columns=(
                "journey_id",
                "conversion_id",
                "is_converted",
                "converted_at",
                "conversion_value_in_reporting_currency",
                "last_touched_at",
                "channel_path",
                "touch_hours_before_end",
            ),
            key=("journey_id",),
            # a purchase's session (the last touch) starts minutes before it: one day of lookback
            # keeps purchases just after midnight; the function filters on converted_at
            window_column="last_touched_at",
            lookback_days=1,
        ),
        Read(
            name="fct_ad_performance_daily",
            version=1,
            columns=("date_day", "channel_id", "spend_in_reporting_currency"),
            window_column="date_day",
            min_rows=0,
        ),
        Read(name="dim_channels", version=1, columns=("channel_id", "is_paid"), key=("channel_id",)),
    ),
    writes=(
        Write(table="attribution_credit", version=2),
        Write(table="attribution_channel_summary", version=1),
    ),
    decisions=("flag_underperforming", "stale_spend"),
    failure_policy=FailurePolicy(on_failure="halt"),  # downstream agents need this run's credit
)

AGENT = Agent(
    manifest=MANIFEST,
    function=run,
    parameters=AttributionParameters,
    downgrades={("attribution_credit", 1): to_v1},
    preload=("scipy.optimize", "scipy.sparse"),
)

__all__ = ["AGENT", "MANIFEST", "AttributionParameters", "run", "to_v1"]
