"""Agents for workflow-engine tests (loaded through MOPS_AGENT_MODULES): controllable failures,
decisions to approve, and pacing events, over the real demo warehouse."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from pydantic import BaseModel

from mops.core.errors import WarehouseBusy
from mops.core.runtime.agent import Agent, AgentManifest, AgentResult, Decision, Read, Write
from tests.toy_agents import NoParameters, fractional_v2, largest_credit

ATTEMPTS: Counter = Counter()  # (run_id, agent) -> calls, so a test can fail the first N attempts


class FailParameters(BaseModel):
    fail: str = "none"  # none | transient | permanent
    fail_times: int = 99


def _maybe_fail(name: str, context, parameters: FailParameters) -> None:
    ATTEMPTS[(context.run_id, name)] += 1
    if parameters.fail != "none" and ATTEMPTS[(context.run_id, name)] <= parameters.fail_times:
        if parameters.fail == "transient":
            raise WarehouseBusy(f"{name}: simulated lock conflict")
        raise ValueError(f"{name}: simulated bug")


def attribution(inputs, context, parameters: FailParameters) -> AgentResult:
    _maybe_fail("t_attribution", context, parameters)
    return fractional_v2(inputs, context, parameters)


def report(inputs, context, parameters) -> AgentResult:
    credit = inputs["attribution_credit"]
    return AgentResult(
        outputs={},
        metrics={"conversions": float(len(credit))},
        artifacts={"report.md": f"# report\n\nconversions: {len(credit)}\nstale: {list(context.stale_inputs)}\n"},
    )


def budget(inputs, context, parameters) -> AgentResult:
    decisions = [
        Decision(kind="shift_budget", subject="google_ads", action="increase", value=0.30, confidence=0.9, reason="t"),
        Decision(kind="shift_budget", subject="meta_ads", action="decrease", value=-0.05, confidence=0.9, reason="t"),
    ]
    return AgentResult(outputs={}, decisions=decisions)


def pacing(inputs, context, parameters) -> AgentResult:
    spend = inputs["fct_ad_performance_daily"]
    top = spend.groupby("channel_id").spend_in_reporting_currency.sum().idxmax() if len(spend) else "google_ads"
    crossed = Decision(kind="threshold_crossed", subject=str(top), action="alert", value=0.9, confidence=1, reason="t")
    return AgentResult(outputs={}, decisions=[crossed])


PATHS = Read(name="fct_conversion_paths", window_column="converted_at")
AGENTS = [
    Agent(
        AgentManifest(
            name="t_attribution",
            owner="tests",
            description="fractional credit that can be told to fail",
            reads=(PATHS,),
            writes=(Write(table="attribution_credit", version=2),),
        ),
        attribution,
        FailParameters,
        downgrades={("attribution_credit", 1): largest_credit},
    ),
    Agent(
        AgentManifest(
            name="t_reporting",
            owner="tests",
            description="counts conversions",
            reads=(Read(name="attribution_credit", version=1, key=("conversion_id",)),),
            writes=(),
        ),
        report,
        NoParameters,
    ),
    Agent(
        AgentManifest(
            name="t_budget",
            owner="tests",
            description="proposes budget shifts",
            reads=(Read(name="dim_channels"),),
            writes=(),
            decisions=("shift_budget",),
        ),
        budget,
        NoParameters,
    ),
    Agent(
        AgentManifest(
            name="t_pacing",
            owner="tests",
            description="says a channel crossed its threshold",
            reads=(Read(name="fct_ad_performance_daily", window_column="date_day"),),
            writes=(),
            decisions=("threshold_crossed",),
        ),
        pacing,
        NoParameters,
    ),
]

__all__ = ["AGENTS", "ATTEMPTS", "pd"]
