"""Stage one landing file in DuckDB: read, map, cast and check it into the temp table _mops_typed.

Shared by the DuckDB and the PostgreSQL ingest, so a file is accepted or refused for exactly the
same reasons on both warehouses. Nothing here writes to the warehouse; any reader failure becomes a
refusal naming the file (never a traceback, never a stop of the other files).
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
    """A file read, cast and checked into the temp table _mops_typed of the staging connection."""

    version: str  # the versions its rows are in, comma-separated
    rows: int
    flat: dict[str, tuple[str, str]]
    new_fields: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    version_expr: str = "_mops_format_version"  # SQL over _mops_typed: the row's version
    extras_expr: str = "_mops_extras"  # SQL over _mops_typed: the row's extras

    def raw_select(self, table: LandingTable) -> tuple[list[str], list[str]]:
        """Raw-table columns copied from _mops_typed and the SQL of each (provenance is added at write)."""
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
                walk(f"struct_extract({expr}, {_lit(child)})", f"{name}.{child}", child_type)
        elif dtype.id in ("list", "map", "struct", "array"):
            flat[name] = (f"cast(to_json({expr}) as varchar)", "json")
        else:
            flat[name] = (expr, dtype.id)

    for column, dtype in zip(rel.columns, rel.types, strict=True):
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
    rel_data = _read(con, readable, kind)
    flat = _flatten(rel_data, {f.name for f in table.fields if f.type == "json"})
    mapping = map_columns(table, flat, download, path.name, rel)
    notes += mapping.notes
    selects = [f"{expr} as {q(name)}" for name, (expr, _) in mapping.columns.items()]
    if mapping.extras:
        pairs = ", ".join(  # lists and records stay JSON inside the extras, not strings of JSON
            f"{_lit(name)}, " + (f"cast({expr} as json)" if flat.get(name, ("", ""))[1] == "json" else expr)
            for name, expr in mapping.extras.items()
        )
        selects.append(f"cast(json_object({pairs}) as varchar) as _mops_extras")
    con.execute(
        "create or replace temp table _mops_incoming as "
        f"select row_number() over () as _mops_row, {', '.join(selects)} from rel_data"
    )
    typed = _check_types(con, table, mapping, rel)
    # a file in one version and without extras stores neither per row: they are constants at write time
    versioned = f", {mapping.version_sql} as _mops_format_version" if len(mapping.versions) > 1 else ""
    extras = ", _mops_extras" if mapping.extras else ""
    con.execute(
        f"create or replace temp table _mops_typed as select _mops_row, {typed}{versioned}{extras} from _mops_incoming"
    )
    row_count = con.execute("select count(*) from _mops_typed").fetchone()[0]
    if row_count == 0:
        raise RefusedFile(rel, "the file has a header but no rows")
    version_expr = "_mops_format_version" if versioned else mapping.version_sql
    flags = check_rules(con, table, units_per_usd, today, rel, version_expr)
    _check_key(con, table, rel)
    if len(mapping.versions) > 1:
        present = con.execute("select distinct _mops_format_version from _mops_typed").fetchall()
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
        "_mops_extras" if extras else "cast(null as varchar)",
    )


def _check_types(con, table: LandingTable, mapping: Mapping, rel: str) -> str:
    """Refuse values of the wrong type naming field, row and value; return the typed select list."""
    selects, bad = [], []
    for f in table.fields:
        if f.name in mapping.columns:
            type_id = mapping.columns[f.name][1]
            cast = cast_expr(f, q(f.name), type_id, mapping.formats.get(f.name))
            selects.append(f"{cast} as {q(f.name)}")
            bad.append((f, cast, f"count(*) filter (where {q(f.name)} is not null and {cast} is null)"))
        else:
            selects.append(f"cast(null as {SQL_TYPES[f.type]}) as {q(f.name)}")
    if bad:
        counts = con.execute(f"select {', '.join(b[2] for b in bad)} from _mops_incoming").fetchone()
        offending = [(f, cast, n) for (f, cast, _), n in zip(bad, counts, strict=True) if n]
        if offending:
            f, cast, _ = offending[0]
            row, value = con.execute(
                f"select _mops_row, cast({q(f.name)} as varchar) from _mops_incoming "
                f"where {q(f.name)} is not null and {cast} is null order by _mops_row limit 1"
            ).fetchone()
            detail = ", ".join(f"{g.name} ({n} rows)" for g, _, n in offending)
            fmt = mapping.formats.get(f.name) or f.format
            raise RefusedFile(
                rel,
                f"values of the wrong type in {detail}: expected {f.type}"
                + (f" in format {fmt}" if fmt else "")
                + f" for {f.name!r}, row {row} has {excerpt(value)}",
            )
    return ", ".join(selects)


def _check_key(con, table: LandingTable, rel: str) -> None:
    if not table.key_is_unique:
        return
    keys = ", ".join(q(k) for k in table.key)
    dup = con.execute(f"select {keys}, count(*) from _mops_typed group by all having count(*) > 1 limit 1").fetchone()
    if dup:
        key = {k: excerpt(v) for k, v in zip(table.key, dup[:-1], strict=True)}
        same = " and ".join(f"{q(k)} is not distinct from ?" for k in table.key)
        rows = [
            r
            for (r,) in con.execute(
                f"select _mops_row from _mops_typed where {same} order by 1 limit 2", dup[:-1]
            ).fetchall()
        ]
        raise RefusedFile(
            rel, f"duplicate key {key} ({dup[-1]} rows, rows {rows[0]} and {rows[1]}); the grain is {table.grain}"
        )
