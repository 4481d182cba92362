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


def frame_hash(frame: pd.DataFrame) -> str:
    """Order-independent content hash of a frame's rows (any row order, any column order, any dtype carrier).

    Each row's hash is pandas' `hash_pandas_object` of the row (its columns' hashes combined in name order),
    computed column by column so each column is hashed the cheapest way.
    """
    columns = sorted(frame.columns, key=str)
    digest = hashlib.sha256()
    digest.update("|".join(str(c) for c in columns).encode())
    if len(frame) and columns:
        hashes = (_column_hashes(_canonical(frame[c])) for c in columns)
        rows = combine_hash_arrays(hashes, len(columns))
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
