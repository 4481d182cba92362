"""The one warehouse adapter: the only code that reads or writes the warehouse for agents.

Models are resolved through dbt's manifest.json (name + version -> schema.alias, contract columns,
PII meta), so agents name what they read the way dbt does. Writes of one agent run go in one
transaction: each output table's partition for the run context is replaced whole or not at all.

The interface (`Warehouse`) speaks in schema/table names and pandas frames only; `DuckDBWarehouse`
is the embedded implementation and `PostgresWarehouse` the scale-out one.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import pandas as pd

from mops.core.errors import WarehouseError
from mops.core.settings import Settings

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _ident(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise WarehouseError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


@dataclass(frozen=True)
class ModelRelation:
    """A dbt model resolved through the manifest."""

    model: str
    version: int | None
    schema: str
    name: str
    columns: dict[str, str]  # contract column -> data type
    pii_columns: tuple[str, ...]

    @property
    def label(self) -> str:
        return (
            f"{self.model}"
            + (f" v{self.version}" if self.version is not None else "")
            + f" ({self.schema}.{self.name})"
        )


class DbtManifest:
    """dbt's manifest.json: which relation a model name and version is, and its contract."""

    def __init__(self, path: Path):
        if not path.exists():
            raise WarehouseError(f"dbt manifest {path} not found: run `mops build` first")
        self.path = path
        self._nodes = json.loads(path.read_text())["nodes"]

    def resolve(self, model: str, version: int | None = None) -> ModelRelation:
        candidates = [n for n in self._nodes.values() if n["resource_type"] == "model" and n["name"] == model]
        if not candidates:
            raise WarehouseError(f"dbt model {model!r} is not in the manifest {self.path}")
        if version is None:
            latest = candidates[0].get("latest_version")
            version = int(latest) if latest is not None else None
        chosen = [
            n
            for n in candidates
            if (n.get("version") is None and version is None) or str(n.get("version")) == str(version)
        ]
        if not chosen:
            known = sorted(str(n.get("version")) for n in candidates)
            raise WarehouseError(f"dbt model {model!r} has no version {version} (known: {known})")
        node = chosen[0]
        columns = {name: (col.get("data_type") or "") for name, col in node["columns"].items()}
        pii = tuple(name for name, col in node["columns"].items() if (col.get("meta") or {}).get("pii"))
        return ModelRelation(model, version, node["schema"], node["alias"], columns, pii)

    def public_relations(self) -> list[ModelRelation]:
        """Every version of every public model (the unified model agents and analysts read), by name."""
        nodes = [n for n in self._nodes.values() if n["resource_type"] == "model" and n.get("access") == "public"]
        nodes.sort(key=lambda n: (n["name"], str(n.get("version"))))
        return [self.resolve(n["name"], n.get("version")) for n in nodes]


@dataclass(frozen=True)
class Window:
    """Rows whose `column` falls on the days start..end (inclusive)."""

    column: str
    start: date
    end: date


