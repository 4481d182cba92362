"""The report's building blocks: sections of text, tables of formatted cells and charts.

Building the cells once is what keeps the HTML and Markdown renderings showing the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from agents.reporting import formatting as fmt


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Section:
    title: str
    anchor: str
    available: bool = True
    stale_inputs: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # inline SVG (HTML only)


def num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def with_interval(row: pd.Series, column: str, metric: str, currency: str) -> str:
    """`value [low – high]` of a point column and its _low/_high columns."""
    value = fmt.metric(metric, num(row[column]), currency)
    bounds = fmt.interval(metric, num(row[f"{column}_low"]), num(row[f"{column}_high"]), currency)
    return f"{value} {bounds}".strip()


def missing(name: str, title: str) -> Section:
    return Section(
        title,
        name,
        available=False,
        paragraphs=[f"Not available in this run: {name} v1 was not produced (its agent has not run for this context)."],
    )
