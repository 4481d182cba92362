"""Load platform export files from the landing folder into the raw schema, one file per transaction.

A file is identified by its folder (<source>/<table>/), read safely (mops.core.ingest_files), its
columns mapped onto the registry fields as the table's declared shapes allow (mops.core.ingest_shapes),
cast to the declared types, checked by the value rules (mops.core.ingest_rules), and written with its
provenance. Columns the format does not know are kept in `_mops_extras` and reported as new fields.
A file that cannot be read, lacks a required field, has a value of the wrong type or breaks a value
rule is refused with a message naming the file, the field, the row and the rule, and nothing of it
is written. Loading the same content twice adds nothing; a re-export replaces its earlier rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from mops.core.base import utcnow
from mops.core.errors import RefusedFile
from mops.core.ingest_files import SUPPORTED_SUFFIXES, Entry, FileBytes, inspect_bytes, is_text, scan_landing
from mops.core.ingest_pool import WORKERS, run_files
from mops.core.ingest_shapes import q
from mops.core.ingest_stage import StagedFile, stage_file
from mops.core.landing import LandingTable, Registry
from mops.core.sqltypes import SQL_TYPES

__all__ = ["SUPPORTED_SUFFIXES", "StagedFile", "q", "stage_file"]

RAW_SCHEMA = "raw"
BULK_CHECKPOINT = "1GB"  # WAL size at which a run checkpoints before its end (a bound on the WAL, not a goal)
SESSION = (  # settings of every connection ingest runs statements on
    "set TimeZone = 'UTC'",
    "set enable_progress_bar = false",  # a bar per statement costs time and fills logs
)
FILES_TABLE = f"{RAW_SCHEMA}._mops_files"
EXTRAS_COLUMN = "_mops_extras"
META_COLUMNS = {
    "_mops_file": "varchar",
    "_mops_format_version": "varchar",
    "_mops_row": "bigint",
    "_mops_loaded_at": "timestamp",
    EXTRAS_COLUMN: "varchar",  # JSON object of the columns the format does not know (null: none)
}
# Long, mostly distinct JSON text (GA4's event_params, the extras) is stored with ZSTD: DuckDB's default for
# text (DICT_FSST) is chosen per segment and costs 2.5x the CPU to write, for a file 4x larger (DECISIONS)
JSON_STORAGE = "varchar using compression zstd"
FILES_COLUMNS = {
    "file_path": "varchar primary key",
    "source": "varchar",
    "table_name": "varchar",
    "format_version": "varchar",
    "sha256": "varchar",
    "row_count": "bigint",
    "schema_fingerprint": "varchar",
    "columns": "varchar",
    "loaded_at": "timestamp",
    "new_fields": "varchar",  # JSON list of columns the format does not know: the schema-change notice
    "notices": "varchar",  # JSON list of flags and reading notes (encoding, skipped lines, flagged values)
}


@dataclass(frozen=True)
class FileResult:
    path: str
    status: str  # loaded | replaced | unchanged | duplicate | refused | skipped
    table: str | None = None
    version: str | None = None
    rows: int = 0
    message: str = ""
    new_fields: tuple[str, ...] = ()  # columns the format does not know (kept in _mops_extras)
    notices: tuple[str, ...] = ()  # flagged values and reading notes

    @property
    def new_fields_summary(self) -> str:
        shown = ", ".join(self.new_fields[:10])
        more = f" and {len(self.new_fields) - 10} more" if len(self.new_fields) > 10 else ""
        return f"{shown}{more} (kept in {EXTRAS_COLUMN})"


@dataclass
class FileLog:
    """The ingest log's paths and content hashes, read once per run and kept up to date by its writes.

    Only the ingest writes raw._mops_files, and one process at a time writes the warehouse, so the run's
    own copy answers "already loaded?", "same content as?" and "a re-export?" without a query per file.
    """

    sha_of: dict[str, str]  # file path -> sha256 of the content loaded
    paths_of: dict[str, list[str]] = field(default_factory=dict)  # sha256 -> the paths loaded with it

    def __post_init__(self) -> None:
        for path, sha in self.sha_of.items():
            self.paths_of.setdefault(sha, []).append(path)

    @classmethod
    def read(cls, con) -> FileLog:
        return cls(dict(con.execute(f"select file_path, sha256 from {FILES_TABLE} order by loaded_at").fetchall()))

    def same_content(self, sha: str) -> list[str]:
        return self.paths_of.get(sha, [])

    def record(self, rel: str, sha: str) -> None:
        old = self.sha_of.pop(rel, None)
        if old is not None:
            self.paths_of[old].remove(rel)
        self.sha_of[rel] = sha
        self.paths_of.setdefault(sha, []).append(rel)


def landing_files(landing_dir: Path) -> list[Path]:
    """Every path ingest reports on (files to read, and paths skipped or refused unopened)."""
    return [e.path for e in scan_landing(landing_dir)]


def _normal(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def resolve_table(registry: Registry, landing_dir: Path, path: Path) -> LandingTable:
    """<landing>/<source>/<table>/<file> or <landing>/<source>/<table>[_anything].<ext>."""
    rel = path.relative_to(landing_dir)
    known = ", ".join(sorted(t.qualified_name.replace(".", "/") for t in registry.tables()))
    if len(rel.parts) < 2 or rel.parts[0] not in registry.sources:
        near = [s for s in registry.sources if len(rel.parts) > 1 and _normal(rel.parts[0]) == s]
        hint = f"rename the folder {rel.parts[0]!r} to {near[0]!r}" if near else f"known: {known}"
        raise RefusedFile(str(rel), f"not under a known <source>/<table>/ folder; {hint}")
    source = registry.sources[rel.parts[0]]
    if len(rel.parts) >= 3 and rel.parts[1] in source.tables:
        return source.tables[rel.parts[1]]
    if len(rel.parts) >= 3 and _normal(rel.parts[1]) in source.tables:
        raise RefusedFile(
            str(rel), f"the folder {rel.parts[1]!r} is not a table name: rename it to {_normal(rel.parts[1])!r}"
        )
    stem = path.name.split(".")[0]
    for name in sorted(source.tables, key=len, reverse=True):
        if stem == name or stem.startswith(name + "_") or stem.startswith(name + "-"):
            return source.tables[name]
    raise RefusedFile(str(rel), f"cannot tell which {source.source} table this is; known: {known}")


def ensure_raw_table(con: duckdb.DuckDBPyConnection, table: LandingTable) -> None:
    ensure_raw_tables(con, [table])


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, tables: list[LandingTable]) -> None:
    """Create the raw tables, or add the fields the registry learned since they were created (one lookup)."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    existing: dict[str, set[str]] = {}
    for table_name, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?", [RAW_SCHEMA]
    ).fetchall():
        existing.setdefault(table_name, set()).add(column)
    for table in tables:
        columns = raw_columns(table)
        if table.raw_table not in existing:
            ddl = ", ".join(f"{q(name)} {sql_type}" for name, sql_type in columns.items())
            con.execute(f"create table if not exists {RAW_SCHEMA}.{q(table.raw_table)} ({ddl})")
            continue
        for name, sql_type in columns.items():
            if name not in existing[table.raw_table]:  # the registry learned a new field since the table was made
                con.execute(f"alter table {RAW_SCHEMA}.{q(table.raw_table)} add column {q(name)} {sql_type}")


