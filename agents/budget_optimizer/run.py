"""The budget optimization run: history -> curves with uncertainty -> risk-aware allocation -> decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.budget_optimizer.allocate import Curves, allocate, allocation_draws, spend_bounds
from agents.budget_optimizer.fitting import fit_channels
from agents.budget_optimizer.history import (
    AD_TABLE,
    channel_history,
    check_spend_freshness,
    current_daily_spend,
)
from agents.budget_optimizer.parameters import SPEND_MAX_AGE_DAYS, BudgetParameters
from mops.core.runtime.agent import AgentResult, Decision
from mops.core.runtime.context import RunContext

MIN_SHIFT_SHARE = 0.005  # changes below half a percent of current spend are not reported as shifts


def run(inputs: dict[str, pd.DataFrame], context: RunContext, params: BudgetParameters) -> AgentResult:
    ads = inputs[AD_TABLE]
    ads = ads[pd.to_datetime(ads["date_day"]) <= pd.Timestamp(context.window_end)]
    check_spend_freshness(ads, context.window_end, SPEND_MAX_AGE_DAYS)
    end = pd.to_datetime(ads["date_day"]).max().date()
    history = channel_history(
        ads,
        inputs["fct_conversions"],
        end,
        params.history_days,
        params.attribution_lookback_days,
        params.outcome_source,
        inputs.get("attribution_credit"),
    )
    current = current_daily_spend(history, params.current_spend_days)
    channels = list(current.index)
    _check_channel_names(params, channels)
    rng = np.random.default_rng(params.seed)
    fits, failures = fit_channels(
        history,
        current,
        "revenue" if params.objective == "revenue" else "conversions",
        params.hill_shape,
        params.confidence,
        params.outcome_settle_days,
        params.n_draws,
        rng,
    )
    flagged = _underperforming(inputs.get("attribution_channel_summary"))

    fitted = [c for c in channels if c in fits]
    held = [c for c in channels if c not in fits]
    spend_now = current[fitted].to_numpy()
    total = params.total_daily_budget if params.total_daily_budget is not None else float(current.sum())
    total_fitted = total - float(current[held].sum())
    curves = Curves(
        max_outcome=np.column_stack([fits[c].draws.max_outcome for c in fitted]) if fitted else np.zeros((1, 0)),
        half_saturation=np.column_stack([fits[c].draws.half_saturation for c in fitted]) if fitted else np.ones((1, 0)),
        shape=np.column_stack([fits[c].draws.shape for c in fitted]) if fitted else np.ones((1, 0)),
    )
    locked = np.array([c in params.locked_channels for c in fitted], dtype=bool)
    lower, upper = spend_bounds(
        spend_now,
        np.array([params.min_daily_spend.get(c, 0.0) for c in fitted]),
        np.array([params.max_daily_spend.get(c, np.inf) for c in fitted]),
        params.max_daily_change,
        locked,
    )
    # a curve without identified saturation is not extrapolated beyond the declared multiple of observed spend
    cap = np.array(
        [
            np.inf if fits[c].is_saturation_identified else params.extrapolation_cap * fits[c].max_observed_spend
            for c in fitted
        ]
    )
    upper = np.maximum(lower, np.minimum(upper, cap))
    from scipy import stats  # loaded by the first run, not with the catalog

    z = float(stats.norm.ppf(params.confidence))
    recommended = allocate(curves, spend_now, lower, upper, total_fitted, z) if fitted else spend_now

    decisions: list[Decision] = []
    conflicts = [
        i for i, c in enumerate(fitted) if flagged.get(c) and recommended[i] > spend_now[i] * (1 + MIN_SHIFT_SHARE)
    ]
    for i in conflicts:
        decisions.append(_conflict(fitted[i], spend_now[i], recommended[i], params.on_attribution_conflict))
    if conflicts and params.on_attribution_conflict == "hold":
        upper[conflicts] = np.maximum(lower[conflicts], np.minimum(upper[conflicts], spend_now[conflicts]))
        recommended = allocate(curves, spend_now, lower, upper, total_fitted, z)

    per_draw = (
        allocation_draws(curves, spend_now, lower, upper, total_fitted, params.allocation_draws)
        if fitted
        else np.zeros((1, 0))
    )
    recommendations = _recommendations(
        fitted, held, failures, current, recommended, lower, upper, locked, curves, per_draw, flagged, params
    )
    unidentified = recommendations.channel_id.isin([c for c in fitted if not fits[c].is_saturation_identified])
    recommendations.loc[unidentified, "rationale"] += (
        f"; the data show no saturation: the curve is not followed beyond {params.extrapolation_cap:g}x the"
        " highest observed daily spend"
    )
    decisions += _shift_decisions(recommendations, per_draw, fitted, spend_now, params)
    curve_rows = pd.DataFrame([fits[c].row for c in fitted], columns=list(CURVE_COLUMNS)).assign(
        objective=params.objective, outcome_source=params.outcome_source
    )
    uplift = curves.outcome(recommended).sum(axis=1) - curves.outcome(spend_now).sum(axis=1)
    tail = (1 - params.confidence) / 2
    metrics = {
        "channels": float(len(channels)),
        "channels_without_curve": float(len(held)),
        "channels_without_identified_saturation": float(sum(not fits[c].is_saturation_identified for c in fitted)),
        "total_daily_budget": float(total),
        "expected_uplift_per_day": float(uplift.mean()),
        "expected_uplift_per_day_low": float(np.quantile(uplift, tail)),
        "expected_uplift_per_day_high": float(np.quantile(uplift, 1 - tail)),
        "history_days": float(params.history_days),
    }
    return AgentResult(
        outputs={
            "budget_response_curves": _order(curve_rows, CURVE_COLUMNS),
            "budget_recommendations": recommendations,
        },
        decisions=decisions,
        metrics=metrics,
    )


def _check_channel_names(params: BudgetParameters, channels: list[str]) -> None:
    named = set(params.min_daily_spend) | set(params.max_daily_spend) | set(params.locked_channels)
    unknown = sorted(named - set(channels))
    if unknown:
        raise ValueError(f"parameters name channels with no spend in {AD_TABLE}: {unknown} (known: {channels})")


def _underperforming(summary: pd.DataFrame | None) -> dict[str, bool]:
    if summary is None or summary.empty or "is_underperforming" not in summary.columns:
        return {}
    return {str(c): bool(f) for c, f in zip(summary["channel_id"], summary["is_underperforming"], strict=True)}


def _conflict(channel: str, current: float, wanted: float, policy: str) -> Decision:
    action = "held_at_current_spend" if policy == "hold" else "recommended_increase_anyway"
    return Decision(
        kind="conflict",
        subject=channel,
        action=action,
        value=float(wanted / current - 1.0) if current > 0 else None,
        confidence=1.0,
        reason=(
            f"the response curve supports raising {channel} from {current:,.2f} to {wanted:,.2f} per day, but "
            f"attribution_channel_summary flags it as underperforming; policy '{policy}'"
        ),
        details={"current_daily_spend": float(current), "curve_recommended_daily_spend": float(wanted)},
    )


def _recommendations(
    fitted, held, failures, current, recommended, lower, upper, locked, curves, per_draw, flagged, params
) -> pd.DataFrame:
    tail = (1 - params.confidence) / 2
    spend_now = current[fitted].to_numpy()
    at_current = curves.outcome(spend_now)
    at_recommended = curves.outcome(recommended)
    change = recommended - spend_now
    moved = np.abs(change) > MIN_SHIFT_SHARE * spend_now
    direction = np.sign(change)
    agreement = (np.sign(per_draw - spend_now) == direction).mean(axis=0)
    rows = []
    for i, channel in enumerate(fitted):
        uplift = at_recommended[:, i] - at_current[:, i]
        rows.append(
            {
                "channel_id": channel,
                "current_daily_spend": float(spend_now[i]),
                "recommended_daily_spend": float(recommended[i]),
                "lower_bound_daily_spend": float(lower[i]),
                "upper_bound_daily_spend": float(upper[i]),
                "is_locked": bool(locked[i]),
                "has_curve": True,
                "hold_reason": None,
                **_interval(at_current[:, i], "expected_outcome_current", tail),
                **_interval(at_recommended[:, i], "expected_outcome_recommended", tail),
                **_interval(uplift, "expected_uplift", tail),
                "direction_agreement": float(agreement[i]) if moved[i] else None,
                "rationale": _rationale(
                    channel, i, moved[i], locked[i], curves, spend_now, recommended, lower, upper, agreement
                ),
            }
        )
    for channel in held:
        rows.append(
            {
                "channel_id": channel,
                "current_daily_spend": float(current[channel]),
                "recommended_daily_spend": float(current[channel]),
                "lower_bound_daily_spend": float(current[channel]),
                "upper_bound_daily_spend": float(current[channel]),
                "is_locked": channel in params.locked_channels,
                "has_curve": False,
                "hold_reason": failures[channel],
                "rationale": f"held at current spend: no response curve ({failures[channel]})",
            }
        )
    frame = pd.DataFrame(rows, columns=[c for c in RECOMMENDATION_COLUMNS if c != "objective"])
    frame["objective"] = params.objective
    frame["outcome_source"] = params.outcome_source
    frame["change_daily_spend"] = frame.recommended_daily_spend - frame.current_daily_spend
    frame["change_share"] = frame.change_daily_spend / frame.current_daily_spend.where(frame.current_daily_spend > 0)
    frame["is_underperforming"] = (
        frame.channel_id.map(flagged).astype("boolean") if flagged else pd.array([pd.NA] * len(frame), dtype="boolean")
    )
    return _order(frame, RECOMMENDATION_COLUMNS)


def _interval(values: np.ndarray, name: str, tail: float) -> dict:
    low, high = np.quantile(values, [tail, 1 - tail])
    return {name: float(values.mean()), f"{name}_low": float(low), f"{name}_high": float(high)}


def _rationale(channel, i, moved, locked, curves, spend_now, recommended, lower, upper, agreement) -> str:
    marginal = curves.marginal(spend_now)[:, i]
    text = f"marginal return {marginal.mean():.3g} per unit of spend at current spend"
    if locked:
        return f"locked commitment: held at current spend; {text}"
    if not moved:
        return f"no supported change: {text}; a shift is not supported by the curves' uncertainty or the bounds"
    verb = "raise" if recommended[i] > spend_now[i] else "cut"
    bound = ""
    if np.isclose(recommended[i], upper[i]) or np.isclose(recommended[i], lower[i]):
        bound = " (at its bound for the day)"
    return f"{verb} to {recommended[i]:,.2f}{bound}: {text}; {agreement[i]:.0%} of parameter draws move it the same way"


def _shift_decisions(recommendations, per_draw, fitted, spend_now, params) -> list[Decision]:
    tail = (1 - params.confidence) / 2
    decisions = []
    draw_share = per_draw / np.where(spend_now > 0, spend_now, np.nan) - 1.0
    for i, channel in enumerate(fitted):
        row = recommendations.loc[recommendations.channel_id == channel].iloc[0]
        if abs(row.change_daily_spend) <= MIN_SHIFT_SHARE * row.current_daily_spend:
            continue
        low, high = np.nanquantile(draw_share[:, i], [tail, 1 - tail])
        decisions.append(
            Decision(
                kind="shift_budget",
                subject=channel,
                action="increase_spend" if row.change_daily_spend > 0 else "decrease_spend",
                value=float(row.change_share),
                low=float(min(low, row.change_share)),
                high=float(max(high, row.change_share)),
                confidence=float(row.direction_agreement),
                reason=row.rationale,
                details={
                    "current_daily_spend": float(row.current_daily_spend),
                    "recommended_daily_spend": float(row.recommended_daily_spend),
                    "objective": params.objective,
                    "expected_uplift": float(row.expected_uplift),
                    "expected_uplift_low": float(row.expected_uplift_low),
                    "expected_uplift_high": float(row.expected_uplift_high),
                },
            )
        )
    if not decisions:
        decisions.append(
            Decision(
                kind="hold_budget",
                subject="all",
                action="keep_current_allocation",
                confidence=params.confidence,
                reason="no reallocation is supported at the lower quantile of the uplift under the curves' uncertainty",
            )
        )
    return decisions


def _order(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    return frame.reindex(columns=list(columns)).reset_index(drop=True)


def _with_interval(*names: str) -> tuple[str, ...]:
    return tuple(col for name in names for col in (name, f"{name}_low", f"{name}_high"))


CURVE_COLUMNS = (
    "channel_id",
    "objective",
    "history_start",
    "history_end",
    "n_days",
    "spend_variation",
    *_with_interval("max_clicks", "half_saturation_spend", "hill_shape"),
    "is_shape_fixed",
    *_with_interval("value_per_click", "carryover", "max_outcome_per_day"),
    "clicks_pseudo_r2",
    "clicks_dispersion",
    "outcome_r2",
    "current_daily_spend",
    *_with_interval("marginal_outcome_per_spend"),
    "outcome_source",
    "max_observed_daily_spend",
    "is_saturation_identified",
)
RECOMMENDATION_COLUMNS = (
    "channel_id",
    "objective",
    "current_daily_spend",
    "recommended_daily_spend",
    "change_daily_spend",
    "change_share",
    "lower_bound_daily_spend",
    "upper_bound_daily_spend",
    "is_locked",
    "is_underperforming",
    "has_curve",
    *_with_interval("expected_outcome_current", "expected_outcome_recommended", "expected_uplift"),
    "direction_agreement",
    "rationale",
    "outcome_source",
    "hold_reason",
)
