"""Load platform export files from the landing folder into the raw schema, one file per transaction.

A file is identified by its folder (<source>/<table>/), matched to a known version of that table's
format, cast to the declared types, checked, and written with its provenance. A file that cannot be
read, matches no version, has a value of the wrong type or fails a check is refused with a message
naming the file, the fields and the rule, and nothing of it is written. Loading the same content
twice adds nothing; a re-export of the same file replaces its earlier rows.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mops.core.base import utcnow
from mops.core.errors import RefusedFile
from mops.core.landing import LandingField, LandingTable, Registry
from mops.core.sqltypes import SQL_TYPES

RAW_SCHEMA = "raw"
FILES_TABLE = f"{RAW_SCHEMA}._mops_files"
SUPPORTED_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
META_COLUMNS = {
    "_mops_file": "varchar",
    "_mops_format_version": "varchar",
    "_mops_row": "bigint",
    "_mops_loaded_at": "timestamp",
}


@dataclass(frozen=True)
class FileResult:
    path: str
    status: str  # loaded | replaced | unchanged | duplicate | refused
    table: str | None = None
    version: str | None = None
    rows: int = 0
    message: str = ""


def q(name: str) -> str:
    """Quote an identifier (platform field names contain dots and capitals)."""
    return '"' + name.replace('"', '""') + '"'


def landing_files(landing_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in landing_dir.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(("_", ".")) for part in p.relative_to(landing_dir).parts)
    )


def resolve_table(registry: Registry, landing_dir: Path, path: Path) -> LandingTable:
    """<landing>/<source>/<table>/<file> or <landing>/<source>/<table>[_anything].<ext>."""
    rel = path.relative_to(landing_dir)
    known = ", ".join(sorted(t.qualified_name.replace(".", "/") for t in registry.tables()))
    if len(rel.parts) < 2 or rel.parts[0] not in registry.sources:
        raise RefusedFile(str(rel), f"not under a known <source>/<table>/ folder; known: {known}")
    source = registry.sources[rel.parts[0]]
    if len(rel.parts) >= 3 and rel.parts[1] in source.tables:
        return source.tables[rel.parts[1]]
    stem = path.name.split(".")[0]
    for name in sorted(source.tables, key=len, reverse=True):
        if stem == name or stem.startswith(name + "_") or stem.startswith(name + "-"):
            return source.tables[name]
    raise RefusedFile(str(rel), f"cannot tell which {source.source} table this is; known: {known}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _strip_report_frame(path: Path) -> Path:
    """Microsoft Advertising CSV downloads carry a 'Report Name:' header block and a copyright footer."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if not lines or not lines[0].lstrip('"').startswith("Report Name"):
        return path
    start = next((i for i, line in enumerate(lines) if line.strip() == ""), 0)
    body = [ln for ln in lines[start + 1 :] if ln.strip() and not ln.lstrip('"').startswith("©")]
    tmp = Path(tempfile.mkstemp(suffix=".csv")[1])
    tmp.write_text("\n".join(body) + "\n", encoding="utf-8")
    return tmp