def raw_columns(table: LandingTable) -> dict[str, str]:
    """The DuckDB raw table's columns and their storage: declared types, JSON text compressed with ZSTD."""
    columns = {f.name: JSON_STORAGE if f.type == "json" else SQL_TYPES[f.type] for f in table.fields}
    return columns | META_COLUMNS | {EXTRAS_COLUMN: JSON_STORAGE}


def _columns(con: duckdb.DuckDBPyConnection, table_name: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [RAW_SCHEMA, table_name],
    ).fetchall()
    return {row[0] for row in rows}


def ensure_files_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    ddl = ", ".join(f"{name} {sql_type}" for name, sql_type in FILES_COLUMNS.items())
    con.execute(f"create table if not exists {FILES_TABLE} ({ddl})")
    existing = _columns(con, FILES_TABLE.split(".")[1])
    for name, sql_type in FILES_COLUMNS.items():
        if name not in existing:  # a warehouse from before the column existed
            con.execute(f"alter table {FILES_TABLE} add column {name} {sql_type}")


def entry_result(entry: Entry, landing_dir: Path) -> FileResult | None:
    """The result of a path that is not read (skipped or refused unopened); None for a file to read."""
    rel = str(entry.path.relative_to(landing_dir))
    if entry.skip:
        return FileResult(rel, "skipped", message=entry.skip)
    if entry.refuse:
        return FileResult(rel, "refused", message=entry.refuse)
    return None


def file_log_row(table: LandingTable, staged: StagedFile, rel: str, sha: str, loaded_at) -> list:
    """The raw._mops_files row of a loaded file, in FILES_COLUMNS order."""
    return [
        rel,
        table.source,
        table.name,
        staged.version,
        sha,
        staged.rows,
        staged.fingerprint,
        staged.columns_json,
        loaded_at,
        json.dumps(list(staged.new_fields)),
        json.dumps(list(staged.notices)),
    ]


