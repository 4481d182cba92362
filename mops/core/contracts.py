"""Agent output contracts: `contracts/agents/<table>.yml` is the one source of truth per table.

A contract lists versions; each version has columns (type, nullability, allowed values), a key
(the grain), and semantic checks. The dbt source YAML and the JSON Schema files are generated from
it (`mops generate`), frames are validated against it (`validate_frame`), and two versions are
compared with Confluent Schema Registry's compatibility semantics (`classify`).
"""

from __future__ import annotations

import math
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, model_validator

from mops.core.base import StrictModel, load_yaml
from mops.core.errors import MopsError
from mops.core.rows import MAX_NAMED_ROWS, name_rows, show_value, wrong_type_rows

ColumnType = Literal["varchar", "bigint", "double", "boolean", "date", "timestamp"]

JSON_TYPES: dict[str, dict] = {
    "varchar": {"type": "string"},
    "bigint": {"type": "integer"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "timestamp": {"type": "string", "format": "date-time"},
}

# Columns the runtime stamps on every agent output row (the run context); part of every contract.
STAMP_COLUMNS: tuple[tuple[str, ColumnType, str], ...] = (
    ("_mops_run_id", "varchar", "Run that wrote the row."),
    ("_mops_context_key", "varchar", "Hash of the run context (window, attribution model/version, currency, tz)."),
    ("_mops_window_start", "date", "First day of the run's date window."),
    ("_mops_window_end", "date", "Last day of the run's date window."),
    ("_mops_attribution_model", "varchar", "Attribution model of the run context."),
    ("_mops_attribution_version", "bigint", "Attribution output version of the run context."),
    ("_mops_reporting_currency", "varchar", "Reporting currency of the run context."),
    ("_mops_timezone", "varchar", "Reporting time zone of the run context."),
    ("_mops_written_at", "timestamp", "When the runtime wrote the table (UTC)."),
)


class ContractError(MopsError):
    """A contract file that cannot be loaded, or a frame that breaks its contract."""


class Column(StrictModel):
    name: str
    type: ColumnType
    nullable: bool = False
    allowed_values: tuple[str, ...] | None = None
    description: str = ""
    pii: bool = False  # may hold personal data; the output gate's PII scan (mops.core.governance.pii) skips it


class Check(StrictModel):
    """A semantic rule on the whole frame.

    - sum_per_group: sum of `column` within each `by` group equals `equals` (a number) or the
      group's value of `equals_column`, within `tolerance`.
    - range: every value of `column` within [min, max].
    """

    name: str
    kind: Literal["sum_per_group", "range"]
    column: str
    by: tuple[str, ...] = ()
    equals: float | None = None
    equals_column: str | None = None
    tolerance: float = 1e-6
    min: float | None = None
    max: float | None = None
    description: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Check:
        if self.kind == "sum_per_group" and (not self.by or (self.equals is None) == (self.equals_column is None)):
            raise ValueError(f"check {self.name}: sum_per_group needs `by` and exactly one of equals/equals_column")
        if self.kind == "range" and self.min is None and self.max is None:
            raise ValueError(f"check {self.name}: range needs min or max")
        return self


class ContractVersion(StrictModel):
    version: int
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    checks: tuple[Check, ...] = ()
    deprecation_date: date | None = None  # produced as a shadow output until this day, then refused
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> ContractVersion:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"version {self.version}: duplicate columns {duplicates}")
        for name in self.key:
            if name not in names:
                raise ValueError(f"version {self.version}: key column {name!r} is not a column")
        for check in self.checks:
            for name in (check.column, *check.by, *([check.equals_column] if check.equals_column else [])):
                if name not in names:
                    raise ValueError(f"version {self.version}: check {check.name} uses unknown column {name!r}")
        return self

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


class Contract(StrictModel):
    table: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    owner: str
    description: str
    # The mode an in-place edit of a version must satisfy (a breaking change needs a new version).
    compatibility: Literal["BACKWARD", "FORWARD", "FULL"] = "FULL"
    versions: tuple[ContractVersion, ...]

    @model_validator(mode="after")
    def _ordered(self) -> Contract:
        numbers = [v.version for v in self.versions]
        if not numbers or numbers != sorted(set(numbers)):
            raise ValueError(f"{self.table}: versions must be listed once each, ascending (got {numbers})")
        return self

    @property
    def latest(self) -> ContractVersion:
        return self.versions[-1]

    def version(self, number: int | None) -> ContractVersion:
        if number is None:
            return self.latest
        for v in self.versions:
            if v.version == number:
                return v
        raise ContractError(
            f"contract {self.table} has no version {number} (known: {[v.version for v in self.versions]})"
        )

    def relation_name(self, number: int | None = None) -> str:
        return f"{self.table}_v{self.version(number).version}"


def parse_contract(text: str, origin: str) -> Contract:
    try:
        return Contract.model_validate(load_yaml(text))
    except (yaml.YAMLError, ValueError) as exc:
        raise ContractError(f"contract {origin} is invalid: {exc}") from exc


@cache
def _load_dir(directory: Path, _mtimes: tuple) -> dict[str, Contract]:
    contracts: dict[str, Contract] = {}
    for path in sorted(directory.glob("*.yml")):
        contract = parse_contract(path.read_text(), str(path))
        if path.stem != contract.table:
            raise ContractError(f"contract {path}: file name must be the table name ({contract.table}.yml)")
        contracts[contract.table] = contract
    return contracts


def load_contracts(directory: Path) -> dict[str, Contract]:
    """Every agent output contract, keyed by table name."""
    files = sorted(directory.glob("*.yml"))
    return _load_dir(directory, tuple((p.name, p.stat().st_mtime_ns) for p in files))


