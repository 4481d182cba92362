"""Map a file's columns onto the registry fields of its table, as the table's declared shapes allow.

A column is a registry field by its exact name, its camelCase variant, after lifting a declared row
record (TikTok's dimensions/metrics), or, in a web-UI download, by its display header (with the UI's
number format, placeholders and the currency its header carries). Every other column is an extra:
kept as JSON in `_mops_extras` and reported as a new field unless the format declares it known.
Which version a row is in is decided per row where a file carries fields of several versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mops.core.errors import RefusedFile
from mops.core.ingest_files import excerpt, file_name_value, is_known_extra
from mops.core.landing import LandingTable

NEW_FIELDS_SHOWN = 20


def q(name: str) -> str:
    """Quote an identifier (platform field names contain dots and capitals)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def snake(name: str) -> str:
    """metrics.costMicros -> metrics.cost_micros (per dotted segment)."""
    return ".".join(re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", part).lower() for part in name.split("."))


@dataclass
class Mapping:
    """The registry fields a file provides (SQL over the read relation), its extras and its version plan."""

    columns: dict[str, tuple[str, str]]  # registry field -> (SQL expression, DuckDB type id)
    extras: dict[str, str] = field(default_factory=dict)  # original column name -> SQL expression
    new_fields: list[str] = field(default_factory=list)  # extras the format does not know
    known: set[str] = field(default_factory=set)  # extras the format declares (kept, not reported)
    formats: dict[str, str] = field(default_factory=dict)  # field -> strptime format overriding the registry's
    versions: list[str] = field(default_factory=list)  # versions rows may be in, winner first
    version_sql: str = ""  # SQL (over registry field names) giving each row's version
    notes: list[str] = field(default_factory=list)


def map_columns(
    table: LandingTable, flat: dict[str, tuple[str, str]], download: str | None, file_name: str, rel: str
) -> Mapping:
    known = {f.name for f in table.fields}
    columns: dict[str, tuple[str, str]] = {}
    extras: dict[str, str] = {}
    mapping = Mapping(columns)
    if download:
        _map_download(table, download, flat, mapping, rel)
    else:
        for name, (expr, type_id) in flat.items():
            target = _api_name(table, name, known)
            if target and target not in columns:
                columns[target] = (expr, type_id)
            else:
                extras[name] = expr
        mapping.extras = extras
    for name, pattern in table.shapes.file_name_fields.items():
        value = file_name_value(pattern, file_name)
        if name not in columns and value is not None:
            columns[name] = (lit(value), "varchar")
            mapping.notes.append(f"{name} {value} taken from the file name")
    mapping.new_fields = sorted(
        n
        for n in mapping.extras
        if n not in mapping.known and not is_known_extra(table, n) and not is_known_extra(table, snake(n))
    )
    _plan_versions(table, mapping, download, rel)
    return mapping


def _api_name(table: LandingTable, name: str, known: set[str]) -> str | None:
    candidates = [name]
    for prefix in table.shapes.unnest:
        if name.startswith(prefix + "."):
            candidates.append(name[len(prefix) + 1 :])
    if "camelCase" in table.shapes.name_styles:
        candidates += [snake(c) for c in list(candidates)]
    return next((c for c in candidates if c in known), None)


def _map_download(table: LandingTable, name: str, flat: dict[str, tuple[str, str]], mapping: Mapping, rel: str) -> None:
    download = table.downloads[name]
    patterns = download.header_patterns()
    seen: set[str] = set()
    for header, (expr, _) in flat.items():
        declared = next((h for h, p in patterns.items() if p.match(header.strip())), None)
        if declared is None:
            mapping.extras[header] = expr
            continue
        seen.add(declared)
        column = download.column(declared)
        captured = patterns[declared].match(header.strip()).groupdict().get("currency")
        if captured and download.currency_field:
            mapping.columns[download.currency_field] = (lit(captured), "varchar")
        if column.field is None:
            mapping.extras[header] = expr
            mapping.known.add(header)
            continue
        text = f"trim(cast({expr} as varchar))"
        for placeholder in download.null_values:
            text = f"nullif({text}, {lit(placeholder)})"
        target = table.field(column.field)
        if target.type in ("bigint", "double", "decimal"):
            if download.thousands:
                text = f"replace({text}, {lit(download.thousands)}, '')"
            if download.decimal != ".":
                text = f"replace({text}, {lit(download.decimal)}, '.')"
            if column.scale:
                number = f"try_cast({text} as double)"
                text = f"coalesce(cast(cast(round({number} * {column.scale}) as bigint) as varchar), {text})"
        for char in column.remove:
            text = f"replace({text}, {lit(char)}, '')"
        if column.format:
            mapping.formats[column.field] = column.format
        mapping.columns[column.field] = (text, "varchar")
    missing = [h for h in download.headers if h not in seen and h not in download.optional]
    if missing:
        raise RefusedFile(
            rel,
            f"looks like a {table.source} web-UI download ({download.description}) but lacks the columns "
            f"{missing}: add them to the report before downloading",
        )


def _plan_versions(table: LandingTable, mapping: Mapping, download: str | None, rel: str) -> None:
    present = set(mapping.columns)
    if download:
        mapping.versions, mapping.version_sql = [download], lit(download)
        return
    common = [f.name for f in table.fields if f.versions is None and f.required and f.name not in present]
    specific = {v: [f for f in table.version_fields(v) if f.versions is not None] for v in table.versions}
    touched = [v for v, fields in specific.items() if any(f.name in present for f in fields)]
    incomplete = {v: [f.name for f in specific[v] if f.required and f.name not in present] for v in touched}
    complete = [v for v in touched if not incomplete[v]]
    if not touched:
        complete = [v for v, fields in specific.items() if not any(f.required for f in fields)]
    if common or not complete:
        _refuse_mismatch(table, mapping, common, touched, incomplete, rel)
    order = [v for v in table.version_order() if v in complete]
    if len(order) > 1:
        undecided = _undecided(table, order)
        if undecided:
            raise RefusedFile(
                rel,
                f"carries fields of versions {order} of {table.qualified_name} ({', '.join(undecided)}) and the "
                "format declares no precedence between them: export one version, or declare `precedence:` "
                "in contracts/landing/" + f"{table.source}.yml",
            )
        cases = " ".join(
            "when " + " and ".join(f"{q(f.name)} is not null" for f in specific[v] if f.required) + f" then {lit(v)}"
            for v in order
        )
        mapping.version_sql = f"case {cases} else {lit(order[0])} end"
    else:
        mapping.version_sql = lit(order[0])
    mapping.versions = order


def _undecided(table: LandingTable, order: list[str]) -> list[str]:
    """Canonical columns whose field differs between the versions and that have no declared precedence."""
    out = []
    for canonical, by_version in table.canonical_mapping().items():
        names = {by_version[v].name for v in order if v in by_version}
        if len(names) > 1 and canonical not in table.precedence:
            out.append(f"{canonical}: {sorted(names)}")
    return out


def _refuse_mismatch(table, mapping: Mapping, common, touched, incomplete, rel: str) -> None:
    parts = []
    if mapping.new_fields:
        shown = mapping.new_fields[:NEW_FIELDS_SHOWN]
        parts.append(f"fields the format does not know {[excerpt(n, 60)[1:-1] for n in shown]}")
    missing = list(common)
    if not touched:
        needed = {v: [f.name for f in table.version_fields(v) if f.versions is not None and f.required]
                  for v in table.versions}  # fmt: skip
        newest = list(table.versions)[-1]
        missing += [f"{' or '.join(repr(n) for n in needed[newest])} ({newest})"] if needed[newest] else []
    for version, names in incomplete.items():
        if names:
            missing += [f"{n} ({version})" for n in names]
    parts.insert(0, f"missing required fields {missing}")
    if not mapping.columns:
        hint = f"none of its columns is a field of {table.qualified_name} (another export, or unreadable text?)"
        parts.insert(0, hint)
    raise RefusedFile(
        rel,
        f"columns match no known version of the {table.qualified_name} format ({table.api}): " + "; ".join(parts),
    )


def match_version(table: LandingTable, columns: list[str], rel: str) -> list[str]:
    """The versions a file with these columns (as registry names) may hold, winner first."""
    flat = {name: (q(name), "varchar") for name in columns}
    return map_columns(table, flat, None, rel, rel).versions
