"""Validation gates: checks on an agent's inputs before it runs and on its outputs after.

Each check returns problems as text naming the table, the column and the rule, so a failed gate
explains itself; the runner refuses to run (or to write) on any problem.
"""

from __future__ import annotations

import statistics
from datetime import date

import pandas as pd

from mops.core.errors import MopsError
from mops.core.runtime.agent import Read
from mops.core.sqltypes import type_family


class GateFailed(MopsError):
    """A gate found problems; nothing was written and the previous outputs stand."""

    def __init__(self, agent: str, stage: str, problems: list[str]):
        self.agent = agent
        self.stage = stage
        self.problems = problems
        listed = "\n  - ".join(problems)
        super().__init__(f"agent {agent}: {stage} gate failed:\n  - {listed}")


def check_model_schema(label: str, contract: dict[str, str], actual: dict[str, str]) -> list[str]:
    """The relation in the warehouse has every contract column with its type family."""
    problems = []
    for column, declared in contract.items():
        if column not in actual:
            problems.append(f"{label}: column {column}: contract: missing in the warehouse (run `mops build`)")
        elif declared and type_family(declared) != type_family(actual[column]):
            problems.append(f"{label}: column {column}: contract: type {actual[column]}, contract says {declared}")
    return problems


def check_read_expectations(label: str, read: Read, frame: pd.DataFrame) -> list[str]:
    """The columns the consumer relies on exist, and the grain it assumes holds on the data."""
    problems = []
    missing = [c for c in (*read.columns, *read.key) if c not in frame.columns]
    if missing:
        problems.append(f"{label}: columns {missing}: expected by the reader: not in the relation")
        return problems
    if read.key and len(frame):
        duplicated = int(frame.duplicated(list(read.key)).sum())
        if duplicated:
            problems.append(
                f"{label}: key {list(read.key)}: grain: {duplicated} duplicate row(s); the reader assumes one row "
                f"per {', '.join(read.key)} (a changed grain upstream: pin the version you were built for)"
            )
    return problems


MIN_COMPARABLE_READS = 3  # the volume gate refuses only against at least this many comparable earlier reads


def check_volume(label: str, read: Read, rows: int, history: list[int]) -> list[str]:
    """At least min_rows, and within the declared tolerance of the median of recent comparable reads.

    `history` holds only comparable reads (same agent, input, mode and window length; mops.core.ops.volumes).
    """
    if rows < read.min_rows:
        return [f"{label}: rows: volume: {rows} row(s), at least {read.min_rows} required"]
    if len(history) < MIN_COMPARABLE_READS:
        return []
    median = statistics.median(history)
    low, high = median * (1 - read.volume_tolerance), median * (1 + read.volume_tolerance)
    if not low <= rows <= high:
        return [
            f"{label}: rows: volume: {rows} row(s) outside [{low:.0f}, {high:.0f}] "
            f"(median of the last {len(history)} comparable reads {median:.0f} +/- {read.volume_tolerance:.0%}); "
            "if the new level is right, accept it: mops gates accept AGENT INPUT --reason TEXT"
        ]
    return []


def check_freshness(label: str, read: Read, newest: object, window_end: date) -> list[str]:
    """The newest value of the freshness column is at most max_age_days before the window end."""
    if read.freshness_column is None or read.max_age_days is None:
        return []
    if newest is None or pd.isna(newest):
        return [f"{label}: column {read.freshness_column}: freshness: no rows, so no data newer than any date"]
    newest_day = pd.Timestamp(newest).date()
    age = (window_end - newest_day).days
    if age > read.max_age_days:
        return [
            f"{label}: column {read.freshness_column}: freshness: newest {newest_day} is {age} day(s) before "
            f"the window end {window_end}; at most {read.max_age_days:g} allowed (stale input)"
        ]
    return []