def _read(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> duckdb.DuckDBPyRelation:
    if kind == "csv":
        return con.read_csv(str(path), header=True, all_varchar=True)
    if kind == "jsonl":
        return con.sql("select * from read_json(?, format='newline_delimited', sample_size=-1)", params=[str(path)])
    return con.read_parquet(str(path))


def _flatten(rel: duckdb.DuckDBPyRelation, json_fields: set[str]) -> dict[str, tuple[str, str]]:
    """Flat field name -> (SQL expression, DuckDB type id); structs become dotted names, lists JSON."""
    flat: dict[str, tuple[str, str]] = {}

    def walk(expr: str, name: str, dtype: duckdb.DuckDBPyType) -> None:
        if dtype.id == "struct" and name not in json_fields:
            for child, child_type in dtype.children:
                walk(f"struct_extract({expr}, '{child}')", f"{name}.{child}", child_type)
        elif dtype.id in ("list", "map", "struct", "array"):
            flat[name] = (f"cast(to_json({expr}) as varchar)", "json")
        else:
            flat[name] = (expr, dtype.id)

    for column, dtype in zip(rel.columns, rel.types, strict=True):
        walk(q(column), column, dtype)
    return flat


def match_version(table: LandingTable, columns: Iterable[str], rel_path: str) -> str:
    """The newest version whose required fields are present and which knows every column."""
    columns = set(columns)
    known = {f.name for f in table.fields}
    unknown = sorted(columns - known)
    candidates = []
    problems = []
    for version in table.versions:
        fields = table.version_fields(version)
        names = {f.name for f in fields}
        missing = sorted(f.name for f in fields if f.required and f.name not in columns)
        foreign = sorted(columns - names)
        if not missing and not foreign:
            candidates.append(version)
        else:
            problems.append((len(missing) + len(foreign), version, missing, foreign))
    if candidates:
        return candidates[-1]
    _, version, missing, foreign = min(problems)
    parts = []
    if unknown:
        parts.append(f"unknown fields {unknown}")
    if missing:
        parts.append(f"missing required fields {missing}")
    mixed = sorted(set(foreign) - set(unknown))
    if mixed:
        parts.append(f"fields {mixed} belong to another version than the rest")
    raise RefusedFile(
        rel_path,
        f"columns match no known version of the {table.qualified_name} format "
        f"({table.api}); closest is {version}: " + "; ".join(parts),
    )


def _cast_expr(field: LandingField, expr: str, type_id: str) -> str:
    target = SQL_TYPES[field.type]
    text = f"cast({expr} as varchar)"
    if field.type == "json":
        return expr if type_id == "json" else f"case when json_valid({text}) then {text} end"
    if field.type in ("date", "timestamp"):
        if type_id in ("date", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"):
            return f"cast({expr} as {target})"
        if type_id == "timestamp with time zone":
            return f"cast(timezone('UTC', {expr}) as {target})"
        if field.format:
            return f"cast(try_strptime({text}, '{field.format}') as {target})"
        return f"try_cast({text} as {target})"
    if field.type == "varchar":
        return text
    if field.type == "bigint":
        # '12' and 12.0 are integers; '12.5' is not (a silent round would hide a unit change)
        number = f"try_cast({text} as double)"
        return f"case when {number} = trunc({number}) then try_cast({number} as bigint) end"
    return f"try_cast({text} as {target})"


def _typed_select(table: LandingTable, flat: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """SQL producing every registry field (nulls where absent) and the check of bad values."""
    selects, bad = [], []
    for field in table.fields:
        target = SQL_TYPES[field.type]
        if field.name in flat:
            expr, type_id = flat[field.name]
            cast = _cast_expr(field, expr, type_id)
            selects.append(f"{cast} as {q(field.name)}")
            bad.append(f"count(*) filter (where {expr} is not null and {cast} is null) as {q(field.name)}")
        else:
            selects.append(f"cast(null as {target}) as {q(field.name)}")
    return ", ".join(selects), ", ".join(bad) if bad else "0 as none"


def _fingerprint(flat: dict[str, tuple[str, str]]) -> str:
    signature = json.dumps(sorted((name, type_id) for name, (_, type_id) in flat.items()))
    return hashlib.sha256(signature.encode()).hexdigest()[:16]


def ensure_raw_table(con: duckdb.DuckDBPyConnection, table: LandingTable) -> None:
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    columns = {f.name: SQL_TYPES[f.type] for f in table.fields} | META_COLUMNS
    ddl = ", ".join(f"{q(name)} {sql_type}" for name, sql_type in columns.items())
    con.execute(f"create table if not exists {RAW_SCHEMA}.{q(table.raw_table)} ({ddl})")
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, table.raw_table],
        ).fetchall()
    }
    for name, sql_type in columns.items():
        if name not in existing:  # the registry learned a new field since this table was created
            con.execute(f"alter table {RAW_SCHEMA}.{q(table.raw_table)} add column {q(name)} {sql_type}")


def ensure_files_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(
        f"""create table if not exists {FILES_TABLE} (
            file_path varchar primary key, source varchar, table_name varchar, format_version varchar,
            sha256 varchar, row_count bigint, schema_fingerprint varchar, columns varchar,
            loaded_at timestamp)"""
    )


def ingest_file(con: duckdb.DuckDBPyConnection, registry: Registry, landing_dir: Path, path: Path) -> FileResult:
    rel = str(path.relative_to(landing_dir))
    try:
        return _ingest_file(con, registry, landing_dir, path, rel)
    except RefusedFile as refused:
        return FileResult(rel, "refused", message=refused.reason)


def _ingest_file(
    con: duckdb.DuckDBPyConnection, registry: Registry, landing_dir: Path, path: Path, rel: str
) -> FileResult:
    table = resolve_table(registry, landing_dir, path)
    sha = _sha256(path)
    same = con.execute(f"select file_path from {FILES_TABLE} where sha256 = ?", [sha]).fetchall()
    if any(row[0] == rel for row in same):
        return FileResult(rel, "unchanged", table.qualified_name, message="already loaded")
    if same:
        return FileResult(rel, "duplicate", table.qualified_name, message=f"same content as {same[0][0]}")
    staged = stage_file(con, table, path, rel)
    replaced = con.execute(f"select count(*) from {FILES_TABLE} where file_path = ?", [rel]).fetchone()[0]
    _write(con, table, staged.version, rel, sha, staged.rows, staged.flat)
    return FileResult(rel, "replaced" if replaced else "loaded", table.qualified_name, staged.version, staged.rows)


@dataclass(frozen=True)
class StagedFile:
    """A file read, cast and checked into the temp table _mops_typed of the staging connection."""

    version: str
    rows: int
    flat: dict[str, tuple[str, str]]

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.flat)

    @property
    def columns_json(self) -> str:
        return json.dumps(sorted(self.flat))


