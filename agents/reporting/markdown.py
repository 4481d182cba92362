"""The report as Markdown (a Prefect artifact): the same sections and figures as the HTML, without charts."""

from __future__ import annotations

from agents.reporting.layout import Section, Table
from agents.reporting.report import Report
from agents.reporting.sections import context_statement, stale_statement


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> list[str]:
    lines = [
        "| " + " | ".join(_cell(h) for h in table.headers) + " |",
        "|" + "|".join("---" for _ in table.headers) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.caption:
        lines.append(f"\n_{table.caption}_")
    return lines


def _section(section: Section) -> list[str]:
    marks = ""
    if section.stale_inputs:
        marks += f" — **STALE: {', '.join(section.stale_inputs)}**"
    if not section.available:
        marks += " — _not available in this run_"
    lines = [f"## {section.title}{marks}", ""]
    for paragraph in section.paragraphs:
        lines += [paragraph, ""]
    for table in section.tables:
        lines += [*_table(table), ""]
    return lines


def render_markdown(report: Report, sections: list[Section]) -> str:
    p = report.periods
    lines = [f"# Marketing performance {p.start.isoformat()} to {p.end.isoformat()}", "", context_statement(report), ""]
    if report.context.stale_inputs:
        lines += [f"> **{stale_statement(report)}**", ""]
    for section in sections:
        if section.paragraphs or section.tables:  # chart-only sections are for the HTML
            lines += _section(section)
    return "\n".join(lines).rstrip() + "\n"
