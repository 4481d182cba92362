"""The parts of a landing format beyond its fields: accepted shapes and value rules.

Declared per table in contracts/landing/<source>.yml, next to the fields, so what a file may look
like (envelopes, name styles, web-UI downloads) and what its values must satisfy (per canonical
metric) live in one place and are documented by `mops generate`; ingest code never special-cases a
platform.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field

from mops.core.base import StrictModel


class Envelope(StrictModel):
    """An API response that wraps the rows; unwrapped at ingest."""

    name: str
    rows: str = Field(description="Dotted path to the list of rows inside the response.")
    context: dict[str, str] = Field(
        default_factory=dict,
        description="Registry field -> dotted path in the response, used where the rows lack the field.",
    )


class Shapes(StrictModel):
    """Name variants and wrappers of one API's rows, all mapped onto the same registry fields."""

    name_styles: tuple[Literal["camelCase"], ...] = ()  # camelCase names of the snake_case fields
    unnest: tuple[str, ...] = ()  # row records lifted to the top ({dimensions: {..}, metrics: {..}})
    envelopes: tuple[Envelope, ...] = ()
    known_extras: tuple[str, ...] = ()  # glob patterns of fields the platform adds: kept, not reported as new
    file_name_fields: dict[str, str] = Field(
        default_factory=dict,
        description="Registry field -> regex with one group on the file name, used where rows and envelope lack it.",
    )


class DownloadColumn(StrictModel):
    field: str | None = None  # None: a known column mops does not use (kept with the extras)
    scale: float | None = None  # multiply the number (Cost in currency -> cost in micros)
    format: str | None = None  # strptime format of a date written differently by the UI
    remove: str = ""  # characters the UI adds to a number, removed before the cast ('-' in 123-456-7890)


class Download(StrictModel):
    """A spreadsheet downloaded from the platform's web UI: a version with display-name headers."""

    description: str
    headers: dict[str, str | DownloadColumn | None]  # display header -> field; '{currency}' captures a code
    optional: tuple[str, ...] = ()  # headers that may be absent
    currency_field: str | None = None  # field filled with the currency captured from a header
    thousands: str | None = None  # thousands separator the UI writes, e.g. ',' in '1,234'
    decimal: str = "."
    null_values: tuple[str, ...] = ()  # placeholders the UI writes for "no value", e.g. '--'
    total_rows: tuple[str, ...] = ("Total",)  # rows whose first cell starts with one of these are skipped

    def column(self, header: str) -> DownloadColumn:
        spec = self.headers[header]
        return spec if isinstance(spec, DownloadColumn) else DownloadColumn(field=spec)

    def header_patterns(self) -> dict[str, re.Pattern]:
        """Header as declared -> regex matching it in a file ('{currency}' captures the code)."""
        return {
            h: re.compile("^" + re.escape(h).replace(re.escape("{currency}"), "(?P<currency>[A-Z]{3})") + "$")
            for h in self.headers
        }


class MetricRule(StrictModel):
    """Value rules of one canonical metric, checked on every row at ingest."""

    not_null: bool = False
    negative: Literal["refuse", "flag", "allow"] = "refuse"
    at_most: str | None = None  # another canonical metric this one cannot exceed (clicks <= impressions)
    unless_zero: bool = False  # rows where that other metric is 0 are exempt (clicks on yesterday's impressions)
    why: str = ""  # the documented reason for a flag or an exception


class UnitRule(StrictModel):
    """Plausible cost per click and per thousand impressions, in US-dollar equivalents.

    Catches money in the wrong unit from the data itself: whole currency under a micros name makes the
    implied CPC a millionth of a cent, micros under a currency name makes it thousands of dollars.
    """

    cpc: tuple[float, float] = (0.0005, 5000.0)
    cpm: tuple[float, float] = (0.0005, 50000.0)


class DateRule(StrictModel):
    """Rows dated outside what the platform can have reported are refused with the row named."""

    fields: tuple[str, ...]  # one date or timestamp field, or the year, month and day fields
    earliest: date
    future_days: int | None = 3  # None: no upper bound (plans reach into the future)
