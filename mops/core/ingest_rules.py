"""Value rules per canonical metric, checked at ingest on the typed rows of one file.

Declared in the registry (`metrics:`, `unit_check:`, `dates:`, `checks:` of a table): required metrics
non-null, money non-negative (refused, or flagged where a platform really reports negative values),
clicks within impressions, the implied cost per click / per thousand impressions within a plausible
range (money in the wrong unit, read from the data), and dates the platform can have reported.
All rules run in one aggregate query (with the staging's type and key checks); a broken refusing rule
refuses the file naming the file, the field, the first row and its value; a broken flagging rule is
reported and the rows load.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import duckdb

from mops.core.errors import RefusedFile
from mops.core.ingest_files import excerpt
from mops.core.ingest_shapes import lit, q
from mops.core.landing import LandingField, LandingTable


@dataclass(frozen=True)
class Rule:
    name: str
    violation: str  # SQL condition over the typed rows that is true on a broken row
    detail: tuple[str, ...]  # SQL expressions shown for the first broken row
    describe: str  # message template: {row}, {version} and {d0}, {d1}... filled from the first broken row
    flag: bool = False
    names: tuple[int, ...] = (0,)  # which details are field names (shown bare; the rest are user values)


def _value(f: LandingField) -> str:
    if f.type == "json":  # a list of {action_type, value} (Meta's outbound_clicks)
        return (
            f"list_sum(list_transform(json_extract_string({q(f.name)}, '$[*].value'), lambda x: try_cast(x as double)))"
        )
    return f"cast({q(f.name)} as double)"


def _metric(table: LandingTable, metric: str, version: str, currency_units: bool = False) -> tuple[str, str]:
    """SQL of a canonical metric's value in each row (the field of the row's version) and its field name."""
    fields = table.metric_fields(metric)
    cases, names = [], []
    for name in table.all_versions:
        f = next((f for f in fields if table.in_version(f, name)), None)
        if f is None:
            continue
        value = _value(f)
        if currency_units and f.unit == "micros":
            value = f"({value} / 1000000.0)"
        cases.append((name, value))
        names.append((name, f.name))
    if len({v for _, v in cases}) == 1:
        return cases[0][1], lit(names[0][1])
    value = f"case {version} " + " ".join(f"when {lit(v)} then {e}" for v, e in cases) + " end"
    name = f"case {version} " + " ".join(f"when {lit(v)} then {lit(n)}" for v, n in names) + " end"
    return value, name


def _units(table: LandingTable, units_per_usd: dict[str, float], version: str) -> str:
    """SQL of the row's currency units per US dollar (1 where the currency is unknown; __units from the join)."""
    cases = []
    for f in table.metric_fields("spend"):
        if f.currency and f.currency != "account":
            versions = [v for v in table.all_versions if table.in_version(f, v)]
            units = units_per_usd.get(f.currency, 1)
            cases.append(f"when {version} in ({', '.join(lit(v) for v in versions)}) then {units}")
    fallback = "coalesce(__units, 1)" if table.currency_field else "1"
    return f"(case {' '.join(cases)} else {fallback} end)" if cases else f"({fallback})"


class Derived(dict):
    """Expressions computed once per row in a subquery, referred to by alias in the rules."""

    def __call__(self, expr: str) -> str:
        for alias, known in self.items():
            if known == expr:
                return alias
        alias = f"__d{len(self)}"
        self[alias] = expr
        return alias


def rules(
    table: LandingTable, units_per_usd: dict[str, float], today: date, version: str, derived: Derived
) -> list[Rule]:
    out: list[Rule] = []
    for metric, rule in table.metrics.items():
        value, name = _metric(table, metric, version)
        value = derived(value)
        if rule.not_null:
            out.append(Rule(f"{metric}_required", f"{value} is null", (name,),
                            f"required metric {metric} is empty (field {{d0}}, row {{row}})"))  # fmt: skip
        if rule.negative != "allow":
            out.append(Rule(f"{metric}_not_negative", f"{value} < 0", (name, value),
                            f"{metric} is negative (field {{d0}}, row {{row}}: {{d1}})"
                            + (f"; {rule.why}" if rule.negative == "flag" and rule.why else ""),
                            flag=rule.negative == "flag"))  # fmt: skip
        if rule.at_most:
            other, other_name = _metric(table, rule.at_most, version)
            other = derived(other)
            broken = f"{value} > {other}" + (f" and {other} <> 0" if rule.unless_zero else "")
            out.append(Rule(f"{metric}_within_{rule.at_most}", broken, (name, value, other_name, other),
                            f"{metric} exceed {rule.at_most} (row {{row}}: {{d0}} = {{d1}} > {{d2}} = {{d3}})",
                            names=(0, 2)))  # fmt: skip
    if table.unit_check and table.metric_fields("spend") and table.metric_fields("impressions"):
        out += _unit_rules(table, units_per_usd, version, derived)
    if table.dates:
        out.append(_date_rule(table, today))
    for check in table.checks:
        out.append(
            Rule(check.name, f"not coalesce(({check.sql}), true)", (), f"{check.message} (row {{row}})", names=())
        )
    return out


