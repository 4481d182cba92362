"""Marketing KPI series from the unified model: daily spend, clicks and conversions per channel."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from mops.core.warehouse.adapter import Warehouse, _ident

KPI_MODEL = "fct_ad_performance_daily"
METRICS = {
    "spend": "spend_in_reporting_currency",
    "clicks": "clicks",
    "conversions": "conversions",
}


def kpi_relation(warehouse: Warehouse, override: str | None = None) -> tuple[str, str]:
    """The mart's schema and table: `override` ("schema.table") or resolved through dbt's manifest."""
    if override:
        schema, _, name = override.partition(".")
        return schema, name
    relation = warehouse.manifest.resolve(KPI_MODEL)
    return relation.schema, relation.name


def daily_kpis(warehouse: Warehouse, relation: tuple[str, str], days: int, until: date | None = None) -> pd.DataFrame:
    """Long frame (`channel_id`, `metric`, `date_day`, `value`) of the last `days` days up to `until`."""
    schema, name = relation
    sums = ", ".join(f"sum({_ident(column)}) as {_ident(metric)}" for metric, column in METRICS.items())
    where, params = "", []
    if until is not None:
        where, params = " where date_day > ? and date_day <= ?", [until - timedelta(days=days), until]
    wide = warehouse.query(
        f"select channel_id, date_day, {sums} from {_ident(schema)}.{_ident(name)}{where} "
        "group by channel_id, date_day order by channel_id, date_day",
        params,
    )
    if until is None and not wide.empty:
        newest = pd.to_datetime(wide.date_day).max()
        wide = wide[pd.to_datetime(wide.date_day) > newest - pd.Timedelta(days=days)]
    long = wide.melt(id_vars=["channel_id", "date_day"], var_name="metric", value_name="value")
    long["date_day"] = pd.to_datetime(long.date_day).dt.date
    return long.dropna(subset=["value"]).reset_index(drop=True)
