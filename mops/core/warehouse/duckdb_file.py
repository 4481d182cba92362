"""Connections to the embedded DuckDB warehouse, with the lock conflict turned into a clear error."""

from __future__ import annotations

from pathlib import Path

import duckdb

from mops.core.errors import WarehouseBusy, WarehouseMissing


def connect_duckdb(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; DuckDB allows one read-write process, so say who holds it."""
    if read_only and not path.exists():
        raise WarehouseMissing(f"warehouse {path} does not exist yet: run `mops ingest` and `mops build`")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy(f"warehouse {path} is open in another process (one writer at a time): {exc}") from exc
        raise
