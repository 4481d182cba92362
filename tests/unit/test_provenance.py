"""Content hashes of frames: any change of a value, row or column changes them; order and dtype carriers do not."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from mops.core.runtime.provenance import Provenance, frame_hash


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": ["search", "social", None],
            "credit": [0.5, 0.25, np.nan],
            "rows": [3, 4, 5],
            "day": [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)],
            "at": [datetime(2026, 6, 1, 8), datetime(2026, 6, 2, 9), None],
            "is_paid": [True, False, True],
        }
    )


def test_same_rows_in_any_order_and_dtype_carrier_hash_alike():
    base = frame()
    shuffled = base.iloc[[2, 0, 1]][list(reversed(base.columns))].reset_index(drop=True)
    assert frame_hash(shuffled) == frame_hash(base)
    read_back = base.assign(day=pd.to_datetime(base["day"]), rows=base["rows"].astype("float64"))
    assert frame_hash(read_back) == frame_hash(base)  # DATE read back as datetime64, bigint as float


def test_any_change_changes_the_hash():
    base = frame()
    changed = [
        base.assign(credit=[0.5, 0.26, np.nan]),
        base.assign(channel=["search", "Social", None]),
        base.assign(channel=["search", "social", "None"]),  # a missing value is not the text None
        base.iloc[:2],
        pd.concat([base, base.iloc[[0]]]),  # a duplicated row
        base.rename(columns={"rows": "row_count"}),
        base.drop(columns="is_paid"),
        base.assign(at=[datetime(2026, 6, 1, 8, 0, 1), datetime(2026, 6, 2, 9), None]),
    ]
    hashes = {frame_hash(base)} | {frame_hash(c) for c in changed}
    assert len(hashes) == len(changed) + 1


def test_empty_frames_hash_their_columns():
    assert frame_hash(pd.DataFrame(columns=["a"])) != frame_hash(pd.DataFrame(columns=["b"]))


def test_provenance_records_rows_hashes_and_cost():
    evidence = Provenance()
    evidence.read("marts.fct_x_v1", 1, frame())
    evidence.wrote("agents.y_v2", 2, frame().iloc[:1])
    details = evidence.details()
    columns = sorted(frame().columns)
    assert details["inputs"] == [
        {"table": "marts.fct_x_v1", "version": 1, "rows": 3, "hash": frame_hash(frame()), "columns": columns}
    ]
    assert details["outputs"][0]["rows"] == 1 and details["hash_ms"] >= 0


def _reference_hash(frame: pd.DataFrame) -> str:
    """The definition, computed the plain way: pandas' row hashes of the canonical frame, sorted, SHA-256."""
    import hashlib

    from mops.core.runtime.provenance import NULL, _canonical

    columns = sorted(frame.columns, key=str)
    digest = hashlib.sha256("|".join(str(c) for c in columns).encode())

    def plain(column: pd.Series) -> pd.Series:  # text as Python objects, a missing value as the null marker
        if pd.api.types.infer_dtype(column, skipna=True) == "string":
            return column.astype(object).where(column.notna(), NULL)
        return _canonical(column)

    canonical = pd.DataFrame({str(c): plain(frame[c]) for c in columns}, index=frame.index)
    rows = pd.util.hash_pandas_object(canonical, index=False, categorize=False).to_numpy(dtype=np.uint64)
    digest.update(np.sort(rows).tobytes())
    return digest.hexdigest()


def test_column_by_column_hashing_equals_the_row_hash_definition():
    rng = np.random.default_rng(3)
    rows = 20_000  # large enough for the repeated-text path
    big = pd.DataFrame(
        {
            "conversion_id": [f"c{i}" for i in range(rows)],
            "channel": rng.choice(["search", "social", "email", None], rows),
            "path": [" > ".join(p) for p in rng.choice(["a", "b", "c"], (rows, 3))],
            "credit": rng.random(rows),
            "at": pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 86400, rows), "s"),
        }
    )
    for sample in (big, frame(), big.iloc[:100]):
        assert frame_hash(sample) == _reference_hash(sample)


def test_every_kind_of_column_hashes_as_the_definition_says():
    """Columns are hashed a kind at a time (numbers, times, text in one block each); the rest one by one."""
    rows = 50
    rng = np.random.default_rng(5)
    mixed = pd.DataFrame(
        {
            "flag": rng.random(rows) > 0.5,
            "count": rng.integers(-5, 5, rows),
            "small": rng.integers(0, 9, rows).astype("int8"),
            "share": np.where(rng.random(rows) > 0.8, np.nan, rng.random(rows)),
            "nullable": pd.array([None if i % 7 == 0 else i for i in range(rows)], dtype="Int64"),
            "day": pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 30, rows), "D"),
            "at_utc": pd.date_range("2026-06-01", periods=rows, freq="h", tz="America/New_York"),
            "as_dates": [date(2026, 6, 1 + i % 28) for i in range(rows)],
            "label": pd.array([None if i % 5 == 0 else f"l{i % 3}" for i in range(rows)], dtype="str"),
            "objects": [f"o{i}" if i % 4 else None for i in range(rows)],
            "mixed": [i if i % 2 else f"t{i}" for i in range(rows)],
        }
    )
    mixed.loc[3, "at_utc"] = pd.NaT
    assert frame_hash(mixed) == _reference_hash(mixed)
    assert frame_hash(mixed.drop(columns=["label"])) == _reference_hash(mixed.drop(columns=["label"]))
    assert frame_hash(mixed.iloc[:1]) == _reference_hash(mixed.iloc[:1])