def _unit_rules(table: LandingTable, units_per_usd: dict[str, float], version: str, derived: Derived) -> list[Rule]:
    check = table.unit_check
    spend, spend_name = _metric(table, "spend", version, currency_units=True)
    impressions = derived(_metric(table, "impressions", version)[0])
    clicks = derived(_metric(table, "clicks", version)[0]) if table.metric_fields("clicks") else "0"
    usd = derived(f"({spend} / {_units(table, units_per_usd, version)})")
    (cpc_min, cpc_max), (cpm_min, cpm_max) = check.cpc, check.cpm
    cpc = f"round({usd} / greatest({clicks}, 1), 7)"
    cpm = f"round({usd} * 1000 / greatest({impressions}, 1), 7)"
    detail = (spend_name, cpc, cpm, f"{clicks}", f"{impressions}")
    high = (
        f"{usd} > {cpc_max} * greatest(coalesce({clicks}, 0), 1) "
        f"and {usd} * 1000 > {cpm_max} * greatest(coalesce({impressions}, 0), 1)"
    )
    low = (
        f"{usd} > 0 and {clicks} >= 1 and {impressions} >= 1 "
        f"and {usd} < {cpc_min} * {clicks} and {usd} * 1000 < {cpm_min} * {impressions}"
    )
    seen = "(row {row}: {d1} USD-equivalent per click over {d3} clicks, {d2} per thousand impressions over {d4})"
    return [
        Rule("spend_unit_plausible", high, detail,
             f"the money in {{d0}} looks like micros where currency units are expected {seen}: above "
             f"{cpc_max:g} USD per click and {cpm_max:g} USD per thousand impressions"),
        Rule("spend_unit_plausible", low, detail,
             f"the money in {{d0}} looks like whole currency units where micros are expected {seen}: below "
             f"{cpc_min:g} USD per click and {cpm_min:g} USD per thousand impressions (micros: 1 USD = 1,000,000)"),
    ]  # fmt: skip


def _date_rule(table: LandingTable, today: date) -> Rule:
    rule = table.dates
    if len(rule.fields) == 3:
        y, m, d = (q(f) for f in rule.fields)
        day = f"try_cast(printf('%04d-%02d-%02d', {y}, {m}, {d}) as date)"
    else:
        day = f"cast({q(rule.fields[0])} as date)"
    latest = today + timedelta(days=rule.future_days) if rule.future_days is not None else None
    violation = f"({day} < date {lit(rule.earliest.isoformat())}"
    violation += f" or {day} > date {lit(latest.isoformat())})" if latest else ")"
    bounds = f"from {rule.earliest}" + (f" to {latest} (today + {rule.future_days} days)" if latest else "")
    return Rule("date_in_range", violation, (f"cast({day} as varchar)",),
                f"row {{row}} is dated {{d0}}, outside what {table.source} can have reported ({bounds}); "
                "check the export's date range and format", names=())  # fmt: skip


def _show(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float | Decimal):
        return f"{float(value):,.7g}"
    return excerpt(value)


def _units_table(con: duckdb.DuckDBPyConnection, units_per_usd: dict[str, float]) -> str:
    """The temp table of currency units per US dollar, created once per connection and content."""
    pairs = sorted((code, float(units)) for code, units in units_per_usd.items())
    name = "_mops_units_" + hashlib.sha256(repr(pairs).encode()).hexdigest()[:12]
    values = ", ".join(f"({lit(code)}, {units!r})" for code, units in pairs)
    con.execute(
        f"create temp table if not exists {name} (__code varchar, __units double)"
        if not values
        else f"create temp table if not exists {name} as select __code, cast(__units as double) as __units "
        f"from (values {values}) v(__code, __units)"
    )
    return name


def check_rules(
    con: duckdb.DuckDBPyConnection,
    table: LandingTable,
    units_per_usd: dict[str, float],
    today: date,
    rel: str,
    version: str = "_mops_format_version",
    relation: str = "_mops_typed",
    also: tuple[str, ...] = (),
    first: Callable[[tuple], None] | None = None,
) -> tuple[list[str], tuple]:
    """Run every rule on the typed rows (`relation`: a table name or a parenthesised select); refuse on a
    broken refusing rule, return the flags of the others and the values of `also`.

    `also`: more aggregates over the same rows, computed in the same query (one pass over the file: the
    type and key checks of the staging); `first` judges their values before any rule is judged.
    """
    derived = Derived()
    active = rules(table, units_per_usd, today, version, derived)
    if not active and not also:
        return [], ()
    join = ""
    if active and table.currency_field and table.unit_check:
        units = _units_table(con, units_per_usd)
        join = f"left join {units} on __code = upper(t.{q(table.currency_field)})"
    projection = "".join(f", {expr} as {alias}" for alias, expr in derived.items())
    source = f"(select t.*{projection} from {relation} t {join})"
    aggregate = [f"count(*) filter (where {r.violation}), min(_mops_row) filter (where {r.violation})"
                 for r in active]  # fmt: skip
    counts = con.execute(f"select {', '.join([*aggregate, *also])} from {source}").fetchone()
    extra = tuple(counts[2 * len(active) :])
    if first:
        first(extra)
    broken = [(r, counts[2 * i], counts[2 * i + 1]) for i, r in enumerate(active) if counts[2 * i]]
    messages = []
    for rule, count, first in broken:
        shown = ", ".join(rule.detail) or "null"
        detail = con.execute(f"select {shown} from {source} where _mops_row = ?", [first]).fetchone()
        values = {f"d{i}": (str(v) if i in rule.names else _show(v)) for i, v in enumerate(detail or ())}
        text = rule.describe.format(row=first, **values)
        messages.append((rule, f"{rule.name}: {text}" + (f" and {count - 1} more row(s)" if count > 1 else "")))
    refusing = [m for r, m in messages if not r.flag]
    if refusing:
        raise RefusedFile(rel, "; ".join(refusing))
    return [m for _, m in messages], extra
