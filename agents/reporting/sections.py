"""The report as a list of sections: the marketing KPIs (headline, trend, channels, platforms, campaigns,
alerts, attribution) here, the other agents' outputs in agent_sections; rendered to HTML and Markdown."""

from __future__ import annotations

import pandas as pd

from agents.reporting import charts
from agents.reporting import formatting as fmt
from agents.reporting.agent_sections import budget_section, creative_section, pacing_section, segment_section
from agents.reporting.layout import Section, Table, num, with_interval
from agents.reporting.report import Report

HEADLINE = (
    "spend",
    "impressions",
    "clicks",
    "ctr",
    "conversions",
    "revenue",
    "cpa",
    "roas",
    "site_conversions",
    "site_revenue",
)


def context_statement(report: Report) -> str:
    c, p = report.context, report.periods
    return (
        f"Window {p.start.isoformat()} to {p.end.isoformat()} ({p.days} days), compared with the prior period "
        f"{p.prior_start.isoformat()} to {p.prior_end.isoformat()} ({p.prior_days} days). "
        f"Attribution model {c.attribution_model}, attribution version v{c.attribution_version} "
        f"(this report reads attribution_credit v1, pinned, and attribution_channel_summary v1). "
        f"Currency {c.reporting_currency}, time zone {c.timezone}, run {c.run_id}."
    )


def stale_statement(report: Report) -> str:
    names = ", ".join(report.context.stale_inputs)
    return (
        f"STALE INPUTS: {names}. Their producer failed in this run, so these numbers come from an earlier run "
        "and may not match the window above; sections using them are marked STALE."
    )


def headline_section(report: Report) -> Section:
    h = report.headline()
    rows = [
        [
            fmt.LABELS[m],
            fmt.metric(m, num(h.value.get(m)), report.currency),
            fmt.metric(m, num(h.prior_value.get(m)), report.currency),
            fmt.change(num(h.change_share.get(m))),
        ]
        for m in HEADLINE
    ]
    section = Section("Headline", "headline", tables=[Table(["KPI", "Window", "Prior period", "Change"], rows)])
    section.paragraphs.append(
        "Spend, impressions, clicks and platform-reported conversions and revenue come from the ad platforms "
        "(fct_ad_performance_daily; platforms can claim the same purchase twice). Platforms date a conversion by "
        "its click and keep adding conversions for weeks, so the window's platform conversions, revenue and ROAS "
        "are still incomplete against the prior period's: compare purchases and revenue on the site (GA4, dated "
        "by purchase, credited to the purchase session's channel) instead. Changes compare daily averages."
    )
    newest, end = report.newest_ad_day, report.periods.end
    if newest is None or newest < end:
        late = f"ends on {newest.isoformat()}, {(end - newest).days} day(s) before" if newest else "has no day up to"
        section.paragraphs.append(f"Ad data {late} the window end: the window's totals are incomplete.")
    if report.prior_data_days < report.periods.prior_days:
        section.paragraphs.append(
            f"The prior period has ad data on {report.prior_data_days} of {report.periods.prior_days} days "
            "(history does not reach back further): read its changes with care."
        )
    if report.has_credit:
        total = report.attribution.attributed_conversions.sum()
        revenue = report.attribution.attributed_revenue.sum()
        section.paragraphs.append(
            f"Conversions in the window (GA4, attributed to channels): {fmt.count(float(total))}, revenue "
            f"{fmt.money(float(revenue), report.currency)}."
        )
    if report.is_stale("attribution_credit"):
        section.stale_inputs.append("attribution_credit")
    return section


def trend_section(report: Report) -> Section:
    days = list(report.daily.date_day)
    chart = charts.line_chart(
        "Daily spend and platform revenue",
        days,
        [
            charts.Series("Spend", list(report.daily.spend), charts.CURRENT),
            charts.Series("Revenue (platform)", list(report.daily.revenue), charts.ACCENT),
            *(
                [charts.Series("Revenue (site)", list(report.daily.site_revenue), charts.SITE)]
                if "site_revenue" in report.daily
                else []
            ),
        ],
        lambda v: fmt.money(v, report.currency),
        mark=report.periods.start,
        mark_label="window starts",
    )
    return Section("Daily trend", "trend", charts=[chart])


def _level_table(report: Report, level: str, limit: int | None = None) -> tuple[pd.DataFrame, Table]:
    wide = report.level(level)
    shown = wide.head(limit) if limit else wide
    metrics = ["spend", "clicks", "ctr", "conversions", "revenue", "cpa", "roas"]
    changes = ["spend", "roas"]
    if "site_roas" in wide:
        metrics += ["site_conversions", "site_revenue", "site_roas"]
        changes += ["site_roas"]
    headers = [
        level.capitalize(),
        *(fmt.LABELS[m] for m in metrics),
        *(f"{fmt.LABELS[m]} change" for m in changes),
    ]
    rows = [
        [
            str(r.label),
            *(fmt.metric(m, num(r[m]), report.currency) for m in metrics),
            *(fmt.change(num(r[f"{m}_change"])) for m in changes),
        ]
        for _, r in shown.iterrows()
    ]
    caption = f"Top {len(shown)} of {len(wide)} by spend" if limit and len(wide) > len(shown) else ""
    return wide, Table(headers, rows, caption)


