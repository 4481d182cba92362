"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, no external resources."""

from __future__ import annotations

from html import escape

from agents.reporting.layout import Section, Table
from agents.reporting.report import Report
from agents.reporting.sections import context_statement, stale_statement

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;margin:0;background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:0 0 8px}
.context{color:#44505c;margin:0 0 16px}
section{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:16px 20px;margin:0 0 16px}
section.missing{background:#fafafa;color:#66707a}
section.stale{border:2px solid #c0392b}
.badge{display:inline-block;font-size:.75em;font-weight:700;padding:2px 8px;border-radius:10px;margin-left:8px}
.badge.stale{background:#c0392b;color:#fff}.badge.missing{background:#dde3ea;color:#44505c}
.banner{background:#fdecea;border:2px solid #c0392b;color:#7b241c;padding:12px 16px;border-radius:6px;margin:0 0 16px}
.banner{font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:8px 0}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e6eaef;vertical-align:top}
th{background:#f0f3f7}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
caption{caption-side:bottom;text-align:left;color:#66707a;font-size:.85em;padding-top:4px}
.chart{max-width:100%;height:auto;display:block;margin:8px 0}
.chart text{font-size:11px;fill:#1d2733}.chart .legend{font-size:12px}.chart .value{fill:#44505c}
"""


def _is_numeric_cell(text: str) -> bool:
    stripped = text.split(" [")[0].replace(",", "").replace("%", "").replace("+", "").replace("-", "")
    parts = stripped.split()
    return bool(parts) and parts[-1].replace(".", "", 1).isdigit() and len(parts) <= 2


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if _is_numeric_cell(c) else ''}>{escape(c)}</td>" for c in row) + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(section: Section) -> str:
    classes = ["missing"] if not section.available else []
    badges = ""
    if section.stale_inputs:
        classes.append("stale")
        badges += f'<span class="badge stale">STALE: {escape(", ".join(section.stale_inputs))}</span>'
    if not section.available:
        badges += '<span class="badge missing">not available in this run</span>'
    parts = [f'<section id="{section.anchor}" class="{" ".join(classes)}"><h2>{escape(section.title)}{badges}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    parts += section.charts
    parts += [_table(t) for t in section.tables]
    parts.append("</section>")
    return "".join(parts)


def render_html(report: Report, sections: list[Section]) -> str:
    title = f"Marketing performance {report.periods.start.isoformat()} to {report.periods.end.isoformat()}"
    banner = f'<div class="banner">{escape(stale_statement(report))}</div>' if report.context.stale_inputs else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main>"
        f'<h1>{escape(title)}</h1><p class="context">{escape(context_statement(report))}</p>'
        f"{banner}{''.join(_section(s) for s in sections)}"
        "</main></body></html>\n"
    )