# --- validation -------------------------------------------------------------------------------


def _type_problem(series: pd.Series, column: Column) -> str | None:
    values = series.dropna()
    if values.empty:
        return None
    kind = column.type
    if kind == "varchar":
        ok = pd.api.types.is_string_dtype(series) or values.map(lambda v: isinstance(v, str)).all()
    elif kind == "bigint":
        ok = pd.api.types.is_integer_dtype(series) or (
            pd.api.types.is_float_dtype(series) and bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
        )
    elif kind == "double":
        ok = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    elif kind == "boolean":
        ok = pd.api.types.is_bool_dtype(series) or values.map(lambda v: isinstance(v, bool | np.bool_)).all()
    elif kind == "date":
        ok = pd.api.types.is_datetime64_any_dtype(series) or values.map(lambda v: isinstance(v, date)).all()
    else:  # timestamp
        ok = pd.api.types.is_datetime64_any_dtype(series)
    return None if ok else f"expected {kind}, got {series.dtype}"


def validate_frame(frame: pd.DataFrame, version: ContractVersion, table: str) -> list[str]:
    """Every way `frame` breaks the contract version, each naming table, column, rule and offending rows."""
    where = f"{table} v{version.version}"
    problems: list[str] = []
    expected = version.column_names
    key = tuple(version.key)
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected and not c.startswith("_mops_")]
    if missing:
        problems.append(f"{where}: missing columns {missing}")
    if extra:
        problems.append(f"{where}: columns not in the contract {extra}")
    for column in version.columns:
        if column.name not in frame.columns:
            continue
        series = frame[column.name]
        problem = _type_problem(series, column)
        if problem:
            wrong = wrong_type_rows(series, column.type)
            rows = name_rows(frame, wrong, key) if wrong is not None and wrong.any() else " in every row (column type)"
            problems.append(f"{where}: column {column.name}: type: {problem}{rows}")
        nulls = series.isna()
        if nulls.any() and not column.nullable:
            problems.append(
                f"{where}: column {column.name}: not_null: {int(nulls.sum())} null value(s)"
                f"{name_rows(frame, nulls, key)}"
            )
        if column.allowed_values is not None:
            outside = series.notna() & ~series.astype(str).isin(list(column.allowed_values))
            bad = sorted(set(series[outside].astype(str)))
            if bad:
                problems.append(
                    f"{where}: column {column.name}: allowed_values: {bad[:5]} not in {list(column.allowed_values)}"
                    f"{name_rows(frame, outside, key)}"
                )
    if missing:
        return problems
    if version.key:
        duplicated = frame.duplicated(list(version.key), keep=False)
        if duplicated.any():
            problems.append(
                f"{where}: key {list(version.key)}: unique: {int(frame.duplicated(list(version.key)).sum())} duplicate "
                f"row(s) (grain: {version.grain}){name_rows(frame, duplicated, key)}"
            )
    for check in version.checks:
        problems.extend(_run_check(frame, check, where, key))
    return problems


def _run_check(frame: pd.DataFrame, check: Check, where: str, key: tuple[str, ...] = ()) -> list[str]:
    values = pd.to_numeric(frame[check.column], errors="coerce")
    if check.kind == "range":
        low = -math.inf if check.min is None else check.min
        high = math.inf if check.max is None else check.max
        outside = (values < low) | (values > high)
        bad = int(outside.sum())
        if not bad:
            return []
        return [
            f"{where}: column {check.column}: {check.name}: {bad} value(s) outside [{low}, {high}]"
            f"{name_rows(frame, outside, key or (check.column,))}"
        ]
    sums = values.groupby([frame[b] for b in check.by]).sum()
    if check.equals_column is not None:
        target = (
            pd.to_numeric(frame[check.equals_column], errors="coerce").groupby([frame[b] for b in check.by]).first()
        )
    else:
        target = pd.Series(check.equals, index=sums.index)
    off = (sums - target).abs() > check.tolerance * np.maximum(1.0, target.abs())
    if off.any():
        groups = off[off].index[:MAX_NAMED_ROWS]
        named = "; ".join(f"{_group(check.by, g)}: {sums[g]:.6g} vs {target[g]:.6g}" for g in groups)
        more = f" and {int(off.sum()) - MAX_NAMED_ROWS} more" if off.sum() > MAX_NAMED_ROWS else ""
        return [
            f"{where}: column {check.column}: {check.name}: sum per {list(check.by)} differs from "
            f"{check.equals_column or check.equals} in {int(off.sum())} group(s): {named}{more}"
        ]
    return []


def _group(by: tuple[str, ...] | list[str], values: object) -> str:
    values = values if isinstance(values, tuple) else (values,)
    return ", ".join(f"{b}={show_value(v)}" for b, v in zip(by, values, strict=True))


def json_schema(contract: Contract, version: ContractVersion) -> dict:
    """JSON Schema (draft 2020-12) of one row of the version, for consumers outside Python/dbt."""
    properties = {}
    for column in version.columns:
        schema = dict(JSON_TYPES[column.type])
        if column.allowed_values is not None:
            schema["enum"] = list(column.allowed_values)
        if column.nullable:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if column.description:
            schema["description"] = column.description
        properties[column.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"mops:agents/{contract.table}/v{version.version}",
        "title": f"{contract.table} v{version.version}",
        "description": f"{contract.description.strip()} Grain: {version.grain}.",
        "type": "object",
        "properties": properties,
        "required": [c.name for c in version.columns if not c.nullable],
        "additionalProperties": False,
        "x-mops-key": list(version.key),
        "x-mops-checks": [c.model_dump(exclude_none=True, exclude_defaults=True) for c in version.checks],
    }