def channel_section(report: Report) -> Section:
    wide, table = _level_table(report, "channel")
    names = list(wide.label)
    spend = charts.bar_chart(
        "Spend by channel: window and prior period",
        names,
        [
            charts.Series("Window", [num(v) for v in wide.spend], charts.CURRENT),
            charts.Series("Prior period", [num(v) for v in wide.spend_prior], charts.PRIOR),
        ],
        lambda v: fmt.money(v, report.currency),
    )
    roas_metric = "site_roas" if "site_roas" in wide else "roas"
    roas = charts.bar_chart(
        "Site ROAS (site revenue / spend) by channel"
        if roas_metric == "site_roas"
        else "ROAS (platform revenue / spend) by channel",
        names,
        [
            charts.Series("Window", [num(v) for v in wide[roas_metric]], charts.CURRENT),
            charts.Series("Prior period", [num(v) for v in wide[f"{roas_metric}_prior"]], charts.PRIOR),
        ],
        lambda v: fmt.metric("roas", v, report.currency),
    )
    return Section("By channel", "channels", tables=[table], charts=[spend, roas])


def platform_section(report: Report) -> Section:
    return Section("By platform", "platforms", tables=[_level_table(report, "platform")[1]])


def campaign_section(report: Report, limit: int) -> Section:
    return Section("By campaign", "campaigns", tables=[_level_table(report, "campaign", limit)[1]])


def alerts_section(report: Report) -> Section:
    section = Section("KPI alerts", "alerts")
    if not report.alerts:
        section.paragraphs.append("No channel grew its spend past the alert threshold while its site ROAS fell.")
        return section
    rows = [[d.subject, d.reason, fmt.percent(d.confidence, 0)] for d in report.alerts]
    section.tables.append(Table(["Subject", "Why", "Confidence"], rows))
    return section


def attribution_section(report: Report) -> Section:
    section = Section("Attributed conversions and revenue", "attribution")
    section.stale_inputs = [n for n in ("attribution_credit", "attribution_channel_summary") if report.is_stale(n)]
    if not (report.has_credit or report.has_summary):
        section.available = False
        section.paragraphs.append("Not available in this run: the attribution agent's outputs were not found.")
        return section
    a = report.attribution
    c = report.currency
    section.paragraphs.append(
        f"Model: {report.context.attribution_model}. 'Attributed' counts each conversion once, for the channel "
        "with the largest credit (attribution_credit v1); 'model credit' is the model's fractional credit with "
        "95% bootstrap intervals (attribution_channel_summary v1)."
    )
    if not report.has_credit:
        section.paragraphs.append("Whole-conversion counts not available in this run (attribution_credit v1 missing).")
    if not report.has_summary:
        section.paragraphs.append("Intervals not available in this run (attribution_channel_summary v1 missing).")
    stale_spend = a[a.is_spend_stale.fillna(False).astype(bool)] if "is_spend_stale" in a else a.iloc[:0]
    if len(stale_spend):
        listed = ", ".join(
            f"{report.labels.get(('channel', r.channel_id), r.channel_id)} (spend data ends "
            f"{pd.Timestamp(r.spend_through).date().isoformat() if pd.notna(r.spend_through) else 'never'})"
            for r in stale_spend.itertuples()
        )
        section.paragraphs.append(
            f"Model ROAS and CPA withheld (stale spend) for {listed}: spend missing for the last days of the "
            "window would overstate ROAS and understate CPA."
        )
        section.stale_inputs.append("fct_ad_performance_daily (spend)")
    labels = [report.labels.get(("channel", k), k) for k in a.channel_id]
    series = []
    if report.has_summary:
        series.append(
            charts.Series(
                "Model credit (95% interval)",
                [num(v) for v in a.model_conversions],
                charts.CURRENT,
                low=[num(v) for v in a.model_conversions_low],
                high=[num(v) for v in a.model_conversions_high],
            )
        )
    if report.has_credit:
        series.append(
            charts.Series("Attributed (whole conversions)", list(map(float, a.attributed_conversions)), charts.ACCENT)
        )
    section.charts.append(charts.bar_chart("Conversions by channel", labels, series, fmt.count))
    rows = []
    for label, (_, r) in zip(labels, a.iterrows(), strict=True):
        rows.append(
            [
                label,
                fmt.count(num(r.attributed_conversions)) if report.has_credit else fmt.MISSING,
                fmt.money(num(r.attributed_revenue), c) if report.has_credit else fmt.MISSING,
                with_interval(r, "model_conversions", "model_conversions", c),
                with_interval(r, "model_revenue", "model_revenue", c),
                with_interval(r, "roas", "model_roas", c),
                fmt.MISSING if pd.isna(r.is_underperforming) else ("yes" if bool(r.is_underperforming) else "no"),
            ]
        )
    section.tables.append(
        Table(
            [
                "Channel",
                "Attributed conversions",
                "Attributed revenue",
                "Model credit",
                "Model revenue",
                "Model ROAS",
                "Underperforming",
            ],
            rows,
        )
    )
    return section


def all_sections(report: Report, campaigns_shown: int) -> list[Section]:
    return [
        headline_section(report),
        alerts_section(report),
        trend_section(report),
        channel_section(report),
        platform_section(report),
        campaign_section(report, campaigns_shown),
        attribution_section(report),
        segment_section(report),
        budget_section(report),
        pacing_section(report),
        creative_section(report),
    ]
