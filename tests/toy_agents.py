"""Small agents for runtime tests: real manifests and pure functions over the demo marts.

They are deliberately simple (single-touch and linear credit) so the runtime, not an algorithm,
is what the tests exercise.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel

from mops.core.runtime.agent import Agent, AgentManifest, AgentResult, Read, Write


class NoParameters(BaseModel):
    pass


def _touches(paths: pd.DataFrame) -> pd.DataFrame:
    converted = paths[paths.is_converted]
    touches = pd.DataFrame(
        {
            "conversion_id": converted.conversion_id.to_numpy(),
            "converted_at": converted.converted_at.to_numpy(),
            "conversion_value": converted.conversion_value_in_reporting_currency.astype(float).to_numpy(),
            "channel_id": converted.channel_path.str.split(" > ").to_numpy(),
        }
    ).explode("channel_id")
    touches["position"] = touches.groupby("conversion_id").cumcount()
    touches["touches"] = touches.groupby("conversion_id").channel_id.transform("size")
    return touches


def last_touch_v1(inputs, context, parameters) -> AgentResult:
    """The v1 era: one row per conversion, credited to the last channel on the path."""
    touches = _touches(inputs["fct_conversion_paths"])
    last = touches[touches.position == touches.touches - 1]
    return AgentResult(
        outputs={"attribution_credit": last[["conversion_id", "converted_at", "channel_id", "conversion_value"]]}
    )


def fractional_v2(inputs, context, parameters) -> AgentResult:
    """The v2 era: fractional rows per conversion and channel (last touch or linear, from the context)."""
    touches = _touches(inputs["fct_conversion_paths"])
    if context.attribution_model == "last_touch":
        touches = touches[touches.position == touches.touches - 1].assign(weight=1.0)
    else:
        touches = touches.assign(weight=1.0 / touches.touches)
    credit = touches.groupby(["conversion_id", "channel_id"], as_index=False).agg(
        converted_at=("converted_at", "first"), conversion_value=("conversion_value", "first"), credit=("weight", "sum")
    )
    credit["credited_value"] = credit.credit * credit.conversion_value
    columns = ["conversion_id", "converted_at", "channel_id", "credit", "conversion_value", "credited_value"]
    return AgentResult(outputs={"attribution_credit": credit[columns]})


def largest_credit(frame: pd.DataFrame) -> pd.DataFrame:
    """v2 -> v1: the channel with the largest credit (ties: alphabetical)."""
    ranked = frame.sort_values(["conversion_id", "credit", "channel_id"], ascending=[True, False, True])
    return ranked.drop_duplicates("conversion_id")[["conversion_id", "converted_at", "channel_id", "conversion_value"]]


PATHS = Read(
    name="fct_conversion_paths",
    window_column="converted_at",
    columns=("conversion_id", "channel_path", "is_converted", "conversion_value_in_reporting_currency"),
)

ATTRIBUTION_V1 = Agent(
    AgentManifest(
        name="attribution",
        owner="marketing analytics",
        description="v1-era attribution: last touch",
        reads=(PATHS,),
        writes=(Write(table="attribution_credit", version=1),),
    ),
    last_touch_v1,
    NoParameters,
)
ATTRIBUTION_V2 = Agent(
    AgentManifest(
        name="attribution",
        owner="marketing analytics",
        description="v2-era attribution: fractional credit",
        reads=(PATHS,),
        writes=(Write(table="attribution_credit", version=2),),
        decisions=("flag_underperforming",),
    ),
    fractional_v2,
    NoParameters,
    downgrades={("attribution_credit", 1): largest_credit},
)


def conversion_totals(inputs, context, parameters) -> AgentResult:
    """A reporting consumer: counts rows as conversions (right only at one row per conversion)."""
    credit = inputs["attribution_credit"]
    totals = credit.groupby("channel_id").agg(
        conversions=("conversion_id", "size"), revenue=("conversion_value", "sum")
    )
    return AgentResult(
        outputs={},
        metrics={
            "conversions": float(totals.conversions.sum()),
            **{f"conversions.{k}": float(v) for k, v in totals.conversions.items()},
            "revenue": float(totals.revenue.sum()),
        },
    )


def reporting(version: int | None) -> Agent:
    """A reporting agent pinned to `version` of attribution_credit (None: unpinned, reads the latest)."""
    return Agent(
        AgentManifest(
            name="reporting",
            owner="marketing ops",
            description="conversion totals by channel",
            reads=(Read(name="attribution_credit", version=version, key=("conversion_id",), columns=("channel_id",)),),
            writes=(),
        ),
        conversion_totals,
        NoParameters,
    )
