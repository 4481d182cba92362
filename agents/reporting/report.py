"""Everything the report shows, assembled once from the inputs; the HTML and Markdown only render it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from agents.reporting.attributed import CREDIT_SOURCE, SUMMARY_SOURCE, attribution_by_channel, attribution_rows
from agents.reporting.kpis import (
    SITE_METRICS,
    TOTAL_KEY,
    Periods,
    daily_performance,
    daily_series,
    kpi_table,
    prior_coverage,
    site_daily,
)
from mops.core.runtime.agent import Decision
from mops.core.runtime.context import RunContext

KPI_COLUMNS = (
    "level",
    "key",
    "label",
    "channel_id",
    "metric",
    "source",
    "value",
    "value_low",
    "value_high",
    "prior_value",
    "change",
    "change_share",
    "days",
    "prior_days",
    "prior_start",
    "prior_end",
    "is_stale",
)
AD_SOURCE = "ad_platforms"
SITE_SOURCE = "ga4_conversions"
# agent outputs the report shows besides attribution; input name -> its section title
OPTIONAL_SECTIONS = {
    "segment_summary": "Customer segments",
    "budget_recommendations": "Budget recommendations",
    "pacing_status": "Budget pacing",
    "ad_creative_scores": "Ad creatives",
}


@dataclass
class Report:
    context: RunContext
    periods: Periods
    prior_data_days: int
    newest_ad_day: date | None  # the last day with ad data (before the window end: data is late)
    kpis: pd.DataFrame  # report_kpis v1
    daily: pd.DataFrame
    attribution: pd.DataFrame  # one row per channel (attribution_by_channel)
    has_credit: bool
    has_summary: bool
    sections: dict[str, pd.DataFrame]  # optional agent outputs that this run has, by input name
    labels: dict[tuple[str, str], str]
    alerts: list[Decision] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.context.reporting_currency

    def is_stale(self, input_name: str) -> bool:
        return input_name in self.context.stale_inputs

    def headline(self) -> pd.DataFrame:
        """The total level: one row per metric."""
        return self.kpis[self.kpis.level == "total"].set_index("metric")

    def level(self, level: str) -> pd.DataFrame:
        """One row per key of `level`, columns <metric>, <metric>_prior, <metric>_change."""
        rows = self.kpis[(self.kpis.level == level) & self.kpis.source.isin([AD_SOURCE, SITE_SOURCE])]
        wide = rows.pivot(index=["key", "label"], columns="metric", values=["value", "prior_value", "change_share"])
        wide.columns = [
            m if kind == "value" else f"{m}_{'prior' if kind == 'prior_value' else 'change'}"
            for kind, m in wide.columns
        ]
        wide = wide.reset_index()
        if "spend" in wide:  # channels without ad data (organic, direct) appear through site metrics only
            wide = wide[wide.spend.notna()]
        return wide.sort_values("spend", ascending=False).reset_index(drop=True)


def _labels(channels: pd.DataFrame, campaigns: pd.DataFrame, perf: pd.DataFrame) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {("total", TOTAL_KEY): "All channels"}
    for channel_id, name in zip(channels.channel_id, channels.channel_name, strict=True):
        labels[("channel", channel_id)] = str(name)
    platform_names = channels[channels.platform.notna()].drop_duplicates("platform", keep=False)
    names = dict(zip(platform_names.platform, platform_names.channel_name, strict=True))
    for platform in perf.platform.unique():
        labels[("platform", platform)] = str(names.get(platform, platform))
    # campaign names repeat across accounts (one per market): the account tells them apart
    for key, name, account in zip(campaigns.campaign_key, campaigns.campaign_name, campaigns.account_name, strict=True):
        labels[("campaign", key)] = f"{name} ({account})" if isinstance(account, str) else str(name)
    return labels


def build_report(
    ads: pd.DataFrame,
    conversions: pd.DataFrame,
    channels: pd.DataFrame,
    campaigns: pd.DataFrame,
    credit: pd.DataFrame,
    summary: pd.DataFrame,
    optional: dict[str, pd.DataFrame],
    context: RunContext,
    prior_days: int | None,
) -> Report:
    perf = daily_performance(ads)
    periods = Periods.before(context.window_start, context.window_end, prior_days)
    site = site_daily(conversions)
    ad_rows = kpi_table(perf, periods, site).assign(value_low=np.nan, value_high=np.nan)
    ad_rows["source"] = np.where(ad_rows.metric.isin(SITE_METRICS), SITE_SOURCE, AD_SOURCE)
    ad_rows["prior_days"] = periods.prior_days
    ad_rows["prior_start"] = periods.prior_start
    ad_rows["prior_end"] = periods.prior_end
    ad_rows["is_stale"] = False

    has_credit, has_summary = not credit.empty, not summary.empty
    attribution = attribution_by_channel(credit, summary)
    attributed = attribution_rows(attribution, has_credit, has_summary)
    attributed = attributed.assign(prior_value=np.nan, change=np.nan, change_share=np.nan, prior_days=pd.NA)
    attributed["prior_start"] = None
    attributed["prior_end"] = None
    attributed["is_stale"] = (
        ((attributed.source == CREDIT_SOURCE) & ("attribution_credit" in context.stale_inputs))
        | ((attributed.source == SUMMARY_SOURCE) & ("attribution_channel_summary" in context.stale_inputs))
        | attributed.pop("is_stale_spend")  # ROAS/CPA on spend data that ends too early (withheld upstream)
    )

    labels = _labels(channels, campaigns, perf)
    kpis = pd.concat([ad_rows, attributed], ignore_index=True)
    kpis["label"] = [labels.get((lv, k), k) for lv, k in zip(kpis.level, kpis.key, strict=True)]
    campaign_channel = perf.drop_duplicates("campaign_key").set_index("campaign_key").channel_id
    kpis["channel_id"] = np.where(
        kpis.level == "channel", kpis.key, np.where(kpis.level == "campaign", kpis.key.map(campaign_channel), None)
    )
    kpis["channel_id"] = kpis.channel_id.where(kpis.channel_id.notna(), None)
    kpis["days"] = periods.days
    kpis["prior_days"] = pd.array(kpis.prior_days, dtype="Int64")
    kpis["is_stale"] = kpis.is_stale.astype(bool)
    for column in ("prior_start", "prior_end"):
        kpis[column] = pd.to_datetime(kpis[column])
    return Report(
        context=context,
        periods=periods,
        prior_data_days=prior_coverage(perf, periods),
        newest_ad_day=max(perf.date_day, default=None),
        kpis=kpis[list(KPI_COLUMNS)].reset_index(drop=True),
        daily=daily_series(perf, periods, site),
        attribution=attribution,
        has_credit=has_credit,
        has_summary=has_summary,
        sections={name: frame for name, frame in optional.items() if not frame.empty},
        labels=labels,
    )
