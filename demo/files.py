"""Writing export files as the platforms do: JSON Lines, fixed decimals, one file per account and month."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def month_key(days: pd.Series) -> pd.Series:
    return pd.to_datetime(days).dt.strftime("%Y-%m")


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")


def fmt(value: float, decimals: int = 2) -> str:
    return f"{value:.{decimals}f}"
