"""The landing-format registry: which platform export formats mops accepts, in every known version.

`contracts/landing/<source>.yml` is the one source of truth; ingest validates files against it and
`mops generate` derives the dbt source YAML, the field-version mapping macro and the docs from it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from mops.core.base import StrictModel, load_yaml
from mops.core.landing_shapes import DateRule, Download, MetricRule, Shapes, UnitRule

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
    metric: str | None = None  # canonical metric whose value rules apply (spend, impressions, clicks...)
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
    shapes: Shapes = Field(default_factory=Shapes)
    downloads: dict[str, Download] = Field(default_factory=dict)  # web-UI downloads, each a version
    precedence: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # canonical -> fields, winner first
    metrics: dict[str, MetricRule] = Field(default_factory=dict)  # value rules per canonical metric
    unit_check: UnitRule | None = None  # implied CPC / CPM plausibility of the spend metric
    currency_field: str | None = None  # the field holding the row's currency (for the unit check)
    dates: DateRule | None = None

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
        clash = set(self.downloads) & set(self.versions)
        if clash:
            raise ValueError(f"{self.qualified_name}: downloads reuse version names {sorted(clash)}")
        for name, download in self.downloads.items():
            targets = {download.column(h).field for h in download.headers} | {download.currency_field}
            unknown = targets - set(names) - {None}
            if unknown:
                raise ValueError(f"{self.qualified_name} download {name}: unknown fields {sorted(unknown)}")
        metrics = {f.metric for f in self.fields if f.metric}
        for metric, rule in self.metrics.items():
            if metric not in metrics or (rule.at_most and rule.at_most not in metrics):
                raise ValueError(f"{self.qualified_name}: rules for metric {metric!r} name no declared field")
        for canonical, order in self.precedence.items():
            if set(order) - set(names):
                raise ValueError(f"{self.qualified_name}: precedence of {canonical} names unknown fields")
        self.version_order()  # precedence must imply one order of versions
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

    @property
    def all_versions(self) -> list[str]:
        """API versions, then web-UI download versions."""
        return [*self.versions, *self.downloads]

    def in_version(self, f: LandingField, version: str) -> bool:
        if version in self.downloads:
            download = self.downloads[version]
            return f.name == download.currency_field or any(
                download.column(h).field == f.name for h in download.headers
            )
        return f.in_version(version)

    def version_fields(self, version: str) -> list[LandingField]:
        return [f for f in self.fields if self.in_version(f, version)]

    def version_order(self) -> list[str]:
        """API versions by precedence (the version of each winning field first), then the rest newest first."""
        order: list[str] = []
        for canonical, names in self.precedence.items():
            versions = [v for name in names for v in (self.field(name).versions or ())]
            ranked = [v for v in order if v in versions]
            if ranked != [v for v in versions if v in ranked]:
                raise ValueError(f"{self.qualified_name}: precedence of {canonical} contradicts another column's")
            order += [v for v in versions if v not in order]
        return order + [v for v in reversed(list(self.versions)) if v not in order]

    def canonical_mapping(self) -> dict[str, dict[str, LandingField]]:
        """canonical column -> {version -> field}: how renamed fields map across versions."""
        mapping: dict[str, dict[str, LandingField]] = {}
        for f in self.fields:
            if f.canonical:
                for version in self.all_versions:
                    if self.in_version(f, version):
                        mapping.setdefault(f.canonical, {})[version] = f
        return mapping

    def metric_fields(self, metric: str) -> list[LandingField]:
        return [f for f in self.fields if f.metric == metric]


class LandingSource(StrictModel):
    source: str
    description: str
    tables: dict[str, LandingTable]


class Registry(BaseModel):
    sources: dict[str, LandingSource]
    units_per_usd: dict[str, float] = Field(default_factory=dict)  # orders of magnitude, for unit checks only

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
        if path.name.startswith("_"):
            continue
        data = load_yaml(path.read_text())
        source = data["source"]
        tables = {name: LandingTable(source=source, name=name, **spec) for name, spec in data["tables"].items()}
        sources[source] = LandingSource(source=source, description=data["description"], tables=tables)
    if not sources:
        raise FileNotFoundError(f"no landing formats found in {directory}")
    currencies = directory / "_currencies.yml"
    units = load_yaml(currencies.read_text())["units_per_usd"] if currencies.exists() else {}
    return Registry(sources=sources, units_per_usd=units)
