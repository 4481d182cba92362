"""Agents for the simulated-month monitoring test (loaded through MOPS_AGENT_MODULES).

They stand in for the daily workflow's decision makers with the decision kinds and actions the real
agents use, over the real demo marts, and take the faults a test injects as parameters: a delay (a
slow agent), channels to flag as underperforming or over-pacing, channels to raise anyway. Without
parameters they flag nothing and the budget moves spend from the channel with the fewest conversions
per unit of spend in the run window to the one with the most.
"""

from __future__ import annotations

import time

import pandas as pd
from pydantic import BaseModel, Field

from mops.core.runtime.agent import Agent, AgentManifest, AgentResult, Decision, Read

ADS = Read(
    name="fct_ad_performance_daily",
    version=1,
    columns=("date_day", "channel_id", "spend_in_reporting_currency", "conversions"),
    window_column="date_day",
)
CHANNELS = Read(name="dim_channels")


class Faults(BaseModel):
    delay_s: float = Field(default=0.0, ge=0)  # sleep this long (a slow agent)
    flag: list[str] = Field(default_factory=list)  # channels to flag (underperforming / over-pacing)
    increase: list[str] = Field(default_factory=list)  # channels the budget raises whatever the data say


def _flags(kind: str, action: str, params: Faults) -> list[Decision]:
    return [
        Decision(kind=kind, subject=c, action=action, value=1.0, confidence=1.0, reason=f"{c}: {action} (injected)")
        for c in params.flag
    ]


def attribution(inputs, context, params: Faults) -> AgentResult:
    time.sleep(params.delay_s)
    return AgentResult(outputs={}, decisions=_flags("flag_underperforming", "flag_underperforming", params))


def pacing(inputs, context, params: Faults) -> AgentResult:
    time.sleep(params.delay_s)
    return AgentResult(outputs={}, decisions=_flags("threshold_crossed", "flag_over_pacing", params))


def budget(inputs, context, params: Faults) -> AgentResult:
    time.sleep(params.delay_s)
    ads = inputs["fct_ad_performance_daily"]
    totals = ads.groupby("channel_id")[["spend_in_reporting_currency", "conversions"]].sum()
    totals = totals[totals.spend_in_reporting_currency > 0]
    ratio = (totals.conversions / totals.spend_in_reporting_currency).sort_values()
    moves = {str(ratio.index[-1]): 0.1, str(ratio.index[0]): -0.1} if len(ratio) > 1 else {}
    moves |= dict.fromkeys(params.increase, 0.1)

    def shift(channel: str, value: float) -> Decision:
        action = "increase_spend" if value > 0 else "decrease_spend"
        return Decision(kind="shift_budget", subject=channel, action=action, value=value, confidence=0.9, reason="test")

    return AgentResult(outputs={}, decisions=[shift(c, v) for c, v in sorted(moves.items())])


def _agent(name: str, function, reads: tuple[Read, ...], decisions: tuple[str, ...], money=()) -> Agent:
    manifest = AgentManifest(
        name=name,
        owner=f"{name}-owners",
        description=f"test stand-in for {name}",
        reads=reads,
        writes=(),
        decisions=decisions,
        money_decisions=money,
    )
    return Agent(manifest, function, Faults)


AGENTS = [
    _agent("attribution", attribution, (CHANNELS,), ("flag_underperforming",)),
    _agent("pacing", pacing, (ADS,), ("threshold_crossed",)),
    _agent("budget_optimizer", budget, (ADS,), ("shift_budget",), ("shift_budget",)),
]

__all__ = ["AGENTS", "pd"]
