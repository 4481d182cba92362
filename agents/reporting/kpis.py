"""Ad-platform KPIs of the window and of the prior period, by level (total, channel, platform, campaign).

Additive metrics are summed over each period; ratios are recomputed from the sums (never averaged),
so the CPA of a channel is its spend over its conversions. Changes of additive metrics compare
daily averages over the days that have data (a day on which no platform reported anything is missing, not a
day of zero spend), so a prior period shorter than the window (history not reaching back) or a window whose
last days have not arrived yet still compares like with like; with full periods that is the change of the
totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

ADDITIVE = ("spend", "impressions", "clicks", "conversions", "revenue")
RATIOS = {"ctr": ("clicks", "impressions"), "cpa": ("spend", "conversions"), "roas": ("revenue", "spend")}
METRICS = ("spend", "impressions", "clicks", "ctr", "conversions", "revenue", "cpa", "roas")
# purchases as the site records them (GA4, dated by purchase, credited to the purchase session's channel):
# no conversion lag, unlike platform conversions that are dated by click and keep arriving for weeks
SITE_ADDITIVE = ("site_conversions", "site_revenue")
SITE_METRICS = ("site_conversions", "site_revenue", "site_roas")
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


def data_days(rows: pd.DataFrame, default: int) -> int:
    """Days with any row (the denominator of a daily average); `default` when there are none."""
    return int(rows.date_day.nunique()) or default


def _compare(
    current: pd.DataFrame,
    prior: pd.DataFrame,
    metrics: tuple[str, ...],
    days: tuple[int, int],
    has_prior: bool,
) -> pd.DataFrame:
    """Long rows (level, key, metric, value, prior_value, change, change_share) from two wide frames."""
    long_current = current.melt(["level", "key"], list(metrics), "metric", "value")
    long_prior = prior.melt(["level", "key"], list(metrics), "metric", "prior_value")
    table = long_current.merge(long_prior, on=["level", "key", "metric"])
    if not has_prior:
        table["prior_value"] = np.nan
    additive = table.metric.isin(ADDITIVE + SITE_ADDITIVE)
    per_day_now = np.where(additive, table.value / days[0], table.value)
    per_day_before = np.where(additive, table.prior_value / days[1], table.prior_value)
    table["change"] = table.value - table.prior_value
    table["change_share"] = ratio(per_day_now - per_day_before, np.abs(per_day_before))
    return table


def _site_by_channel(site: pd.DataFrame, ad_sums: pd.DataFrame) -> pd.DataFrame:
    """Purchases and revenue per purchase-session channel and in total; site ROAS per paid channel."""
    sums = site.groupby("channel_id", as_index=False)[list(SITE_ADDITIVE)].sum().rename(columns={"channel_id": "key"})
    channels = sums.assign(level="channel")
    spend = ad_sums[ad_sums.level == "channel"].set_index("key").spend
    channels["site_roas"] = ratio(channels.site_revenue, channels.key.map(spend).fillna(0.0))
    total = site[list(SITE_ADDITIVE)].sum().to_frame().T.assign(level="total", key=TOTAL_KEY, site_roas=np.nan)
    return pd.concat([total, channels], ignore_index=True)


def kpi_table(perf: pd.DataFrame, periods: Periods, site: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per level, key and metric: value in the window, prior value, change, relative change.

    Keys seen in either period are kept (a campaign paused in the window shows 0 spend against its
    prior spend). `prior_value` is NaN when no data at all falls in the prior period. `site` (daily
    purchases by purchase-session channel, see site_daily) adds the site_* metrics at the total and
    channel levels.
    """
    current_rows = _period(perf, periods.start, periods.end)
    prior_rows = _period(perf, periods.prior_start, periods.prior_end)
    current, prior = _by_level(current_rows), _by_level(prior_rows)
    keys = pd.concat([current[["level", "key"]], prior[["level", "key"]]]).drop_duplicates()
    current = _with_ratios(keys.merge(current, how="left").fillna({m: 0.0 for m in ADDITIVE}))
    prior = _with_ratios(keys.merge(prior, how="left").fillna({m: 0.0 for m in ADDITIVE}))
    ad_days = (data_days(current_rows, periods.days), data_days(prior_rows, periods.prior_days))
    parts = [_compare(current, prior, METRICS, ad_days, prior_rows.date_day.nunique() > 0)]
    if site is not None:
        site_now = _site_by_channel(_period(site, periods.start, periods.end), current)
        site_before = _site_by_channel(_period(site, periods.prior_start, periods.prior_end), prior)
        site_keys = pd.concat([site_now[["level", "key"]], site_before[["level", "key"]]]).drop_duplicates()
        fill = {m: 0.0 for m in SITE_ADDITIVE}
        site_now = site_keys.merge(site_now, how="left").fillna(fill)
        site_before = site_keys.merge(site_before, how="left").fillna(fill)
        site_prior_rows = _period(site, periods.prior_start, periods.prior_end)
        site_days = (
            data_days(_period(site, periods.start, periods.end), periods.days),
            data_days(site_prior_rows, periods.prior_days),
        )
        site_table = _compare(site_now, site_before, SITE_METRICS, site_days, not site_prior_rows.empty)
        parts.append(site_table[~((site_table.level == "total") & (site_table.metric == "site_roas"))])
    table = pd.concat(parts, ignore_index=True)
    table["level"] = pd.Categorical(table.level, LEVELS, ordered=True)
    table["metric"] = pd.Categorical(table.metric, METRICS + SITE_METRICS, ordered=True)
    table = table.sort_values(["level", "key", "metric"]).reset_index(drop=True)
    table["level"] = table.level.astype(str)
    table["metric"] = table.metric.astype(str)
    return table


def site_daily(conversions: pd.DataFrame) -> pd.DataFrame:
    """fct_conversions as purchases per day (UTC) and purchase-session channel, revenue as float."""
    frame = pd.DataFrame(
        {
            "date_day": pd.to_datetime(conversions.converted_at).dt.date,
            "channel_id": conversions.session_channel_id.fillna("other").astype(str),
            "site_conversions": 1.0,
            "site_revenue": pd.to_numeric(conversions.revenue_in_reporting_currency).astype(float).fillna(0.0),
        }
    )
    return frame.groupby(["date_day", "channel_id"], as_index=False)[list(SITE_ADDITIVE)].sum()


def prior_coverage(perf: pd.DataFrame, periods: Periods) -> int:
    """Days of the prior period that have any ad data (fewer than prior_days: history is short)."""
    return int(_period(perf, periods.prior_start, periods.prior_end).date_day.nunique())


def daily_series(perf: pd.DataFrame, periods: Periods, site: pd.DataFrame | None = None) -> pd.DataFrame:
    """Spend, platform revenue and site revenue per day over the prior period and the window (trend chart).

    A day without any ad data is NaN (a gap in the line), not zero spend.
    """
    days = pd.date_range(periods.prior_start, periods.end, freq="D").date
    sums = _period(perf, periods.prior_start, periods.end).groupby("date_day")[["spend", "revenue"]].sum()
    out = sums.reindex(days).rename_axis("date_day")
    if site is not None:
        site_sums = _period(site, periods.prior_start, periods.end).groupby("date_day").site_revenue.sum()
        out["site_revenue"] = site_sums.reindex(days, fill_value=0.0)
    return out.reset_index()
