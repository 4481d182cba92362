"""Ad-platform KPIs of the window and of the prior period, by level (total, channel, platform, campaign).

Additive metrics are summed over each period; ratios are recomputed from the sums (never averaged),
so the CPA of a channel is its spend over its conversions. Changes of additive metrics compare
daily averages, so a prior period shorter than the window (history not reaching back) still
compares like with like; with equal lengths that is the change of the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

ADDITIVE = ("spend", "impressions", "clicks", "conversions", "revenue")
RATIOS = {"ctr": ("clicks", "impressions"), "cpa": ("spend", "conversions"), "roas": ("revenue", "spend")}
METRICS = ("spend", "impressions", "clicks", "ctr", "conversions", "revenue", "cpa", "roas")
LEVELS = ("total", "channel", "platform", "campaign")
TOTAL_KEY = "all"

AD_COLUMNS = {
    "spend_in_reporting_currency": "spend",
    "impressions": "impressions",
    "clicks": "clicks",
    "conversions": "conversions",
    "conversion_value_in_reporting_currency": "revenue",
}


@dataclass(frozen=True)
class Periods:
    """The window and the comparison period just before it (both inclusive)."""

    start: date
    end: date
    prior_start: date
    prior_end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def prior_days(self) -> int:
        return (self.prior_end - self.prior_start).days + 1

    @classmethod
    def before(cls, start: date, end: date, prior_days: int | None = None) -> Periods:
        length = prior_days or (end - start).days + 1
        return cls(start, end, start - timedelta(days=length), start - timedelta(days=1))


def daily_performance(ads: pd.DataFrame) -> pd.DataFrame:
    """fct_ad_performance_daily in the report's names, money as float."""
    frame = ads.rename(columns=AD_COLUMNS)
    frame = frame[["date_day", "platform", "channel_id", "campaign_key", *ADDITIVE]].copy()
    frame["date_day"] = pd.to_datetime(frame["date_day"]).dt.date
    for column in ADDITIVE:
        frame[column] = pd.to_numeric(frame[column]).astype(float).fillna(0.0)
    return frame


def _period(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    return frame[(frame.date_day >= start) & (frame.date_day <= end)]


def _by_level(frame: pd.DataFrame) -> pd.DataFrame:
    """Sums of the additive metrics per level and key."""
    parts = [frame[list(ADDITIVE)].sum().to_frame().T.assign(level="total", key=TOTAL_KEY)]
    for level, column in (("channel", "channel_id"), ("platform", "platform"), ("campaign", "campaign_key")):
        sums = frame.groupby(column, as_index=False)[list(ADDITIVE)].sum().rename(columns={column: "key"})
        parts.append(sums.assign(level=level))
    return pd.concat(parts, ignore_index=True)[["level", "key", *ADDITIVE]]


def ratio(numerator: pd.Series | np.ndarray, denominator: pd.Series | np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 (a CPA without conversions is undefined)."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _with_ratios(sums: pd.DataFrame) -> pd.DataFrame:
    out = sums.copy()
    for name, (num, den) in RATIOS.items():
        out[name] = ratio(out[num], out[den])
    return out


def kpi_table(perf: pd.DataFrame, periods: Periods) -> pd.DataFrame:
    """One row per level, key and metric: value in the window, prior value, change, relative change.

    Keys seen in either period are kept (a campaign paused in the window shows 0 spend against its
    prior spend). `prior_value` is NaN when no data at all falls in the prior period.
    """
    current = _by_level(_period(perf, periods.start, periods.end))
    prior_rows = _period(perf, periods.prior_start, periods.prior_end)
    prior = _by_level(prior_rows)
    keys = pd.concat([current[["level", "key"]], prior[["level", "key"]]]).drop_duplicates()
    current = _with_ratios(keys.merge(current, how="left").fillna({m: 0.0 for m in ADDITIVE}))
    prior = _with_ratios(keys.merge(prior, how="left").fillna({m: 0.0 for m in ADDITIVE}))
    prior_data_days = prior_rows.date_day.nunique()

    long_current = current.melt(["level", "key"], list(METRICS), "metric", "value")
    long_prior = prior.melt(["level", "key"], list(METRICS), "metric", "prior_value")
    table = long_current.merge(long_prior, on=["level", "key", "metric"])
    if prior_data_days == 0:
        table["prior_value"] = np.nan
    additive = table.metric.isin(ADDITIVE)
    per_day_now = np.where(additive, table.value / periods.days, table.value)
    per_day_before = np.where(additive, table.prior_value / periods.prior_days, table.prior_value)
    table["change"] = table.value - table.prior_value
    table["change_share"] = ratio(per_day_now - per_day_before, np.abs(per_day_before))
    table["level"] = pd.Categorical(table.level, LEVELS, ordered=True)
    table["metric"] = pd.Categorical(table.metric, METRICS, ordered=True)
    table = table.sort_values(["level", "key", "metric"]).reset_index(drop=True)
    table["level"] = table.level.astype(str)
    table["metric"] = table.metric.astype(str)
    return table


def prior_coverage(perf: pd.DataFrame, periods: Periods) -> int:
    """Days of the prior period that have any ad data (fewer than prior_days: history is short)."""
    return int(_period(perf, periods.prior_start, periods.prior_end).date_day.nunique())


def daily_series(perf: pd.DataFrame, periods: Periods) -> pd.DataFrame:
    """Spend and platform revenue per day over the prior period and the window (for the trend chart)."""
    days = pd.date_range(periods.prior_start, periods.end, freq="D").date
    sums = _period(perf, periods.prior_start, periods.end).groupby("date_day")[["spend", "revenue"]].sum()
    return sums.reindex(days, fill_value=0.0).rename_axis("date_day").reset_index()
