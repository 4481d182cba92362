"""Charts as hand-written inline SVG: bars (with interval whiskers) and a daily trend line.

Inline SVG keeps the HTML one self-contained file with no dependency and no rendering step: text
stays selectable and searchable, charts are sharp at any zoom, and a report is a few tens of kB.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

CURRENT = "#3b6ea5"
PRIOR = "#b8c4d0"
ACCENT = "#e07b39"
SITE = "#4a9a5b"
WIDTH = 720
LABEL_WIDTH = 170
VALUE_WIDTH = 110
ROW_GAP = 10


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str
    low: Sequence[float | None] | None = None  # interval ends (whiskers)
    high: Sequence[float | None] | None = None


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def _svg(height: int, title: str, body: list[str]) -> str:
    label = escape(title)
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{label}"><title>{label}</title>' + "".join(body) + "</svg>"
    )


def _legend(series: Sequence[Series], y: int) -> list[str]:
    parts, x = [], LABEL_WIDTH
    for s in series:
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{s.color}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" class="legend">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name)
    return parts


def bar_chart(
    title: str, categories: Sequence[str], series: Sequence[Series], value_format: Callable[[float | None], str]
) -> str:
    """Horizontal grouped bars, one group per category; whiskers where a series has an interval."""
    bar = 14
    group = bar * len(series) + ROW_GAP
    top = 30
    height = top + group * len(categories) + 10
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    candidates = [v for s in series for v in (*s.values, *(s.high or ())) if _finite(v)]
    scale = max([v for v in candidates if v > 0], default=1.0)
    body = _legend(series, 16)
    for i, category in enumerate(categories):
        y0 = top + i * group
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y0 + bar * len(series) / 2 + 4:.1f}" class="axis" '
            f'text-anchor="end">{escape(category)}</text>'
        )
        for j, s in enumerate(series):
            value = s.values[i]
            y = y0 + j * bar
            length = max(value, 0.0) / scale * plot if _finite(value) else 0.0
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{bar - 2}" fill="{s.color}">'
                f"<title>{escape(s.name)}: {escape(value_format(value))}</title></rect>"
            )
            end = LABEL_WIDTH + length
            if s.low is not None and s.high is not None and _finite(s.low[i]) and _finite(s.high[i]):
                lo = LABEL_WIDTH + max(s.low[i], 0.0) / scale * plot
                hi = LABEL_WIDTH + max(s.high[i], 0.0) / scale * plot
                mid = y + (bar - 2) / 2
                body.append(
                    f'<path d="M{lo:.1f} {mid:.1f}H{hi:.1f}M{lo:.1f} {y + 1}V{y + bar - 3}M{hi:.1f} {y + 1}'
                    f'V{y + bar - 3}" stroke="#222" stroke-width="1.2" fill="none"/>'
                )
                end = max(end, hi)
            body.append(f'<text x="{end + 5:.1f}" y="{y + bar - 4}" class="value">{escape(value_format(value))}</text>')
    return _svg(height, title, body)


def line_chart(
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    value_format: Callable[[float | None], str],
    mark: date | None = None,
    mark_label: str = "",
) -> str:
    """Daily lines over a shared y axis from 0; `mark` draws a vertical rule (e.g. the window start)."""
    height, top, bottom, left, right = 260, 30, 30, 92, 20
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    values = [v for s in series for v in s.values if _finite(v)]
    scale = max([v for v in values if v > 0], default=1.0)
    step = plot_w / max(len(days) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + plot_h - max(v, 0.0) / scale * plot_h

    body = _legend(series, 16)
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h - fraction * plot_h
        body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
            f"{escape(value_format(fraction * scale))}</text>"
        )
    for s in series:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(s.values) if _finite(v)))
        body.append(f'<polyline points="{points}" fill="none" stroke="{s.color}" stroke-width="1.8"/>')
    if days:
        body.append(f'<text x="{left}" y="{height - 8}" class="axis">{days[0].isoformat()}</text>')
        body.append(
            f'<text x="{WIDTH - right}" y="{height - 8}" class="axis" text-anchor="end">{days[-1].isoformat()}</text>'
        )
    if mark is not None and mark in days:
        x = left + days.index(mark) * step
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="#555" stroke-dasharray="4 3"/>'
        )
        body.append(f'<text x="{x + 4:.1f}" y="{top + 12}" class="axis">{escape(mark_label)}</text>')
    return _svg(height, title, body)
