"""The reporting agent's function: KPIs with prior-period comparison, attribution, agents' outputs -> report."""

from __future__ import annotations

import pandas as pd

from agents.reporting.alerts import kpi_alerts
from agents.reporting.attributed import CREDIT_COLUMNS, SUMMARY_COLUMNS
from agents.reporting.html import render_html
from agents.reporting.markdown import render_markdown
from agents.reporting.parameters import ReportingParameters
from agents.reporting.report import OPTIONAL_SECTIONS, build_report
from agents.reporting.sections import all_sections
from mops.core.runtime.agent import AgentResult
from mops.core.runtime.context import RunContext


def _input(inputs: dict[str, pd.DataFrame], name: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """An optional input; absent or empty means its producer has not run for this context."""
    frame = inputs.get(name)
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return frame


def run(inputs: dict[str, pd.DataFrame], context: RunContext, params: ReportingParameters) -> AgentResult:
    report = build_report(
        ads=inputs["fct_ad_performance_daily"],
        conversions=inputs["fct_conversions"],
        channels=inputs["dim_channels"],
        campaigns=inputs["dim_campaigns"],
        credit=_input(inputs, "attribution_credit", CREDIT_COLUMNS),
        summary=_input(inputs, "attribution_channel_summary", SUMMARY_COLUMNS),
        optional={name: _input(inputs, name) for name in OPTIONAL_SECTIONS},
        context=context,
        prior_days=params.prior_days,
    )
    report.alerts = kpi_alerts(report.kpis, report.labels, params.alert_spend_increase, params.alert_roas_decrease)
    sections = all_sections(report, params.campaigns_shown)
    html = render_html(report, sections)
    markdown = render_markdown(report, sections)
    headline = report.headline()
    metrics = {f"total_{m}": float(v) for m, v in headline.value.items() if pd.notna(v)}
    metrics.update(
        {
            "kpi_rows": float(len(report.kpis)),
            "alerts": float(len(report.alerts)),
            "html_bytes": float(len(html.encode())),
            "sections_missing": float(sum(not s.available for s in sections)),
            "stale_inputs": float(len(context.stale_inputs)),
        }
    )
    return AgentResult(
        outputs={"report_kpis": report.kpis},
        decisions=report.alerts,
        metrics=metrics,
        artifacts={"report.html": html, "report.md": markdown},
    )
