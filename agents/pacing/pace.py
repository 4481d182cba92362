"""Spend against the budget plan per channel and day, with month-to-date totals and a run-rate projection."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def account_day_spend(performance: pd.DataFrame) -> pd.DataFrame:
    """Spend per channel, account and account-local day, with the day's start in UTC."""
    frame = performance.assign(
        spend=pd.to_numeric(performance.spend_in_reporting_currency, errors="coerce").astype(float),
        date_day=pd.to_datetime(performance.date_day).dt.normalize(),
        day_started_at_utc=pd.to_datetime(performance.day_started_at_utc),
    )
    return frame.groupby(["channel_id", "account_id", "date_day"], as_index=False).agg(
        spend=("spend", "sum"), day_started_at_utc=("day_started_at_utc", "min")
    )


def daily_pacing(account_days: pd.DataFrame, plan: pd.DataFrame, window_start: date, window_end: date) -> pd.DataFrame:
    """One row per channel and day from the first of window_start's month to window_end (the
    month-to-date sums need the days before the window): spend, budget, pace and month-to-date."""
    plan = plan.assign(
        date_day=pd.to_datetime(plan.date_day).dt.normalize(),
        budget=pd.to_numeric(plan.daily_budget_in_reporting_currency, errors="coerce").astype(float),
        month_budget=pd.to_numeric(plan.month_budget_in_reporting_currency, errors="coerce").astype(float),
    )
    first = pd.Timestamp(window_start).to_period("M").to_timestamp()
    days = pd.date_range(first, pd.Timestamp(window_end), freq="D")
    in_window = (account_days.date_day >= pd.Timestamp(window_start)) & (
        account_days.date_day <= pd.Timestamp(window_end)
    )
    plan_in_window = (plan.date_day >= pd.Timestamp(window_start)) & (plan.date_day <= pd.Timestamp(window_end))
    channels = sorted(set(account_days.channel_id[in_window]) | set(plan.channel_id[plan_in_window]))
    grid = pd.MultiIndex.from_product([channels, days], names=["channel_id", "date_day"]).to_frame(index=False)
    spend = account_days.groupby(["channel_id", "date_day"], as_index=False).agg(
        spend=("spend", "sum"), day_started_at_utc=("day_started_at_utc", "min")
    )
    out = grid.merge(spend, how="left").merge(plan[["channel_id", "date_day", "budget", "month_budget"]], how="left")
    out["has_plan"] = out.budget.notna()
    out["spend"] = out.spend.fillna(0.0)
    out["pace"] = (out.spend / out.budget).where(out.budget > 0)
    month = out.date_day.dt.to_period("M")
    by_month = out.groupby(["channel_id", month])
    out["month_to_date_spend"] = by_month.spend.cumsum()
    out["month_to_date_budget"] = by_month.budget.cumsum()  # skips missing plan days
    planned_so_far = by_month.has_plan.cumsum() > 0
    out["month_to_date_budget"] = out.month_to_date_budget.where(planned_so_far)
    out["month_to_date_pace"] = (out.month_to_date_spend / out.month_to_date_budget).where(out.month_to_date_budget > 0)
    out["month_budget"] = by_month.month_budget.transform("max")
    elapsed = out.date_day.dt.day.to_numpy()
    out["month_projected_spend"] = out.month_to_date_spend / elapsed * out.date_day.dt.days_in_month.to_numpy()
    out["month_projected_pace"] = (out.month_projected_spend / out.month_budget).where(out.month_budget > 0)
    return out


def over_threshold(frame: pd.DataFrame, threshold: float) -> pd.Series:
    """Spend reached threshold x budget (a zero budget is crossed by any spend)."""
    return (frame.budget.notna() & (frame.spend > 0) & (frame.spend >= threshold * frame.budget)).astype(bool)


def window_rows(frame: pd.DataFrame, window_start: date, window_end: date) -> pd.DataFrame:
    keep = (frame.date_day >= pd.Timestamp(window_start)) & (frame.date_day <= pd.Timestamp(window_end))
    return frame[keep.to_numpy()].reset_index(drop=True)


def nullable_float(series: pd.Series) -> pd.Series:
    return series.astype(float).replace([np.inf, -np.inf], np.nan)