def loaded_result(table: LandingTable, staged: StagedFile, rel: str, replaced: bool) -> FileResult:
    return FileResult(
        rel,
        "replaced" if replaced else "loaded",
        table.qualified_name,
        staged.version,
        staged.rows,
        new_fields=staged.new_fields,
        notices=staged.notices,
    )


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    landing_dir: Path,
    path: Path,
    today: date | None = None,
    ensured: set[str] | None = None,
    log: FileLog | None = None,
    info: FileBytes | None = None,
) -> FileResult:
    """Ingest one file (its own transaction); `ensured`: raw tables this run already created or widened;
    `log`: the ingest log as this run knows it (read from the warehouse when not given); `info`: its bytes'
    hash and encoding when already inspected."""
    rel = str(path.relative_to(landing_dir))
    log = log if log is not None else FileLog.read(con)
    try:
        return _ingest_file(con, registry, landing_dir, path, rel, today or date.today(), ensured or set(), log, info)
    except RefusedFile as refused:
        return FileResult(rel, "refused", message=refused.reason)


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    landing_dir: Path,
    path: Path,
    rel: str,
    today: date,
    ensured: set[str],
    log: FileLog,
    info: FileBytes | None = None,
) -> FileResult:
    table = resolve_table(registry, landing_dir, path)
    info = info or inspect_bytes(path, text=is_text(path))
    same = log.same_content(info.sha256)
    if rel in same:
        return FileResult(rel, "unchanged", table.qualified_name, message="already loaded")
    if same:
        return FileResult(rel, "duplicate", table.qualified_name, message=f"same content as {same[0]}")
    staged = stage_file(con, table, path, rel, info, registry.units_per_usd, today)
    replaced = rel in log.sha_of
    _write(con, table, staged, rel, info.sha256, ensured, replaced)
    log.record(rel, info.sha256)
    return loaded_result(table, staged, rel, replaced)


def _write(
    con, table: LandingTable, staged: StagedFile, rel: str, sha: str, ensured: set[str], replaced: bool = True
) -> None:
    """Replace the file's rows and its log entry in one transaction: all of it or nothing.

    A file the log does not know has no rows to delete (rows and log entry are written in one transaction),
    so its insert does not scan the raw table for them.
    """
    loaded_at = utcnow()
    names, exprs = staged.raw_select(table)
    columns, select = ", ".join(q(c) for c in names), ", ".join(exprs)
    con.execute("begin transaction")
    try:
        if table.raw_table not in ensured:
            ensure_raw_table(con, table)
        if replaced:
            con.execute(f"delete from {RAW_SCHEMA}.{q(table.raw_table)} where _mops_file = ?", [rel])
        con.execute(
            f"insert into {RAW_SCHEMA}.{q(table.raw_table)} ({columns}, _mops_file, _mops_loaded_at) "
            f"select {select}, ?, ? from {staged.relation}",
            [rel, loaded_at],
        )
        if replaced:
            con.execute(f"delete from {FILES_TABLE} where file_path = ?", [rel])
        names = ", ".join(FILES_COLUMNS)
        marks = ", ".join("?" for _ in FILES_COLUMNS)
        con.execute(
            f"insert into {FILES_TABLE} ({names}) values ({marks})", file_log_row(table, staged, rel, sha, loaded_at)
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def ingest(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    landing_dir: Path,
    on_file: Callable[[FileResult], None] | None = None,
    today: date | None = None,
    workers: int = WORKERS,
) -> list[FileResult]:
    """Ingest every landing file; each file is its own transaction, refusals do not stop the rest.

    `workers` files are staged and written at once, each on its own connection (mops.core.ingest_pool);
    results and `on_file` calls come in landing order, as with one worker.
    """
    if not landing_dir.is_dir():
        raise FileNotFoundError(f"landing folder {landing_dir} does not exist")
    for statement in SESSION:
        con.execute(statement)
    ensure_files_table(con)
    tables = registry.tables()
    ensure_raw_tables(con, tables)  # dbt sources exist even before a platform's first file
    ensured = {t.raw_table for t in tables}
    log = FileLog.read(con)

    def load(cursor, entry: Entry, info: FileBytes | None) -> FileResult:
        return ingest_file(cursor, registry, landing_dir, entry.path, today, ensured, log, info)

    entries = [(entry, entry_result(entry, landing_dir)) for entry in scan_landing(landing_dir)]
    with _one_checkpoint(con):
        return run_files(con, entries, load, workers, SESSION, on_file)


@contextmanager
def _one_checkpoint(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Checkpoint once after the run, not whenever the WAL passes DuckDB's 16 MB threshold.

    A file smaller than a row group (122,880 rows) is committed through the WAL; checkpointing it every
    16 MB rewrote the table's last row groups again and again (at 1x, GA4's commits were two thirds of its
    CPU). Large files are written to the database file during the insert and do not grow the WAL.
    """
    threshold = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
    con.execute(f"set checkpoint_threshold = '{BULK_CHECKPOINT}'")
    try:
        yield
    finally:
        con.execute(f"set checkpoint_threshold = '{threshold}'")
        con.execute("checkpoint")
