"""The operations dashboard: one self-contained HTML page (inline SVG, no script, no server).

Agent durations, overhead share and rows read over time, then the open anomalies and conflicts with
their context and the alerts sent. Every value from the records is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from pathlib import Path

import pandas as pd

from mops.core.monitoring.check import MonitorState
from mops.core.ops import telemetry
from mops.core.ops.records import OpsLog

WIDTH, HEIGHT, PAD = 720, 220, 48
PALETTE = ("#3b6ea5", "#e07b39", "#4a9a5b", "#9b59b6", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d")
LEVEL_COLOURS = {"green": "#2e7d32", "amber": "#b7791f", "red": "#c62828"}


def line_chart(title: str, series: dict[str, Sequence[tuple[datetime, float]]], unit: str = "") -> str:
    """Lines over time, one per named series, with the y range labelled."""
    points = [p for values in series.values() for p in values if pd.notna(p[1])]
    label = escape(title)
    if not points:
        return f'<p class="empty">{label}: no data yet</p>'
    t0 = min(pd.Timestamp(t) for t, _ in points)
    t1 = max(pd.Timestamp(t) for t, _ in points)
    span = max((t1 - t0).total_seconds(), 1.0)
    top = max(v for _, v in points) or 1.0

    def xy(t, v) -> str:
        x = PAD + (pd.Timestamp(t) - t0).total_seconds() / span * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD + 10 - v / top * (HEIGHT - PAD - 20)
        return f"{x:.1f},{y:.1f}"

    body = [
        f'<line x1="{PAD}" y1="{HEIGHT - PAD + 10}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD + 10}" stroke="#999"/>',
        f'<text x="4" y="18" class="axis">{escape(f"{top:,.3g}{unit}")}</text>',
        f'<text x="4" y="{HEIGHT - PAD + 10}" class="axis">0</text>',
        f'<text x="{PAD}" y="{HEIGHT - 14}" class="axis">{t0:%Y-%m-%d}</text>',
        f'<text x="{WIDTH - PAD - 70}" y="{HEIGHT - 14}" class="axis">{t1:%Y-%m-%d}</text>',
    ]
    for i, (name, values) in enumerate(sorted(series.items())):
        colour = PALETTE[i % len(PALETTE)]
        clean = [(t, v) for t, v in values if pd.notna(v)]
        path = " ".join(xy(t, v) for t, v in clean)
        body.append(
            f'<polyline class="series" data-series="{escape(name)}" data-points="{len(clean)}" '
            f'fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
        )
        body.append(f'<text x="{PAD + 110 * i}" y="{HEIGHT - 2}" class="legend" fill="{colour}">{escape(name)}</text>')
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{label}"><title>{label}</title>' + "".join(body) + "</svg>"
    )


def _table(columns: list[str], rows: list[list], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _by(frame: pd.DataFrame, key: str, time: str, value: str) -> dict[str, list[tuple]]:
    return {str(k): list(zip(g[time], g[value].astype(float), strict=True)) for k, g in frame.groupby(key)}


def render(log: OpsLog, state: MonitorState, days: int = 60) -> str:
    """The dashboard page for the state of one monitoring pass."""
    since = state.checked_at - timedelta(days=days)
    durations = telemetry.agent_durations(log, since)
    runs = telemetry.workflow_overhead(log, since=since)
    reads = telemetry.rows_read_daily(log, since)
    if not reads.empty:
        reads = reads.assign(day=pd.to_datetime(reads.day))
    runs = runs.assign(overhead_pct=runs.overhead_share.astype(float) * 100)
    colour = LEVEL_COLOURS[state.level]
    sections = [
        f'<h1>mops operations <span class="level" style="background:{colour}">{state.level.upper()}</span></h1>',
        f"<p>as of {state.checked_at:%Y-%m-%d %H:%M} UTC</p>",
        "<ul>" + "".join(f"<li>{escape(r)}</li>" for r in state.reasons) + "</ul>",
        "<h2>Impact</h2>",
        _table(
            ["figure", "value"],
            [[k.replace("_", " "), f"{v:,.2f}".rstrip("0").rstrip(".")] for k, v in state.impact.items()],
            "no runs yet",
        ),
        "<h2>Agent durations</h2>",
        line_chart(
            "agent run duration (s)",
            _by(durations.dropna(subset=["duration_s"]), "agent", "started_at", "duration_s"),
            "s",
        ),
        "<h2>Orchestration overhead</h2>",
        line_chart(
            "overhead share of wall time (%)",
            _by(runs.dropna(subset=["overhead_pct"]), "workflow", "started_at", "overhead_pct"),
            "%",
        ),
        "<h2>Rows read per day</h2>",
        line_chart("rows read per input per day", _by(reads, "table", "day", "rows") if not reads.empty else {}),
        f"<h2>Open anomalies ({len(state.anomalies)})</h2>",
        _table(
            ["family", "subject", "direction", "what"],
            [[a.family, a.subject, a.direction, a.message] for a in state.anomalies],
            "no anomalies",
        ),
        f"<h2>Open conflicts ({len(state.conflicts)})</h2>",
        _table(
            ["rule", "subject", "outcome", "acting run", "other run", "what"],
            [[c.rule, c.subject, c.outcome, c.a_run_id, c.b_run_id, c.message] for c in state.conflicts],
            "no conflicts",
        ),
        "<h2>Alerts (last 7 days)</h2>",
        _table(
            ["sent at", "kind", "subject", "status", "destination"],
            [[a["sent_at"], a["kind"], a["subject"], a["status"], a["destination"]] for a in state.alerts],
            "no alerts",
        ),
    ]
    sections += _added_sections(log, state, since)
    style = (
        "body{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;color:#222}"
        ".level{color:#fff;padding:2px 8px;border-radius:4px;font-size:0.6em;vertical-align:middle}"
        "table{border-collapse:collapse;width:100%;font-size:0.85em}td,th{border-bottom:1px solid #ddd;"
        "padding:4px;text-align:left;vertical-align:top}.axis,.legend{font-size:11px}.empty{color:#777}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mops operations</title>'
        f"<style>{style}</style></head><body>" + "".join(sections) + "</body></html>"
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


def write(path: Path, log: OpsLog, state: MonitorState) -> Path:
    """Write the page atomically (a reader never sees half a dashboard)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(render(log, state))
    partial.replace(path)
    return path
