"""Stage one landing file in DuckDB: read, map, cast and check it, leaving the SQL of its typed rows.

Shared by the DuckDB and the PostgreSQL ingest, so a file is accepted or refused for exactly the
same reasons on both warehouses. Nothing here writes to the warehouse; any reader failure becomes a
refusal naming the file (never a traceback, never a stop of the other files).

Speed (DECISIONS, issue 15): the typed rows are never materialised here. A Parquet file is read where
it lies (its row numbers from the reader); a CSV or JSON file is parsed once into the temp table
_mops_raw. The casts are one SQL select over that source (`StagedFile.relation`); every check is a
set-based aggregate over it, all in one query (a second query finds the first offending row only when one
exists), and the writer streams the same select into the raw table once.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from mops.core.errors import RefusedFile
from mops.core.ingest_files import (
    SUPPORTED_SUFFIXES,
    FileBytes,
    check_not_cut,
    count_lines,
    decode,
    excerpt,
    frame_csv,
    tail_lines,
    temp_copy,
    unwrap_json,
)
from mops.core.ingest_rules import check_rules
from mops.core.ingest_shapes import Mapping, map_columns, q
from mops.core.landing import LandingField, LandingTable
from mops.core.sqltypes import SQL_TYPES

READER_ERRORS = (duckdb.Error, ValueError, UnicodeError, RecursionError, csv.Error, OSError, KeyError, IndexError)


@dataclass(frozen=True)
class StagedFile:
    """A file read and checked; `relation` is the SQL of its typed rows on the staging connection."""

    version: str  # the versions its rows are in, comma-separated
    rows: int
    flat: dict[str, tuple[str, str]]
    new_fields: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    version_expr: str = "_mops_format_version"  # SQL over the typed rows: the row's version
    extras_expr: str = "_mops_extras"  # SQL over the typed rows: the row's extras
    relation: str = "_mops_typed"  # SQL of the typed rows: a parenthesised select over the staged source

    def raw_select(self, table: LandingTable) -> tuple[list[str], list[str]]:
        """Raw-table columns copied from the typed rows and the SQL of each (provenance is added at write)."""
        fields = [f.name for f in table.fields]
        columns = [*fields, "_mops_format_version", "_mops_row", "_mops_extras"]
        return columns, [q(f) for f in fields] + [self.version_expr, "_mops_row", self.extras_expr]

    @property
    def fingerprint(self) -> str:
        signature = json.dumps(sorted((name, type_id) for name, (_, type_id) in self.flat.items()))
        return hashlib.sha256(signature.encode()).hexdigest()[:16]

    @property
    def columns_json(self) -> str:
        return json.dumps(sorted(self.flat))


ROW = "__mops_source_row"  # the file's row number in the staged source (1 = first data row)
INFALLIBLE = {  # source type ids whose cast to the declared type cannot fail: no check needed
    "bigint": {"tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger"},
    "double": {"tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger", "ubigint",
               "hugeint", "float", "double", "decimal"},
    "date": {"date", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"},
    "timestamp": {"date", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns", "timestamp with time zone"},
    "boolean": {"boolean"},
}  # fmt: skip


def _reader(path: Path, kind: str) -> str:
    """The DuckDB reader call of a file, as SQL (no Python relation: one bind, no schema pinning passes)."""
    name = _lit(str(path))
    if kind == "csv":
        return f"read_csv({name}, header = true, all_varchar = true)"
    if kind == "jsonl":
        return f"read_json({name}, format = 'newline_delimited', sample_size = -1)"
    return f"read_parquet({name})"


def _describe(con: duckdb.DuckDBPyConnection, select: str) -> list[tuple[str, duckdb.DuckDBPyType]]:
    return [(row[0], duckdb.sqltype(row[1])) for row in con.execute(f"describe {select}").fetchall()]


def _source(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> tuple[str, list]:
    """SQL of the file's rows with their row number (column ROW), and its columns with their types.

    Parquet is read in place (its row numbers come from the reader, and every later pass reads only the
    columns it needs); CSV and JSON are parsed once into the temp table _mops_raw.
    """
    reader = _reader(path, kind)
    if kind == "parquet":
        columns = _describe(con, f"select * from {reader}")
        if not any(name in ("file_row_number", ROW) for name, _ in columns):
            numbered = f"read_parquet({_lit(str(path))}, file_row_number = true)"
            return f"(select file_row_number + 1 as {ROW}, * exclude (file_row_number) from {numbered})", columns
    con.execute(f"create or replace temp table _mops_raw as select row_number() over () as {ROW}, * from {reader}")
    return "_mops_raw", [c for c in _describe(con, "select * from _mops_raw") if c[0] != ROW]


def _flatten(columns: list, json_fields: set[str]) -> dict[str, tuple[str, str]]:
    """Flat field name -> (SQL expression, DuckDB type id); structs become dotted names, lists JSON."""
    flat: dict[str, tuple[str, str]] = {}

    def walk(expr: str, name: str, dtype: duckdb.DuckDBPyType) -> None:
        if dtype.id == "struct" and name not in json_fields:
            for child, child_type in dtype.children:
                walk(f"struct_extract({expr}, {_lit(child)})", f"{name}.{child}", child_type)
        elif dtype.id in ("list", "map", "struct", "array"):
            flat[name] = (f"cast(to_json({expr}) as varchar)", "json")
        else:
            flat[name] = (expr, dtype.id)

    for column, dtype in columns:
        walk(q(column), column, dtype)
    return flat


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def cast_expr(field: LandingField, expr: str, type_id: str, fmt: str | None = None) -> str:
    target = SQL_TYPES[field.type]
    text = f"cast({expr} as varchar)"
    fmt = fmt or field.format
    if field.type == "json":
        return expr if type_id == "json" else f"case when json_valid({text}) then {text} end"
    if field.type in ("date", "timestamp"):
        if type_id in ("date", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"):
            return f"cast({expr} as {target})"
        if type_id == "timestamp with time zone":
            return f"cast(timezone('UTC', {expr}) as {target})"
        if fmt:
            return f"cast(try_strptime({text}, {_lit(fmt)}) as {target})"
        return f"try_cast({text} as {target})"
    if field.type == "varchar":
        return text
    if type_id in INFALLIBLE.get(field.type, ()):
        return f"cast({expr} as {target})"
    if field.type == "bigint" and type_id in ("float", "double", "decimal"):
        return f"case when {expr} = trunc({expr}) then try_cast({expr} as bigint) end"
    if field.type == "bigint":
        # '12' and 12.0 are integers; '12.5' is not (a silent round would hide a unit change)
        number = f"try_cast({text} as double)"
        return f"case when {number} = trunc({number}) then try_cast({number} as bigint) end"
    return f"try_cast({text} as {target})"


def _short(exc: BaseException) -> str:
    """The first line of a reader error, shortened: DuckDB quotes file lines further down."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:160]}"


