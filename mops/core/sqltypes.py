"""Portable SQL types: the one map from declared types (landing formats, contracts) to warehouse types,
and the families the warehouses report them as (information_schema differs between DuckDB and PostgreSQL)."""

from __future__ import annotations

# Warehouse type of each declared type (ANSI names: valid on DuckDB and PostgreSQL alike).
SQL_TYPES: dict[str, str] = {
    "varchar": "varchar",
    "bigint": "bigint",
    "double": "double precision",
    "decimal": "decimal(20, 6)",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
    "json": "varchar",
}

# declared and reported type names -> a family two spellings of one type share
_TYPE_FAMILIES = {
    "varchar": "text",
    "text": "text",
    "character varying": "text",
    "bigint": "integer",
    "integer": "integer",
    "int": "integer",
    "double": "float",
    "double precision": "float",
    "float": "float",
    "real": "float",
    "numeric": "decimal",
    "decimal": "decimal",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp without time zone": "timestamp",
}


def type_family(sql_type: str) -> str:
    base = sql_type.lower().split("(")[0].strip()
    return _TYPE_FAMILIES.get(base, base)
