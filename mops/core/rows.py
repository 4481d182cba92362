"""Name offending rows in a message: by their key values (channel_id=x), by position when a frame has no key.

Every gate message that counts bad values also says which rows hold them, so a refusal can be acted on
without opening the data (issue 16: "1 null value(s)" named no channel).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

MAX_NAMED_ROWS = 5  # offending rows named per problem; the count says how many there are in all


def show_value(value: object) -> str:
    text = "null" if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def name_rows(frame: pd.DataFrame, mask: pd.Series | np.ndarray, key: tuple[str, ...] | list[str]) -> str:
    """' in rows [channel_id=x; channel_id=y and 3 more]': the offending rows by key (by position when unkeyed)."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(positions):
        return ""
    columns = [c for c in key if c in frame.columns]
    named = []
    for position in positions[:MAX_NAMED_ROWS]:
        row = frame.iloc[position]
        if columns and not any(pd.isna(row[c]) for c in columns):
            named.append(", ".join(f"{c}={show_value(row[c])}" for c in columns))
        else:
            named.append(f"row {position}" + "".join(f", {c}={show_value(row[c])}" for c in columns))
    more = f" and {len(positions) - MAX_NAMED_ROWS} more" if len(positions) > MAX_NAMED_ROWS else ""
    return f" in rows [{'; '.join(named)}{more}]"


def wrong_type_rows(series: pd.Series, kind: str) -> np.ndarray | None:
    """Which values are not of the contract type, when the column holds mixed values (object dtype)."""
    if series.dtype != object:
        return None
    checks = {"varchar": str, "boolean": bool | np.bool_, "date": date, "double": float | int, "bigint": int}
    wanted = checks.get(kind)
    if wanted is None:
        return None
    return series.map(lambda v: v is not None and not pd.isna(v) and not isinstance(v, wanted)).to_numpy(dtype=bool)
