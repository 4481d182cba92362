"""Opening connections: the DuckDB file (lock conflicts as a clear error) and PostgreSQL (unreachable as one)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from mops.core.errors import WarehouseBusy, WarehouseError, WarehouseMissing


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


def connect_postgres(url: str):
    """A psycopg2 connection to the warehouse URL; an unreachable server is a WarehouseError naming it."""
    import psycopg2

    try:
        return psycopg2.connect(url)
    except psycopg2.OperationalError as exc:
        raise WarehouseError(f"cannot connect to the PostgreSQL warehouse {url}: {exc}") from exc
