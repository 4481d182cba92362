"""The landing-format registry: which platform export formats mops accepts, in every known version.

`contracts/landing/<source>.yml` is the one source of truth; ingest validates files against it and
`mops generate` derives the dbt source YAML, the field-version mapping macro and the docs from it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

from mops.core.base import StrictModel

FieldType = Literal["varchar", "bigint", "double", "decimal", "date", "timestamp", "boolean", "json"]



class LandingField(StrictModel):
    name: str
    type: FieldType
    staging: str = Field(description="Column name in the staging model (rename target).")
    required: bool = True
    versions: tuple[str, ...] | None = None  # None: present in every version
    format: str | None = None  # strptime format for date / timestamp given as text
    canonical: str | None = None  # canonical column it maps to, where the name differs by version
    currency: str | None = None  # 'account' or an ISO code: what currency a money field is in
    unit: str | None = None
    pii: bool = False
    description: str = ""

    def in_version(self, version: str) -> bool:
        return self.versions is None or version in self.versions


class Check(StrictModel):
    name: str
    sql: str
    message: str


class LandingTable(StrictModel):
    source: str
    name: str
    description: str
    api: str
    grain: str
    key: tuple[str, ...]
    key_is_unique: bool = True
    versions: dict[str, str] = Field(default_factory=lambda: {"v1": "The only known version."})
    fields: tuple[LandingField, ...]
    checks: tuple[Check, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> LandingTable:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.qualified_name}: duplicate field names")
        for f in self.fields:
            unknown = set(f.versions or ()) - set(self.versions)
            if unknown:
                raise ValueError(f"{self.qualified_name}.{f.name}: unknown versions {sorted(unknown)}")
        missing_key = set(self.key) - set(names)
        if missing_key:
            raise ValueError(f"{self.qualified_name}: key fields not declared: {sorted(missing_key)}")
        return self

    @property
    def qualified_name(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def raw_table(self) -> str:
        """Table name in the raw schema."""
        return f"{self.source}__{self.name}"

    def field(self, name: str) -> LandingField:
        return next(f for f in self.fields if f.name == name)

    def version_fields(self, version: str) -> list[LandingField]:
        return [f for f in self.fields if f.in_version(version)]

    def canonical_mapping(self) -> dict[str, dict[str, LandingField]]:
        """canonical column -> {version -> field}: how renamed fields map across versions."""
        mapping: dict[str, dict[str, LandingField]] = {}
        for f in self.fields:
            if f.canonical:
                for version in self.versions:
                    if f.in_version(version):
                        mapping.setdefault(f.canonical, {})[version] = f
        return mapping


class LandingSource(StrictModel):
    source: str
    description: str
    tables: dict[str, LandingTable]


class Registry(BaseModel):
    sources: dict[str, LandingSource]

    def tables(self) -> list[LandingTable]:
        return [t for s in self.sources.values() for t in s.tables.values()]

    def table(self, source: str, name: str) -> LandingTable:
        return self.sources[source].tables[name]


def load_registry(landing_contracts_dir: Path) -> Registry:
    return _load_registry(landing_contracts_dir.resolve())


@cache
def _load_registry(directory: Path) -> Registry:
    sources: dict[str, LandingSource] = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        source = data["source"]
        tables = {name: LandingTable(source=source, name=name, **spec) for name, spec in data["tables"].items()}
        sources[source] = LandingSource(source=source, description=data["description"], tables=tables)
    if not sources:
        raise FileNotFoundError(f"no landing formats found in {directory}")
    return Registry(sources=sources)