def stage_file(
    con: duckdb.DuckDBPyConnection,
    table: LandingTable,
    path: Path,
    rel: str,
    info: FileBytes,
    units_per_usd: dict[str, float],
    today: date,
) -> StagedFile:
    """Read, map, cast and check one file in DuckDB; the typed rows are left in temp table _mops_typed."""
    temps: list[Path] = []
    try:
        return _stage(con, table, path, rel, info, units_per_usd, today, temps)
    except READER_ERRORS as exc:
        raise RefusedFile(rel, f"cannot read as {path.suffix} ({_short(exc)})") from exc
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def _readable(table: LandingTable, path: Path, rel: str, info: FileBytes, temps: list[Path]):
    """The path DuckDB reads (the file, or a clean UTF-8 copy), the download version matched, notes."""
    kind = SUPPORTED_SUFFIXES[path.suffix.lower()]
    if info.size == 0:
        raise RefusedFile(rel, "the file is empty (0 bytes)")
    text, notes, download = None, [], None
    if kind != "parquet" and info.encoding:
        text, encoding = decode(path, rel, info.encoding)
        if encoding.replace("_", "-").lower() not in ("utf-8", "utf-8-sig", "ascii"):
            notes.append(f"read as {encoding} (not UTF-8)")
    readable = path
    if kind == "csv":
        frame = frame_csv(table, text, path, rel)
        notes += frame.notes
        download = frame.download
        if frame.lines is not None:
            check_not_cut(frame.lines, rel)
            readable = temp_copy("".join(frame.lines), ".csv")
        else:
            lines = text.splitlines(keepends=True) if text is not None else None
            if lines is None and not info.ends_with_newline:
                with path.open(encoding="utf-8") as handle:
                    lines = [handle.readline(), *tail_lines(path, 1)]
                check_not_cut(lines, rel, row=count_lines(path) - 1)
            elif lines:
                check_not_cut(lines, rel)
            if text is not None:
                readable = temp_copy(text, ".csv")
    elif kind == "jsonl":
        unwrapped = unwrap_json(table, text, path, rel)
        readable = unwrapped or (temp_copy(text, ".jsonl") if text is not None else path)
    if readable != path:
        temps.append(readable)
    return readable, kind, download, notes


