"""What one agent run read and wrote, as ledger evidence: table, version, rows and a content hash per frame.

The hash is of the frames already in memory (no second read): values are put in one canonical form
(so the frame an agent returned and the rows read back from the warehouse hash alike), each row is
hashed by pandas' vectorised `hash_pandas_object` (64 bits per row, columns in name order),
the row hashes are sorted (a relation has no row order: the same rows read in another order give the
same hash) and SHA-256 is taken over them with the column names and dtypes. It detects any change of
a value, row or column; it is not a defence against someone crafting rows to collide with 64-bit row
hashes (the ledger's own chain is SHA-256 throughout).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

# how pandas combines column hashes into a row hash (hash_pandas_object of a frame); pandas is pinned
from pandas.core.util.hashing import combine_hash_arrays

HASH = "sha256(sorted pandas row hashes)"
NULL = "\0null"  # a missing text value (never equal to any text)


def _canonical(column: pd.Series) -> pd.Series:
    """One representation per value whatever dtype carries it (the frame an agent returned and the same rows
    read back from DuckDB or PostgreSQL): times as nanoseconds, numbers and booleans as float64, else text."""
    values = column
    if values.dtype == object:
        sample = values.dropna()
        if len(sample) and isinstance(sample.iloc[0], (date, datetime, pd.Timestamp)):
            values = pd.to_datetime(values)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return pd.Series(values.astype("datetime64[ns]").to_numpy().view("int64"), index=column.index)
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    if isinstance(values.dtype, pd.StringDtype):  # text for sure: hashed as the same text held as objects
        return values.fillna(NULL)
    text = values.astype(object).where(values.notna(), NULL)
    if pd.api.types.infer_dtype(text, skipna=False) != "string":  # mixed or non-text objects: as their text
        text = text.astype(str)
    return text


def _repeats_often(values: pd.Series, sample: int = 2_000) -> bool:
    """Text with few distinct values (channels, paths, statuses): hashing its distinct values once is cheaper."""
    if values.dtype.kind in "biufcmM" or len(values) < 4 * sample:
        return False
    probe = values.iloc[:: max(len(values) // sample, 1)]
    return probe.nunique(dropna=False) < 0.3 * len(probe)


def _column_hashes(values: pd.Series) -> np.ndarray:
    """The 64-bit hash of each value; the same numbers whether or not the distinct values are hashed once."""
    hashed = pd.util.hash_pandas_object(values, index=False, categorize=_repeats_often(values))
    return hashed.to_numpy(dtype=np.uint64)


def _plain_kind(dtype: object) -> str:
    """The columns hashed as one block per kind: plain numpy numbers and times, pandas' own text; '' for the rest
    (object columns, nullable and tz-aware dtypes), which go through `_canonical` one by one."""
    if isinstance(dtype, np.dtype):
        return {"b": "number", "i": "number", "u": "number", "f": "number", "M": "time"}.get(dtype.kind, "")
    return "text" if isinstance(dtype, pd.StringDtype) else ""


def _split(hashes: np.ndarray, columns: list) -> dict:
    return dict(zip(columns, np.split(hashes, len(columns)), strict=True))


def _hashes_by_column(frame: pd.DataFrame, columns: list) -> list[np.ndarray]:
    """Each column's value hashes, the same numbers as `_column_hashes(_canonical(column))`, with one hashing call
    per kind of column instead of one per column (a frame of a few rows and 30 columns costs 3 calls, not 30)."""
    hashes: dict = {}
    groups: dict[str, list] = {"number": [], "time": [], "text": []}
    for column in columns:
        values = frame[column]
        kind = _plain_kind(values.dtype)
        if kind == "text" and _repeats_often(values):
            hashes[column] = _column_hashes(values.fillna(NULL))  # distinct values hashed once
        elif kind:
            groups[kind].append(column)
        else:
            hashes[column] = _column_hashes(_canonical(values))
    if numbers := groups["number"]:  # column after column, as float64 (booleans 0/1, integers exact to 2**53)
        hashes |= _split(pd.util.hash_array(frame[numbers].to_numpy(dtype="float64").ravel(order="F")), numbers)
    if times := groups["time"]:
        block = np.concatenate([frame[c].to_numpy().astype("datetime64[ns]").view("int64") for c in times])
        hashes |= _split(pd.util.hash_array(block), times)
    if texts := groups["text"]:
        block = np.concatenate([frame[c].to_numpy(dtype=object, na_value=NULL) for c in texts])
        hashes |= _split(pd.util.hash_array(block, categorize=False), texts)
    return [hashes[column] for column in columns]


def frame_hash(frame: pd.DataFrame) -> str:
    """Order-independent content hash of a frame's rows (any row order, any column order, any dtype carrier).

    Each row's hash is pandas' `hash_pandas_object` of the row (its columns' hashes combined in name order),
    computed a kind of column at a time so each is hashed the cheapest way.
    """
    columns = sorted(frame.columns, key=str)
    digest = hashlib.sha256()
    digest.update("|".join(str(c) for c in columns).encode())
    if len(frame) and columns:
        rows = combine_hash_arrays(iter(_hashes_by_column(frame, columns)), len(columns))
        digest.update(np.sort(rows).tobytes())
    return digest.hexdigest()


@dataclass
class Provenance:
    """The evidence of one agent run; `hash_s` is what hashing cost (reported, so it can be measured)."""

    inputs: list[dict] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)
    hash_s: float = 0.0

    def _entry(self, table: str, version: int | None, frame: pd.DataFrame) -> dict:
        started = time.perf_counter()
        entry = {"table": table, "version": version, "rows": len(frame), "hash": frame_hash(frame)}
        entry["columns"] = sorted(str(c) for c in frame.columns)  # what the hash covers: reproducible by a read
        self.hash_s += time.perf_counter() - started
        return entry

    def read(self, table: str, version: int | None, frame: pd.DataFrame) -> None:
        self.inputs.append(self._entry(table, version, frame))

    def wrote(self, table: str, version: int | None, frame: pd.DataFrame) -> None:
        self.outputs.append(self._entry(table, version, frame))

    def details(self) -> dict:
        return {"inputs": self.inputs, "outputs": self.outputs, "hash": HASH, "hash_ms": round(1000 * self.hash_s, 3)}
