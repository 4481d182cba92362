"""Report sections over the other agents' outputs: segments, budget recommendations, pacing, creatives."""

from __future__ import annotations

import pandas as pd

from agents.reporting import charts
from agents.reporting import formatting as fmt
from agents.reporting.layout import Section, Table, missing, num, with_interval
from agents.reporting.report import OPTIONAL_SECTIONS, Report


def segment_section(report: Report) -> Section:
    name = "segment_summary"
    if name not in report.sections:
        return missing(name, OPTIONAL_SECTIONS[name])
    s = report.sections[name].sort_values("segment_order")
    c = report.currency
    section = Section(OPTIONAL_SECTIONS[name], name, stale_inputs=[name] if report.is_stale(name) else [])
    section.paragraphs.append(f"RFM segments as of {pd.Timestamp(s.reference_date.iloc[0]).date().isoformat()}.")
    section.charts.append(
        charts.bar_chart(
            "Share of customers and of revenue by segment",
            list(s.segment),
            [
                charts.Series("Customers", [num(v) for v in s.share], charts.PRIOR),
                charts.Series("Revenue", [num(v) for v in s.revenue_share], charts.CURRENT),
            ],
            lambda v: fmt.percent(v, 1),
        )
    )
    rows = [
        [
            str(r.segment),
            fmt.count(num(r.customers)),
            fmt.percent(num(r.share), 1),
            fmt.count(num(r.orders)),
            fmt.money(num(r.revenue), c),
            fmt.percent(num(r.revenue_share), 1),
            fmt.money(num(r.average_order_value), c, 2),
            str(r.top_channel) if isinstance(r.top_channel, str) else fmt.MISSING,
            str(r.rule),
        ]
        for _, r in s.iterrows()
    ]
    section.tables.append(
        Table(
            ["Segment", "Customers", "Share", "Orders", "Revenue", "Revenue share", "AOV", "Top channel", "Rule"], rows
        )
    )
    return section


def budget_section(report: Report) -> Section:
    name = "budget_recommendations"
    if name not in report.sections:
        return missing(name, OPTIONAL_SECTIONS[name])
    b = report.sections[name].sort_values("channel_id")
    c = report.currency
    section = Section(OPTIONAL_SECTIONS[name], name, stale_inputs=[name] if report.is_stale(name) else [])
    objective = str(b.objective.iloc[0])
    section.paragraphs.append(
        f"Recommended daily spend per paid channel (objective: {objective}); expected uplift per day with its interval."
    )
    labels = [report.labels.get(("channel", k), k) for k in b.channel_id]
    section.charts.append(
        charts.bar_chart(
            "Daily spend: current and recommended",
            labels,
            [
                charts.Series("Current", [num(v) for v in b.current_daily_spend], charts.PRIOR),
                charts.Series("Recommended", [num(v) for v in b.recommended_daily_spend], charts.CURRENT),
            ],
            lambda v: fmt.money(v, c),
        )
    )
    outcome = "revenue" if objective == "revenue" else "conversions"
    uplift_metric = "model_revenue" if outcome == "revenue" else "model_conversions"
    rows = [
        [
            label,
            fmt.money(num(r.current_daily_spend), c),
            fmt.money(num(r.recommended_daily_spend), c),
            fmt.change(num(r.change_share)),
            with_interval(r, "expected_uplift", uplift_metric, c),
            "yes" if bool(r.is_locked) else "no",
            str(r.rationale),
        ]
        for label, (_, r) in zip(labels, b.iterrows(), strict=True)
    ]
    section.tables.append(
        Table(
            [
                "Channel",
                "Current / day",
                "Recommended / day",
                "Change",
                f"Expected uplift ({outcome} / day)",
                "",
                "Why",
            ],
            rows,
        )
    )
    return section


def pacing_section(report: Report) -> Section:
    name = "pacing_status"
    if name not in report.sections:
        return missing(name, OPTIONAL_SECTIONS[name])
    p = report.sections[name].copy()
    p["date_day"] = pd.to_datetime(p.date_day)
    latest = p.sort_values("date_day").groupby("channel_id").tail(1).sort_values("channel_id")
    over = p.groupby("channel_id").is_over_threshold.sum()
    c = report.currency
    section = Section(OPTIONAL_SECTIONS[name], name, stale_inputs=[name] if report.is_stale(name) else [])
    rows = [
        [
            report.labels.get(("channel", r.channel_id), r.channel_id),
            r.date_day.date().isoformat(),
            fmt.money(num(r.month_to_date_spend), c),
            fmt.money(num(r.month_to_date_budget), c),
            fmt.percent(num(r.month_to_date_pace), 0),
            fmt.percent(num(r.month_projected_pace), 0),
            fmt.count(float(over.get(r.channel_id, 0))),
        ]
        for _, r in latest.iterrows()
    ]
    section.tables.append(
        Table(
            [
                "Channel",
                "Day",
                "Month-to-date spend",
                "Month-to-date budget",
                "MTD pace",
                "Projected month pace",
                "Days over threshold",
            ],
            rows,
        )
    )
    return section


def creative_section(report: Report) -> Section:
    name = "ad_creative_scores"
    if name not in report.sections:
        return missing(name, OPTIONAL_SECTIONS[name])
    s = report.sections[name]
    section = Section(OPTIONAL_SECTIONS[name], name, stale_inputs=[name] if report.is_stale(name) else [])
    counts = s.recommendation.value_counts()
    section.paragraphs.append(
        "Ads by recommendation: "
        + ", ".join(f"{k} {int(counts.get(k, 0))}" for k in ("scale", "keep", "pause", "test"))
        + "."
    )
    judged = s[s.recommendation.isin(["scale", "pause"])].sort_values("score", ascending=False)
    rows = [
        [
            str(r.platform),
            str(r.ad_name) if isinstance(r.ad_name, str) else str(r.ad_id),
            f"{num(r.score):.2f} [{num(r.score_low):.2f} – {num(r.score_high):.2f}]",
            str(r.recommendation),
            str(r.suggested_changes) if isinstance(r.suggested_changes, str) else "",
        ]
        for _, r in judged.iterrows()
    ]
    if rows:
        section.tables.append(
            Table(["Platform", "Ad", "Score (1 = campaign average)", "Recommendation", "Suggested changes"], rows)
        )
    return section