def _stage(con, table: LandingTable, path: Path, rel: str, info, units_per_usd, today, temps) -> StagedFile:
    readable, kind, download, notes = _readable(table, path, rel, info, temps)
    source, columns = _source(con, readable, kind)
    flat = _flatten(columns, {f.name for f in table.fields if f.type == "json"})
    mapping = map_columns(table, flat, download, path.name, rel)
    notes += mapping.notes
    typed = [f"{ROW} as _mops_row"]
    for f in table.fields:
        if f.name in mapping.columns:
            expr, type_id = mapping.columns[f.name]
            typed.append(f"{cast_expr(f, expr, type_id, mapping.formats.get(f.name))} as {q(f.name)}")
        else:
            typed.append(f"cast(null as {SQL_TYPES[f.type]}) as {q(f.name)}")
    if mapping.extras:
        pairs = ", ".join(  # lists and records stay JSON inside the extras, not strings of JSON
            f"{_lit(name)}, " + (f"cast({expr} as json)" if flat.get(name, ("", ""))[1] == "json" else expr)
            for name, expr in mapping.extras.items()
        )
        typed.append(f"cast(json_object({pairs}) as varchar) as _mops_extras")
    relation = f"(select {', '.join(typed)} from {source})"
    # the rows the checks read: the typed rows and, per field whose cast can fail, whether it failed
    bad = _type_checks(table, mapping)
    checked = f"(select {', '.join(typed + [f'({b[2]}) as __mops_bad{i}' for i, b in enumerate(bad)])} from {source})"
    # a file in one version and without extras stores neither per row: they are constants at write time
    if len(mapping.versions) > 1:
        relation = f"(select *, {mapping.version_sql} as _mops_format_version from {relation})"
        checked = f"(select *, {mapping.version_sql} as _mops_format_version from {checked})"
    version_expr = "_mops_format_version" if len(mapping.versions) > 1 else mapping.version_sql
    # one pass over the file: row count, type checks, value rules and a key pre-check (distinct key hashes)
    keys = ", ".join(q(k) for k in table.key) if table.key_is_unique else ""
    also = ("count(*)", *(f"count(*) filter (where __mops_bad{i})" for i in range(len(bad))))
    also += (f"count(distinct hash({keys}))",) if keys else ()

    def judge_types(values: tuple) -> None:
        if values[0] == 0:
            raise RefusedFile(rel, "the file has a header but no rows")
        _refuse_types(con, mapping, source, rel, bad, values[1 : 1 + len(bad)])

    flags, counts = check_rules(con, table, units_per_usd, today, rel, version_expr, checked, also, judge_types)
    row_count = counts[0]
    if keys and counts[-1] != row_count:  # equal keys hash equally: fewer hashes than rows may be a duplicate
        _check_key(con, table, rel, relation)
    if len(mapping.versions) > 1:
        present = con.execute(f"select distinct _mops_format_version from {relation}").fetchall()
        versions = [v for v in mapping.versions if (v,) in present]
        notes.append(f"rows in versions {versions}, decided row by row (precedence declared in the format)")
    else:
        versions = mapping.versions
    return StagedFile(
        ",".join(versions),
        row_count,
        flat,
        tuple(mapping.new_fields),
        tuple(notes + flags),
        version_expr,
        "_mops_extras" if mapping.extras else "cast(null as varchar)",
        relation,
    )


def _fallible(field: LandingField, type_id: str) -> bool:
    """Whether casting a value of this source type to the field's type can fail (and must be checked)."""
    if field.type == "varchar":
        return False
    if field.type == "json":
        return type_id != "json"
    if field.type == "timestamp" and type_id == "timestamp with time zone":
        return False
    return type_id not in INFALLIBLE.get(field.type, ())


def _type_checks(table: LandingTable, mapping: Mapping) -> list[tuple[LandingField, str, str]]:
    """Per field whose cast can fail: the field, its source expression, and the SQL true where it failed."""
    bad = []
    for f in table.fields:
        if f.name in mapping.columns and _fallible(f, mapping.columns[f.name][1]):
            expr, type_id = mapping.columns[f.name]
            cast = cast_expr(f, expr, type_id, mapping.formats.get(f.name))
            bad.append((f, expr, f"({expr}) is not null and ({cast}) is null"))
    return bad


def _refuse_types(con, mapping: Mapping, source: str, rel: str, bad: list, counts: tuple) -> None:
    """Refuse values of the wrong type naming field, row and value (`counts`: failed casts per check).

    The counts come from the one aggregate over the file; only when one is non-zero is the first
    offending row looked up.
    """
    offending = [(f, expr, cond, n) for (f, expr, cond), n in zip(bad, counts, strict=True) if n]
    if offending:
        f, expr, cond, _ = offending[0]
        row, value = con.execute(
            f"select {ROW}, cast({expr} as varchar) from {source} where {cond} order by {ROW} limit 1"
        ).fetchone()
        detail = ", ".join(f"{g.name} ({n} rows)" for g, _, _, n in offending)
        fmt = mapping.formats.get(f.name) or f.format
        raise RefusedFile(
            rel,
            f"values of the wrong type in {detail}: expected {f.type}"
            + (f" in format {fmt}" if fmt else "")
            + f" for {f.name!r}, row {row} has {excerpt(value)}",
        )


def _check_key(con, table: LandingTable, rel: str, relation: str) -> None:
    if not table.key_is_unique:
        return
    keys = ", ".join(q(k) for k in table.key)
    dup = con.execute(f"select {keys}, count(*) from {relation} group by all having count(*) > 1 limit 1").fetchone()
    if dup:
        key = {k: excerpt(v) for k, v in zip(table.key, dup[:-1], strict=True)}
        same = " and ".join(f"{q(k)} is not distinct from ?" for k in table.key)
        rows = [
            r
            for (r,) in con.execute(
                f"select _mops_row from {relation} where {same} order by 1 limit 2", dup[:-1]
            ).fetchall()
        ]
        raise RefusedFile(
            rel, f"duplicate key {key} ({dup[-1]} rows, rows {rows[0]} and {rows[1]}); the grain is {table.grain}"
        )
