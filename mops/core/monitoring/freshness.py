"""Per-source telemetry and freshness: how far behind each landing table is, from what ingest recorded.

For every landing table that declares its date fields, the newest data day in its raw table and the
newest load (the ingest log, raw._mops_files) are compared with the freshness every generated dbt
source declares (`FRESHNESS`): the data lag is the time from the end of the newest data day to the end
of the day being judged (a run's date), the load lag the time since the newest load. Past warn_after
is a warning, past error_after a breach. Rows ingested, new fields seen (schema-change notices) and
files refused (ops.ingests, written by `mops ingest`) come with it. A table never loaded is `no_data`,
not a breach: optional sources may be absent (issue 10).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Literal

import pandas as pd

from mops.core.base import StrictModel
from mops.core.ingest_shapes import q
from mops.core.landing import LandingTable, Registry
from mops.core.ops.records import OpsLog

# the freshness every generated dbt source declares on its load time (mops generate writes it)
FRESHNESS = {"warn_after": {"count": 30, "period": "hour"}, "error_after": {"count": 3, "period": "day"}}
HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}
RAW = "raw"
FILES = "_mops_files"


def limit_hours(rule: str, freshness: dict = FRESHNESS) -> float:
    return freshness[rule]["count"] * HOURS[freshness[rule]["period"]]


class SourceFreshness(StrictModel):
    source: str
    table: str
    status: Literal["ok", "warn", "error", "no_data"]
    newest_day: date | None = None
    data_lag_hours: float | None = None
    newest_load: datetime | None = None
    load_lag_hours: float | None = None
    files: int = 0
    rows_ingested: int = 0
    files_refused: int = 0
    new_fields: list[str] = []
    message: str = ""


def _newest_day_sql(table: LandingTable) -> str | None:
    fields = table.dates.fields if table.dates else ()
    name = f"{RAW}.{q(table.raw_table)}"  # names from the landing contracts, quoted as ingest quotes them
    if len(fields) == 1:
        return f"select max(cast({q(fields[0])} as date)) as newest from {name}"
    if len(fields) == 3:  # year, month and day fields
        y, m, d = (f"cast({q(f)} as integer)" for f in fields)
        return f"select max(make_date({y}, {m}, {d})) as newest from {name}"
    return None


def _files(log: OpsLog) -> pd.DataFrame:
    if not log.warehouse.exists(RAW, FILES):
        return pd.DataFrame(columns=["source", "table_name", "row_count", "loaded_at", "new_fields"])
    return log.warehouse.query(f"select source, table_name, row_count, loaded_at, new_fields from {RAW}.{FILES}")


def _refused(log: OpsLog) -> dict[str, int]:
    """Per source: paths whose latest ingest outcome was a refusal."""
    ingests = log.query("ingests", order="ingested_at")
    if ingests.empty:
        return {}
    latest = ingests.drop_duplicates("path", keep="last")
    latest = latest[latest.status == "refused"]
    return latest.groupby(latest.path.str.split("/").str[0]).size().to_dict()


def _judge(lags: list[float | None]) -> str:
    worst = max((lag for lag in lags if lag is not None), default=0.0)
    if worst > limit_hours("error_after"):
        return "error"
    return "warn" if worst > limit_hours("warn_after") else "ok"


def source_freshness(log: OpsLog, registry: Registry, day: date, now: datetime) -> list[SourceFreshness]:
    """Freshness of every dated landing table, judged for `day` (data) and at `now` (loads)."""
    files = _files(log)
    refused = _refused(log)
    end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time())
    found = []
    for table in registry.tables():
        sql = _newest_day_sql(table)
        if sql is None or not log.warehouse.exists(RAW, table.raw_table):
            continue
        mine = files[(files.source == table.source) & (files.table_name == table.name)]
        newest = log.warehouse.query(sql)["newest"].iloc[0]
        base = {
            "source": table.source,
            "table": table.name,
            "files": len(mine),
            "rows_ingested": int(mine.row_count.fillna(0).sum()),
            "files_refused": int(refused.get(table.source, 0)),
            "new_fields": sorted({f for cell in mine.new_fields.dropna() for f in json.loads(cell or "[]")}),
        }
        if newest is None or pd.isna(newest):
            found.append(SourceFreshness(**base, status="no_data", message=f"{table.qualified_name}: never loaded"))
            continue
        newest_day = pd.Timestamp(newest).date()
        data_lag = max(
            (end_of_day - datetime.combine(newest_day + timedelta(days=1), datetime.min.time())), timedelta()
        )
        loaded = pd.to_datetime(mine.loaded_at).max() if len(mine) else pd.NaT
        load_lag = None if pd.isna(loaded) else max((now - loaded.to_pydatetime()).total_seconds() / 3600, 0.0)
        data_hours = data_lag.total_seconds() / 3600
        status = _judge([data_hours, load_lag])
        message = (
            f"{table.qualified_name}: newest data {newest_day.isoformat()}, {data_hours:.0f} h behind {day.isoformat()}"
            + (f", last loaded {load_lag:.0f} h ago" if load_lag is not None else "")
            + f" (declared: warn after {limit_hours('warn_after'):.0f} h, "
            f"error after {limit_hours('error_after'):.0f} h)"
        )
        found.append(
            SourceFreshness(
                **base,
                status=status,
                newest_day=newest_day,
                data_lag_hours=data_hours,
                newest_load=None if pd.isna(loaded) else loaded.to_pydatetime(),
                load_lag_hours=load_lag,
                message=message,
            )
        )
    return found
