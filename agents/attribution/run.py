"""The attribution agent's function: path mart -> credit per conversion and channel summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.attribution.credit import credit_v2
from agents.attribution.journeys import build_journeys
from agents.attribution.models import fit
from agents.attribution.parameters import AttributionParameters
from agents.attribution.summary import bootstrap, channel_summary
from mops.core.runtime.agent import AgentResult, Decision
from mops.core.runtime.context import RunContext


def _spend(performance: pd.DataFrame | None) -> pd.Series:
    if performance is None or performance.empty:
        return pd.Series(dtype=float)
    amounts = pd.to_numeric(performance["spend_in_reporting_currency"]).astype(float)
    return amounts.groupby(performance["channel_id"].astype(str)).sum()


def _spend_freshness(performance: pd.DataFrame | None, window_end, max_age_days: float) -> tuple[pd.Series, set]:
    """Each channel's newest spend day, and the channels whose newest day is older than allowed."""
    if performance is None or performance.empty:
        return pd.Series(dtype=object), set()
    newest = pd.to_datetime(performance["date_day"]).groupby(performance["channel_id"].astype(str)).max()
    age = (pd.Timestamp(window_end) - newest).dt.days
    return newest.dt.date, set(age[age > max_age_days].index)


def _stale_decisions(summary: pd.DataFrame, context: RunContext, params: AttributionParameters) -> list[Decision]:
    decisions = []
    for row in summary[summary.is_spend_stale & summary.is_paid].itertuples():
        through = row.spend_through.isoformat() if row.spend_through is not None else "never"
        decisions.append(
            Decision(
                kind="stale_spend",
                subject=row.channel_id,
                action="withhold_roas_cpa",
                confidence=1.0,
                reason=(
                    f"fct_ad_performance_daily.date_day for {row.channel_id} ends on {through}, more than "
                    f"{params.spend_max_age_days:g} day(s) before the window end {context.window_end}: ROAS and CPA "
                    "are withheld (they would divide the window's revenue by part of its spend)"
                ),
                details={"spend_through": through, "window_end": str(context.window_end)},
            )
        )
    return decisions


def _paid(channels: pd.DataFrame | None) -> pd.Series:
    if channels is None or channels.empty:
        return pd.Series(dtype=bool)
    return channels.set_index(channels["channel_id"].astype(str))["is_paid"].astype(bool)


def _decisions(summary: pd.DataFrame, evidence: pd.DataFrame, params: AttributionParameters, model: str):
    decisions = []
    for row, why in zip(summary.itertuples(), evidence.itertuples(), strict=True):
        if not row.is_underperforming:
            continue
        if why.roas_short:
            confidence = float(why.share_below_target_roas)
            reason = (
                f"ROAS {row.roas:.2f} ({params.confidence_level:.0%} interval {row.roas_low:.2f}-{row.roas_high:.2f}) "
                f"is below the target {params.target_roas:.2f} across the whole interval ({model} attribution)"
            )
            value, low, high = row.roas, row.roas_low, row.roas_high
        else:
            confidence = float(why.share_above_target_cpa)
            reason = (
                f"CPA {row.cpa:.2f} ({params.confidence_level:.0%} interval {row.cpa_low:.2f}-{row.cpa_high:.2f}) "
                f"is above the target {why.target_cpa:.2f} across the whole interval ({model} attribution)"
            )
            value, low, high = row.cpa, row.cpa_low, row.cpa_high
        decisions.append(
            Decision(
                kind="flag_underperforming",
                subject=row.channel_id,
                action="flag_underperforming",
                value=float(value),
                low=float(low),
                high=float(high),
                confidence=min(max(confidence, 0.0), 1.0),
                reason=reason,
                details={
                    "metric": "roas" if why.roas_short else "cpa",
                    "spend": float(row.spend),
                    "attributed_conversions": float(row.attributed_conversions),
                    "attributed_revenue": float(row.attributed_revenue),
                    "attribution_model": model,
                },
            )
        )
    return decisions


def run(inputs: dict[str, pd.DataFrame], context: RunContext, params: AttributionParameters) -> AgentResult:
    model = context.attribution_model
    journeys = build_journeys(
        inputs["fct_conversion_paths"],
        context.window_start,
        context.window_end,
        params.lookback_days,
        # the counterfactual model learns what direct visits cause; it needs no passive-channel rule
        () if model == "counterfactual" else params.passive_channels,
    )
    fitted = fit(journeys, model, params)
    credit = credit_v2(fitted.credit, journeys.journeys)
    draws = bootstrap(fitted, params)
    performance = inputs.get("fct_ad_performance_daily")
    through, stale = _spend_freshness(performance, context.window_end, params.spend_max_age_days)
    paid = _paid(inputs.get("dim_channels"))
    summary, evidence = channel_summary(
        credit, fitted, draws, _spend(performance), paid, params, through, frozenset(stale)
    )
    n_conversions = int(journeys.journeys["is_converted"].sum())
    return AgentResult(
        outputs={"attribution_credit": credit, "attribution_channel_summary": summary},
        decisions=_decisions(summary, evidence, params, model) + _stale_decisions(summary, context, params),
        metrics={
            "journeys": float(len(journeys.journeys)),
            "conversions": float(n_conversions),
            "path_keys": float(len(fitted.keys)),
            "channels": float(len(fitted.channels)),
            "allocation_gap": float(fitted.allocation_gap),
            "flagged_channels": float(np.sum(summary["is_underperforming"])),
            "channels_with_stale_spend": float(np.sum(summary["is_spend_stale"] & summary["is_paid"])),
        },
    )
