"""The pacing agent's pure function: pace per channel and day, and threshold crossings as decisions."""

from __future__ import annotations

import pandas as pd

from agents.pacing.crossing import METHOD, crossing_times
from agents.pacing.pace import account_day_spend, daily_pacing, nullable_float, over_threshold, window_rows
from agents.pacing.parameters import PacingParameters
from mops.core.runtime.agent import AgentResult, Decision
from mops.core.runtime.context import RunContext

OUTPUT_COLUMNS = [
    "date_day",
    "channel_id",
    "reporting_currency",
    "has_plan",
    "daily_budget",
    "spend",
    "pace",
    "threshold",
    "is_over_threshold",
    "day_started_at_utc",
    "crossed_at",
    "crossed_at_method",
    "month_to_date_spend",
    "month_to_date_budget",
    "month_to_date_pace",
    "month_budget",
    "month_projected_spend",
    "month_projected_pace",
]


class CurrencyMismatch(ValueError):
    """The marts are in another reporting currency than the run context."""


def _check_currency(frame: pd.DataFrame, context: RunContext, name: str) -> None:
    if "reporting_currency" in frame and len(frame):
        found = set(frame.reporting_currency.dropna().unique()) - {context.reporting_currency}
        if found:
            raise CurrencyMismatch(
                f"{name} is in {sorted(found)}, the run context reports in {context.reporting_currency}"
            )


def pacing_status(performance: pd.DataFrame, plan: pd.DataFrame, context: RunContext, params) -> pd.DataFrame:
    accounts = account_day_spend(performance)
    frame = daily_pacing(accounts, plan, context.window_start, context.window_end)
    frame = window_rows(frame, context.window_start, context.window_end)
    frame["threshold"] = float(params.threshold)
    frame["is_over_threshold"] = over_threshold(frame, params.threshold)
    crossing = frame[frame.is_over_threshold]
    targets = crossing[["channel_id", "date_day"]].assign(target=params.threshold * crossing.budget)
    frame["crossed_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    frame.loc[crossing.index, "crossed_at"] = crossing_times(accounts, targets)
    frame["crossed_at_method"] = pd.Series(None, index=frame.index, dtype=object)
    frame.loc[frame.crossed_at.notna(), "crossed_at_method"] = METHOD
    frame["reporting_currency"] = context.reporting_currency
    frame["daily_budget"] = frame.budget
    frame["date_day"] = frame.date_day.dt.date
    for column in ("daily_budget", "pace", "month_to_date_budget", "month_to_date_pace", "month_budget"):
        frame[column] = nullable_float(frame[column])
    frame["month_projected_pace"] = nullable_float(frame.month_projected_pace)
    frame["day_started_at_utc"] = pd.to_datetime(frame.day_started_at_utc).astype("datetime64[us]")
    return frame[OUTPUT_COLUMNS].sort_values(["date_day", "channel_id"]).reset_index(drop=True)


def crossing_decisions(status: pd.DataFrame, context: RunContext, params: PacingParameters) -> list[Decision]:
    if params.decision_days == 0:
        return []
    first = context.window_end - pd.Timedelta(days=params.decision_days - 1)
    crossed = status[status.is_over_threshold & (pd.to_datetime(status.date_day) >= pd.Timestamp(first))]
    decisions = []
    for row in crossed.itertuples():
        pace = None if pd.isna(row.pace) else float(row.pace)
        crossed_at = None if pd.isna(row.crossed_at) else pd.Timestamp(row.crossed_at).isoformat()
        decisions.append(
            Decision(
                kind="threshold_crossed",
                subject=row.channel_id,
                action="flag_over_pacing",
                value=pace,
                confidence=1.0,
                reason=(
                    f"{row.channel_id} spent {row.spend:,.2f} {row.reporting_currency} on {row.date_day}, "
                    f"{'no budget' if pace is None else f'{pace:.0%} of its daily budget of {row.daily_budget:,.2f}'}"
                    f" (threshold {params.threshold:.0%}); crossing estimated at {crossed_at} UTC assuming "
                    "uniform spend within each account's day (the data is daily)"
                ),
                details={
                    "date": row.date_day.isoformat(),
                    "crossed_at": crossed_at,
                    "crossed_at_method": METHOD,
                    "budget": None if pd.isna(row.daily_budget) else float(row.daily_budget),
                    "spend": float(row.spend),
                    "threshold": float(params.threshold),
                    "currency": row.reporting_currency,
                    "month_to_date_pace": None if pd.isna(row.month_to_date_pace) else float(row.month_to_date_pace),
                },
            )
        )
    return decisions


def run(inputs: dict[str, pd.DataFrame], context: RunContext, params: PacingParameters) -> AgentResult:
    performance, plan = inputs["fct_ad_performance_daily"], inputs["fct_budget_plan_daily"]
    _check_currency(performance, context, "fct_ad_performance_daily")
    _check_currency(plan, context, "fct_budget_plan_daily")
    status = pacing_status(performance, plan, context, params)
    decisions = crossing_decisions(status, context, params)
    last = status[pd.to_datetime(status.date_day) == pd.Timestamp(context.window_end)]
    metrics = {
        "channel_days": float(len(status)),
        "channel_days_over_threshold": float(status.is_over_threshold.sum()),
        "channel_days_without_plan": float((~status.has_plan).sum()),
        "channels_over_threshold_last_day": float(last.is_over_threshold.sum()),
    }
    return AgentResult(outputs={"pacing_status": status}, decisions=decisions, metrics=metrics)
