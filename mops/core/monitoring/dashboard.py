"""The operations dashboard: one self-contained HTML page (inline SVG, no script, no server).

Status and business-impact figures first, then agent durations, rows read and written and overhead
share over time, freshness lag per source, the open anomalies and conflicts with their context
(both sides, run ids, what was done) and the alerts sent. Every value from the records is escaped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from pathlib import Path

import pandas as pd

from mops.core.monitoring.charts import bar_chart, line_chart
from mops.core.monitoring.check import MonitorState
from mops.core.ops import telemetry
from mops.core.ops.records import OpsLog

LEVEL_COLOURS = {"green": "#2e7d32", "amber": "#b7791f", "red": "#c62828"}
INGEST_LOG = ("raw", "_mops_files")
# the lag at which a source turns amber and red: the freshness the generated dbt sources declare
FRESHNESS_WARN_H, FRESHNESS_ERROR_H = 30.0, 72.0
FIGURES = (  # impact figure -> (label, family) in the order people read them
    ("workflow_runs", "workflow runs", "operational health"),
    ("handoffs_automated", "automated handoffs", "operational health"),
    ("gates_stopped_agent", "agent runs stopped by a gate", "errors prevented"),
    ("conflicts_caught", "conflicts caught before applying", "errors prevented"),
    ("conflicts_per_run", "conflicts per run", "data quality"),
    ("decisions_made", "decisions made", "business impact"),
    ("decisions_applied", "decisions applied", "business impact"),
    ("analyst_hours_saved", "analyst hours saved (estimate)", "business impact"),
)


def _table(columns: list[str], rows: list[list], empty: str, css: str = "") -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in r) + "</tr>" for r in rows
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _by(frame: pd.DataFrame, key: str, time: str, value: str) -> dict[str, list[tuple]]:
    if frame.empty:
        return {}
    return {str(k): list(zip(g[time], g[value].astype(float), strict=True)) for k, g in frame.groupby(key)}


def source_freshness(log: OpsLog, now) -> pd.DataFrame:
    """Per landing source: newest file loaded, hours since (vs now), files and rows ingested (raw._mops_files)."""
    columns = ["source", "newest_loaded_at", "lag_h", "files", "rows"]
    if not log.warehouse.exists(*INGEST_LOG):
        return pd.DataFrame(columns=columns)
    files = log.warehouse.query(
        "select source, max(loaded_at) as newest_loaded_at, count(*) as files, sum(row_count) as rows "
        f"from {INGEST_LOG[0]}.{INGEST_LOG[1]} group by source order by source"
    )
    files["lag_h"] = [
        max((pd.Timestamp(now) - pd.Timestamp(t)).total_seconds() / 3600, 0.0) if pd.notna(t) else float("nan")
        for t in files.newest_loaded_at
    ]
    return files[columns]


def _freshness_colour(lag: float) -> str:
    if lag > FRESHNESS_ERROR_H:
        return LEVEL_COLOURS["red"]
    return LEVEL_COLOURS["amber"] if lag > FRESHNESS_WARN_H else LEVEL_COLOURS["green"]


def _figures(impact: dict[str, float]) -> str:
    cards = []
    for key, label, family in FIGURES:
        if key not in impact:
            continue
        value = impact[key]
        shown = f"{value:,.2f}" if key == "conflicts_per_run" else f"{value:,.1f}".removesuffix(".0")
        cards.append(
            f'<div class="figure" data-figure="{escape(key)}" data-value="{value!r}"><b>{escape(shown)}</b>'
            f"<span>{escape(label)}</span><small>{escape(family)}</small></div>"
        )
    extra = [k for k in impact if k not in {f[0] for f in FIGURES}]  # figures other passes add
    cards += [
        f'<div class="figure" data-figure="{escape(k)}" data-value="{impact[k]!r}"><b>{impact[k]:,.4g}</b>'
        f"<span>{escape(k.replace('_', ' '))}</span></div>"
        for k in extra
    ]
    return '<div class="figures">' + "".join(cards) + "</div>" if cards else '<p class="empty">no runs yet</p>'


def _anomaly_rows(state: MonitorState) -> list[list]:
    return [
        [a.family, a.subject, a.metric, a.direction, a.observed, f"{a.value:,.4g}", f"{a.baseline:,.4g}",
         "" if a.ratio is None else f"{a.ratio:.2f}x", a.message]
        for a in state.anomalies
    ]  # fmt: skip


def _conflict_rows(state: MonitorState) -> list[list]:
    return [
        [c.rule, c.subject, c.outcome, f"{c.a_agent} {c.a_action} (run {c.a_run_id}): {c.a_reason or ''}",
         f"{c.b_agent} {c.b_action} (run {c.b_run_id}): {c.b_reason or ''}", c.message]
        for c in state.conflicts
    ]  # fmt: skip


def render(log: OpsLog, state: MonitorState, days: int = 60) -> str:
    """The dashboard page for the state of one monitoring pass."""
    since = state.checked_at - timedelta(days=days)
    durations = telemetry.agent_durations(log, since).dropna(subset=["duration_s"])
    runs = telemetry.workflow_overhead(log, since=since)
    runs = runs.assign(overhead_pct=runs.overhead_share.astype(float) * 100).dropna(subset=["overhead_pct"])
    reads = telemetry.rows_read_daily(log, since)
    reads = reads.assign(day=pd.to_datetime(reads.day)) if not reads.empty else reads
    written = telemetry.rows_written(log, since)
    freshness = source_freshness(log, state.checked_at)
    alerts = log.query("alerts", "sent_at >= ?", [since], order="sent_at")
    threshold = getattr(state, "overhead_threshold", None)
    colour = LEVEL_COLOURS[state.level]
    sections = [
        f'<h1>mops operations <span class="level" data-level="{state.level}" style="background:{colour}">'
        f"{state.level.upper()}</span></h1>",
        f"<p>as of {state.checked_at:%Y-%m-%d %H:%M} UTC &middot; the last {days} days</p>",
        '<ul class="reasons">' + "".join(f"<li>{escape(r)}</li>" for r in state.reasons) + "</ul>",
        "<h2>Impact</h2>",
        _figures(state.impact),
        "<h2>Agent durations</h2>",
        line_chart("agent run duration (s)", _by(durations, "agent", "started_at", "duration_s"), "s"),
        "<h2>Orchestration overhead</h2>",
        line_chart(
            "overhead share of wall time (%)",
            _by(runs, "workflow", "started_at", "overhead_pct"),
            "%",
            threshold=None if threshold is None else threshold * 100,
            threshold_label="alert threshold",
        ),
        "<h2>Rows over time</h2>",
        line_chart("rows read per input per day", _by(reads, "table", "day", "rows")),
        line_chart("rows written per output per run", _by(written, "table", "started_at", "rows")),
        "<h2>Freshness lag per source</h2>",
        bar_chart(
            "hours since the newest file of each source was loaded",
            list(zip(freshness.source, freshness.lag_h.astype(float), strict=True)),
            " h",
            [_freshness_colour(v) for v in freshness.lag_h.astype(float)],
        ),
        _table(
            ["source", "newest file loaded", "lag (h)", "files", "rows"],
            [
                [r.source, r.newest_loaded_at, f"{r.lag_h:,.1f}", f"{r.files:,.0f}", f"{r.rows:,.0f}"]
                for r in freshness.itertuples()
            ],
            "no landing files ingested yet",
        ),
        f"<h2>Open anomalies ({len(state.anomalies)})</h2>",
        _table(
            ["family", "subject", "metric", "direction", "observed", "value", "baseline", "ratio", "what"],
            _anomaly_rows(state),
            "no anomalies",
            "anomalies",
        ),
        f"<h2>Open conflicts ({len(state.conflicts)})</h2>",
        _table(
            ["rule", "subject", "outcome", "acting side", "other side", "what"],
            _conflict_rows(state),
            "no conflicts",
            "conflicts",
        ),
        f"<h2>Alerts sent (last {days} days)</h2>",
        bar_chart(
            "alerts by kind and delivery status",
            [(f"{kind} ({status})", len(g)) for (kind, status), g in alerts.groupby(["kind", "status"])],
        ),
        _table(
            ["sent at", "kind", "subject", "status", "destination"],
            [[a.sent_at, a.kind, a.subject, a.status, a.destination] for a in alerts.tail(30).itertuples()][::-1],
            "no alerts",
            "alerts",
        ),
    ]
    sections += _added_sections(log, state, since)
    sections += [f'<p class="note">note: {escape(n)}</p>' for n in state.notes]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mops operations</title>'
        f"<style>{STYLE}</style></head><body>" + "".join(sections) + "</body></html>"
    )


def _added_sections(log: OpsLog, state: MonitorState, since: datetime) -> list[str]:
    """Freshness per source, held decisions and the anomalies recorded over the window (with their words)."""
    recorded = log.query("anomalies", "detected_at >= ?", [since], order="detected_at")
    return [
        "<h2>Sources</h2>",
        _table(
            ["source table", "status", "newest day", "data lag (h)", "rows ingested", "files refused", "new fields"],
            [
                [
                    f"{f.source}.{f.table}",
                    f.status,
                    f.newest_day,
                    f.data_lag_hours,
                    f.rows_ingested,
                    f.files_refused,
                    ", ".join(f.new_fields),
                ]
                for f in state.sources
            ],
            "no landing sources checked",
        ),
        f"<h2>Decisions held by an anomaly ({len(state.held)})</h2>",
        _table(
            ["run", "step", "subject", "why"],
            [[h["run_id"], h["step"], h["subject"], h["reason"]] for h in state.held],
            "no decisions held",
        ),
        f"<h2>Anomalies recorded ({len(recorded)})</h2>",
        _table(
            ["detected at", "family", "subject", "what"],
            [[r.detected_at, r.family, r.subject, r.message] for r in recorded.itertuples()],
            "no anomalies recorded",
        ),
    ]


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}"
    ".level{color:#fff;padding:2px 8px;border-radius:4px;font-size:0.6em;vertical-align:middle}"
    "table{border-collapse:collapse;width:100%;font-size:0.85em}td,th{border-bottom:1px solid #ddd;"
    "padding:4px;text-align:left;vertical-align:top}.axis,.legend{font-size:11px}.empty,.note{color:#777}"
    "figure{margin:0.5em 0}figcaption{font-size:0.85em;color:#555}"
    ".figures{display:flex;flex-wrap:wrap;gap:8px}.figure{border:1px solid #ddd;border-radius:6px;padding:8px;"
    "width:170px}.figure b{display:block;font-size:1.4em}.figure span{display:block;font-size:0.85em}"
    ".figure small{color:#777}"
)


def write(path: Path, log: OpsLog, state: MonitorState) -> Path:
    """Write the page atomically (a reader never sees half a dashboard)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(render(log, state))
    partial.replace(path)
    return path
