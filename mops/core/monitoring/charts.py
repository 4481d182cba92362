"""Inline SVG charts for the operations dashboard: no script, no network, every label escaped.

Each chart is an `<svg class="chart">` whose marks carry their data (`data-series`, `data-value`,
`data-at`), so a browser test can check that what is drawn is what the records hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

import pandas as pd

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 52
PALETTE = ("#3b6ea5", "#e07b39", "#4a9a5b", "#9b59b6", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d")


def _number(value: float, unit: str = "") -> str:
    return f"{value:,.0f}{unit}" if abs(value) >= 1000 else f"{value:,.3g}{unit}"


def _empty(title: str) -> str:
    return f'<p class="empty">{escape(title)}: no data yet</p>'


def line_chart(
    title: str,
    series: dict[str, Sequence[tuple[datetime, float]]],
    unit: str = "",
    threshold: float | None = None,
    threshold_label: str = "",
) -> str:
    """Lines over time, one per named series, a dot per point (its value in a tooltip), y from 0."""
    clean = {
        name: sorted(((pd.Timestamp(t), float(v)) for t, v in values if pd.notna(v) and pd.notna(t)))
        for name, values in series.items()
    }
    clean = {name: values for name, values in clean.items() if values}
    if not clean:
        return _empty(title)
    points = [p for values in clean.values() for p in values]
    t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
    span = max((t1 - t0).total_seconds(), 1.0)
    top = max([v for _, v in points] + [threshold or 0.0]) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t) -> float:
        return LEFT + ((t - t0).total_seconds() / span * plot_w if t1 > t0 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h - v / top * plot_h

    body = [
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#999"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#999"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" class="axis">{escape(_number(top, unit))}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" class="axis">0</text>',
        f'<text x="{LEFT}" y="{TOP + plot_h + 14}" class="axis">{t0:%Y-%m-%d}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{TOP + plot_h + 14}" text-anchor="end" class="axis">{t1:%Y-%m-%d}</text>',
    ]
    if threshold is not None:
        body.append(
            f'<line class="threshold" x1="{LEFT}" y1="{y(threshold):.1f}" x2="{WIDTH - RIGHT}" y2="{y(threshold):.1f}" '
            f'stroke="#c62828" stroke-dasharray="4 3"/><text x="{WIDTH - RIGHT}" y="{y(threshold) - 3:.1f}" '
            f'text-anchor="end" class="axis" fill="#c62828">{escape(threshold_label)}</text>'
        )
    for i, (name, values) in enumerate(sorted(clean.items())):
        colour = PALETTE[i % len(PALETTE)]
        label = escape(name)
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in values)
        body.append(
            f'<g class="series" data-series="{label}" data-points="{len(values)}">'
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
        )
        for t, v in values:
            body.append(
                f'<circle class="point" cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}" '
                f'data-at="{t.isoformat()}" data-value="{v!r}"><title>{label} {t:%Y-%m-%d %H:%M}: '
                f"{escape(_number(v, unit))}</title></circle>"
            )
        body.append("</g>")
        row, column = divmod(i, 3)
        body.append(
            f'<text x="{LEFT + 220 * column}" y="{HEIGHT - 24 + 12 * row}" class="legend" fill="{colour}">'
            f"&#9632; {label}</text>"
        )
    return _svg(title, body)


def bar_chart(title: str, bars: Sequence[tuple[str, float]], unit: str = "", colours: Sequence[str] = ()) -> str:
    """Horizontal bars, one per label, the value written at the end of each."""
    bars = [(label, float(value)) for label, value in bars if pd.notna(value)]
    if not bars:
        return _empty(title)
    top = max(abs(v) for _, v in bars) or 1.0
    row_h, label_w = 22, 220
    height = TOP + row_h * len(bars) + 8
    plot_w = WIDTH - label_w - RIGHT - 70
    body = []
    for i, (label, value) in enumerate(bars):
        y = TOP + i * row_h
        width = max(abs(value) / top * plot_w, 1.0)
        colour = colours[i] if i < len(colours) else PALETTE[0]
        text = escape(label)
        body.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" class="axis">{text}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 8}" fill="{colour}" '
            f'data-series="{text}" data-value="{value!r}"><title>{text}: {escape(_number(value, unit))}</title></rect>'
            f'<text x="{label_w + width + 4:.1f}" y="{y + 14}" class="axis">{escape(_number(value, unit))}</text>'
        )
    return _svg(title, body, height)


def _svg(title: str, body: list[str], height: int = HEIGHT) -> str:
    label = escape(title)
    return (
        f'<figure><figcaption>{label}</figcaption><svg class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width:{WIDTH}px" role="img" aria-label="{label}"><title>{label}</title>'
        + "".join(body)
        + "</svg></figure>"
    )