def stage_file(con: duckdb.DuckDBPyConnection, table: LandingTable, path: Path, rel: str) -> StagedFile:
    """Read, match, cast and check one file in DuckDB; the typed rows are left in temp table _mops_typed."""
    kind = SUPPORTED_SUFFIXES[path.suffix.lower()]
    readable = _strip_report_frame(path) if kind == "csv" else path
    try:
        rel_data = _read(con, readable, kind)
        flat = _flatten(rel_data, {f.name for f in table.fields if f.type == "json"})
        version = match_version(table, flat, rel)
        source_exprs = ", ".join(f"{expr} as {q(name)}" for name, (expr, _) in flat.items())
        con.execute(
            "create or replace temp table _mops_incoming as "
            f"select row_number() over () as _mops_row, {source_exprs} from rel_data"
        )
    except duckdb.Error as exc:
        raise RefusedFile(rel, f"cannot read as {path.suffix} ({exc.__class__.__name__}: {exc})") from exc
    finally:
        if readable != path:
            readable.unlink(missing_ok=True)
    flat_in = {name: (q(name), type_id) for name, (_, type_id) in flat.items()}
    typed, bad = _typed_select(table, flat_in)
    bad_counts = con.execute(f"select {bad} from _mops_incoming").fetchone()
    bad_columns = con.execute(f"select {bad} from _mops_incoming limit 0").description
    offending = [(col[0], n) for col, n in zip(bad_columns, bad_counts, strict=True) if n]
    if offending:
        name, count = offending[0]
        field = table.field(name)
        cast = _cast_expr(field, q(name), flat_in[name][1])
        row, value = con.execute(
            f"select _mops_row, cast({q(name)} as varchar) from _mops_incoming "
            f"where {q(name)} is not null and {cast} is null order by _mops_row limit 1"
        ).fetchone()
        detail = ", ".join(f"{n} ({c} rows)" for n, c in offending)
        fmt = f" in format {field.format}" if field.format else ""
        raise RefusedFile(
            rel,
            f"values of the wrong type in {detail}: expected {field.type}{fmt} for {name!r}, row {row} has {value!r}",
        )
    con.execute(f"create or replace temp table _mops_typed as select _mops_row, {typed} from _mops_incoming")
    row_count = con.execute("select count(*) from _mops_typed").fetchone()[0]
    if row_count == 0:
        raise RefusedFile(rel, "the file has no rows")

    for check in table.checks:
        failing = con.execute(
            f"select count(*), min(_mops_row) from _mops_typed where not coalesce(({check.sql}), true)"
        ).fetchone()
        if failing[0]:
            raise RefusedFile(
                rel, f"check {check.name} failed on {failing[0]} rows (first: row {failing[1]}): {check.message}"
            )
    if table.key_is_unique:
        keys = ", ".join(q(k) for k in table.key)
        dup = con.execute(
            f"select {keys}, count(*) from _mops_typed group by all having count(*) > 1 limit 1"
        ).fetchone()
        if dup:
            raise RefusedFile(
                rel,
                f"duplicate key {dict(zip(table.key, dup[:-1], strict=True))} "
                f"({dup[-1]} rows); the grain is {table.grain}",
            )
    return StagedFile(version, row_count, flat)


def _write(con, table: LandingTable, version: str, rel: str, sha: str, rows: int, flat) -> None:
    """Replace the file's rows and its log entry in one transaction: all of it or nothing."""
    loaded_at = utcnow()
    columns = ", ".join(q(f.name) for f in table.fields)
    con.execute("begin transaction")
    try:
        ensure_raw_table(con, table)
        con.execute(f"delete from {RAW_SCHEMA}.{q(table.raw_table)} where _mops_file = ?", [rel])
        con.execute(
            f"insert into {RAW_SCHEMA}.{q(table.raw_table)} ({columns}, _mops_file, _mops_format_version, "
            f"_mops_row, _mops_loaded_at) select {columns}, ?, ?, _mops_row, ? from _mops_typed",
            [rel, version, loaded_at],
        )
        con.execute(f"delete from {FILES_TABLE} where file_path = ?", [rel])
        con.execute(
            f"insert into {FILES_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rel,
                table.source,
                table.name,
                version,
                sha,
                rows,
                _fingerprint(flat),
                json.dumps(sorted(flat)),
                loaded_at,
            ],
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
) -> list[FileResult]:
    """Ingest every landing file; each file is its own transaction, refusals do not stop the rest."""
    if not landing_dir.is_dir():
        raise FileNotFoundError(f"landing folder {landing_dir} does not exist")
    con.execute("set TimeZone = 'UTC'")
    ensure_files_table(con)
    for table in registry.tables():
        ensure_raw_table(con, table)  # dbt sources exist even before a platform's first file
    results = []
    for path in landing_files(landing_dir):
        result = ingest_file(con, registry, landing_dir, path)
        results.append(result)
        if on_file:
            on_file(result)
    return results