class Warehouse(ABC):
    """What the runtime needs from a warehouse; nothing DuckDB-specific leaks through."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # log tables this connection has checked (name and columns): an append checks each once, not per row batch
        self._ensured: set[tuple] = set()

    @cached_property
    def manifest(self) -> DbtManifest:
        return DbtManifest(self.settings.dbt_target_path / "manifest.json")

    @abstractmethod
    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a read-only query (placeholders: `?`)."""

    def columns(self, schema: str, name: str) -> dict[str, str]:
        """Column name -> type of an existing relation; empty if it does not exist."""
        rows = self.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name],
        )
        return dict(zip(rows.column_name, rows.data_type, strict=True))

    @abstractmethod
    def _transaction(self):
        """A context manager yielding a cursor in one transaction: committed whole or rolled back."""

    @abstractmethod
    def _load(self, cursor, schema: str, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
        """Insert the frame's rows, cast to `types`, inside the cursor's transaction."""

    def replace_partitions(
        self, tables: dict[tuple[str, str], tuple[pd.DataFrame, dict[str, str]]], column: str, value: str
    ) -> None:
        """In each table, replace the rows whose `column` equals `value` with the frame; all or nothing."""
        with self._transaction() as cursor:
            for (schema, name), (frame, types) in tables.items():
                self._ensure(cursor, schema, name, types)
                cursor.execute(
                    f"delete from {_ident(schema)}.{_ident(name)} where {_ident(column)} = {self.PARAM}", [value]
                )
                self._load(cursor, schema, name, frame, types)

    def append_rows(self, schema: str, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
        """Append rows to a log table (created on first use; checked once per connection)."""
        key = (schema, name, tuple(types.items()))
        with self._transaction() as cursor:
            if key not in self._ensured:
                self._ensure(cursor, schema, name, types)
            self._load(cursor, schema, name, frame, types)
        self._ensured.add(key)  # after the commit: a rolled-back create is checked again

    def insert_values(self, schema: str, name: str, rows: list[dict], types: dict[str, str]) -> None:
        """Append a few rows as bound parameters, no frame (the ledger's entry or two per append: a frame's
        construction and registration cost more than the insert itself)."""
        key = (schema, name, tuple(types.items()))
        values = ", ".join(f"cast({self.PARAM} as {sql_type})" for sql_type in types.values())
        target = ", ".join(_ident(c) for c in types)
        with self._transaction() as cursor:
            if key not in self._ensured:
                self._ensure(cursor, schema, name, types)
            sql = f"insert into {_ident(schema)}.{_ident(name)} ({target}) values ({values})"
            cursor.executemany(sql, [[row.get(column) for column in types] for row in rows])
        self._ensured.add(key)

    @abstractmethod
    def fetch(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows of a small read-only query as tuples (placeholders: `?`), without a frame."""

    # the DB-API placeholder of the implementation's driver
    PARAM = "?"

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def _ensure(self, cursor, schema: str, name: str, types: dict[str, str]) -> None:
        """The table exists with every column; a column added by a compatible contract edit is nullable."""
        ddl = ", ".join(f"{_ident(c)} {t}" for c, t in types.items())
        cursor.execute(
            f"select column_name from information_schema.columns where table_schema = {self.PARAM} "
            f"and table_name = {self.PARAM}",
            [schema, name],
        )
        existing = {row[0] for row in cursor.fetchall()}
        if not existing:  # a role that may only append (ops.audit_log on PostgreSQL) never issues DDL
            cursor.execute(f"create schema if not exists {_ident(schema)}")
            cursor.execute(f"create table if not exists {_ident(schema)}.{_ident(name)} ({ddl})")
            existing = set(types)
        for added in [c for c in types if c not in existing]:
            cursor.execute(f"alter table {_ident(schema)}.{_ident(name)} add column {_ident(added)} {types[added]}")

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def exists(self, schema: str, name: str) -> bool:
        return bool(self.columns(schema, name))

    def read(
        self,
        schema: str,
        name: str,
        columns: list[str] | None = None,
        window: Window | None = None,
        equals: dict[str, object] | None = None,
    ) -> pd.DataFrame:
        select = ", ".join(_ident(c) for c in columns) if columns else "*"
        conditions: list[str] = []
        params: list = []
        if window is not None:
            conditions.append(f"{_ident(window.column)} >= ? and {_ident(window.column)} < ?")
            params += [window.start, window.end + timedelta(days=1)]
        for column, value in (equals or {}).items():
            conditions.append(f"{_ident(column)} = ?")
            params.append(value)
        where = f" where {' and '.join(conditions)}" if conditions else ""
        return self.query(f"select {select} from {_ident(schema)}.{_ident(name)}{where}", params)


class DuckDBWarehouse(Warehouse):
    """The embedded warehouse: one read-write connection per process, a cursor per thread."""

    def __init__(self, settings: Settings, read_only: bool = False):
        super().__init__(settings)
        from mops.core.warehouse.connections import connect_duckdb

        self._con = connect_duckdb(settings.warehouse_path, read_only=read_only)
        self._write_lock = threading.Lock()

    def close(self) -> None:
        self._con.close()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        cursor = self._con.cursor()
        try:
            return cursor.execute(sql, params or []).df()
        finally:
            cursor.close()

    def fetch(self, sql: str, params: list | None = None) -> list[tuple]:
        cursor = self._con.cursor()
        try:
            return cursor.execute(sql, params or []).fetchall()
        finally:
            cursor.close()

    def _load(self, cursor, schema: str, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
        cursor.register("_mops_frame", frame)
        try:
            select = ", ".join(f"cast({_ident(c)} as {t})" for c, t in types.items())
            target = ", ".join(_ident(c) for c in types)
            cursor.execute(f"insert into {_ident(schema)}.{_ident(name)} ({target}) select {select} from _mops_frame")
        finally:
            # after a failed insert the transaction is aborted and unregister fails too: keep the first error
            with contextlib.suppress(Exception):
                cursor.unregister("_mops_frame")

    @contextlib.contextmanager
    def _transaction(self):
        """A cursor in one transaction, one writer at a time: committed whole or rolled back."""
        with self._write_lock:
            cursor = self._con.cursor()
            try:
                cursor.begin()
                yield cursor
                cursor.commit()
            except BaseException:
                cursor.rollback()
                raise
            finally:
                cursor.close()


class PostgresWarehouse(Warehouse):
    """The scale-out warehouse: one connection, serialised by a lock; rows travel by COPY."""

    PARAM = "%s"
    # psycopg2 type codes whose values pandas would otherwise keep as Python objects
    NUMERIC, DATE, TIMESTAMP, TIMESTAMPTZ = 1700, 1082, 1114, 1184

    def __init__(self, settings: Settings, read_only: bool = False):
        super().__init__(settings)
        from mops.core.warehouse.connections import connect_postgres

        self._con = connect_postgres(settings.warehouse_url)
        self._con.set_session(readonly=read_only, autocommit=False)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._con.close()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self._lock, self._con.cursor() as cursor:
            try:
                cursor.execute(sql.replace("?", "%s"), params or [])
                rows = cursor.fetchall()
                description = cursor.description
            finally:
                self._con.rollback()  # reads never leave a transaction open
        frame = pd.DataFrame(rows, columns=[d.name for d in description])
        for d in description:
            if d.type_code == self.NUMERIC:
                frame[d.name] = pd.to_numeric(frame[d.name], errors="coerce").astype("float64")
            elif d.type_code in (self.DATE, self.TIMESTAMP):
                frame[d.name] = pd.to_datetime(frame[d.name])
        return frame

    def fetch(self, sql: str, params: list | None = None) -> list[tuple]:
        with self._lock, self._con.cursor() as cursor:
            try:
                cursor.execute(sql.replace("?", "%s"), params or [])
                return cursor.fetchall()
            finally:
                self._con.rollback()

    @staticmethod
    def _cast(column: str, sql_type: str) -> str:
        if sql_type == "bigint":  # '3.0' from a float column: through numeric
            return f"cast(cast({_ident(column)} as numeric) as bigint)"
        return f"cast({_ident(column)} as {sql_type})"

    def _load(self, cursor, schema: str, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
        import csv
        import io

        cursor.execute(
            "create temporary table _mops_rows (" + ", ".join(f"{_ident(c)} text" for c in types) + ") on commit drop"
        )
        buffer = io.StringIO()
        frame[list(types)].to_csv(buffer, index=False, header=False, quoting=csv.QUOTE_NONNUMERIC, na_rep="")
        buffer.seek(0)
        # quoted empty fields (how pandas writes a missing timestamp) are NULL too
        force_null = ", ".join(_ident(c) for c in types)
        cursor.copy_expert(f"copy _mops_rows from stdin with (format csv, null '', force_null ({force_null}))", buffer)
        target = ", ".join(_ident(c) for c in types)
        select = ", ".join(self._cast(c, t) for c, t in types.items())
        cursor.execute(f"insert into {_ident(schema)}.{_ident(name)} ({target}) select {select} from _mops_rows")
        cursor.execute("drop table _mops_rows")

    @contextlib.contextmanager
    def _transaction(self):
        """A cursor in one transaction, one writer at a time: committed whole or rolled back."""
        with self._lock, self._con.cursor() as cursor:
            try:
                yield cursor
                self._con.commit()
            except BaseException:
                self._con.rollback()
                raise


def open_warehouse(settings: Settings, read_only: bool = False) -> Warehouse:
    """The warehouse the settings point at: PostgreSQL when warehouse_url is set, else the DuckDB file."""
    if settings.warehouse_url:
        return PostgresWarehouse(settings, read_only=read_only)
    return DuckDBWarehouse(settings, read_only=read_only)
