"""The whole data path on PostgreSQL (127.0.0.1:5432): demo exports -> ingest -> dbt build -> agents.

The same landing files go through the DuckDB path too, and PostgreSQL must agree with it: the same
raw rows, a passing dbt build, the same mart totals and the same agent outputs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import psycopg2
import pytest

from agents.attribution import AGENT as ATTRIBUTION
from agents.segmentation import AGENT as SEGMENTATION
from demo import generate
from demo.world import DemoConfig
from mops.core.ingest import FileResult, ingest
from mops.core.ingest_postgres import ingest_postgres
from mops.core.landing import load_registry
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import Runner
from mops.core.settings import PROJECT_DIR, Settings
from mops.core.transform import DbtResult, run_dbt
from mops.core.warehouse.adapter import DuckDBWarehouse, PostgresWarehouse, Warehouse
from mops.core.warehouse.connections import connect_duckdb
from tests.conftest import DEMO_END_DATE, FX_SEED, make_settings
from tests.unit.test_ingest import GOOGLE_HEADER, google_csv

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
SMALL_DEMO = DemoConfig(end_date=DEMO_END_DATE, scale=0.2, users=3000)
CONTEXT = RunContext.for_day(date.fromisoformat(DEMO_END_DATE), 28, attribution_model="last_touch")


@contextmanager
def throwaway_database() -> Iterator[str]:
    name = f"mops_test_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


@dataclass
class Pipelines:
    duckdb: Settings
    postgres: Settings
    duckdb_ingest: list[FileResult]
    postgres_ingest: list[FileResult]
    duckdb_build: DbtResult
    postgres_build: DbtResult


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory) -> Iterator[Pipelines]:
    """One small demo, ingested and dbt-built on both warehouses (PostgreSQL last: its manifest stays)."""
    root = tmp_path_factory.mktemp("pgpath")
    duck = make_settings(root)
    generate(SMALL_DEMO, duck.landing_path, FX_SEED)
    with throwaway_database() as url:
        pg = make_settings(root, warehouse_url=url)
        with connect_duckdb(duck.warehouse_path) as con:
            duck_results = ingest(con, REGISTRY, duck.landing_path)
        pg_results = ingest_postgres(url, REGISTRY, pg.landing_path)
        duck_build = run_dbt(duck, ["build"])
        pg_build = run_dbt(pg, ["build"])
        yield Pipelines(duck, pg, duck_results, pg_results, duck_build, pg_build)


def both(pipelines: Pipelines, sql: str, sort: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The query's rows on DuckDB and on PostgreSQL, numbers as floats; sorted by every column unless `sort` is off."""
    frames = []
    for warehouse in (DuckDBWarehouse(pipelines.duckdb, read_only=True), PostgresWarehouse(pipelines.postgres)):
        with warehouse:
            frames.append(_normalised(warehouse.query(sql), sort))
    return frames[0], frames[1]


def _normalised(frame: pd.DataFrame, sort: bool = True) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[us]")
    return frame.sort_values(list(frame.columns)).reset_index(drop=True) if sort else frame


@pytest.mark.slow
def test_every_demo_file_loads_into_postgres_as_into_duckdb(pipelines):
    statuses = {r.path: (r.status, r.table, r.version, r.rows) for r in pipelines.postgres_ingest}
    assert statuses == {r.path: (r.status, r.table, r.version, r.rows) for r in pipelines.duckdb_ingest}
    assert {r.status for r in pipelines.postgres_ingest} == {"loaded", "skipped"}
    assert [r.path for r in pipelines.postgres_ingest if r.status == "skipped"] == ["_truth"]  # reported, not read
    again = ingest_postgres(pipelines.postgres.warehouse_url, REGISTRY, pipelines.postgres.landing_path)
    assert {r.status for r in again} == {"unchanged", "skipped"}
    for table in REGISTRY.tables():
        columns = [f.name for f in table.fields] + ["_mops_file", "_mops_format_version", "_mops_row", "_mops_extras"]
        select = ", ".join(f'"{c}"' for c in columns)
        duck, pg = both(
            pipelines, f'select {select} from raw."{table.raw_table}" order by _mops_file, _mops_row', sort=False
        )
        for field in [f.name for f in table.fields if f.type == "json"] + ["_mops_extras"]:  # text vs jsonb
            duck[field], pg[field] = _same_json(duck[field]), _same_json(pg[field])
        pd.testing.assert_frame_equal(duck, pg, check_dtype=False, obj=table.raw_table)


def _same_json(values: pd.Series) -> pd.Series:
    def canonical(value):
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return None
        return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)

    return values.map(canonical)


@pytest.mark.slow
def test_dbt_build_passes_on_postgres(pipelines):
    assert pipelines.duckdb_build.ok, pipelines.duckdb_build.failures
    assert pipelines.postgres_build.ok, f"{pipelines.postgres_build.failures} (log {pipelines.postgres_build.log_path})"


@pytest.mark.slow
@pytest.mark.parametrize(
    "sql",
    [
        """select platform, date_day, sum(spend_in_reporting_currency) as spend, sum(clicks) as clicks,
                  sum(conversions) as conversions
           from marts.fct_ad_performance_daily_v1 group by platform, date_day""",
        """select cast(converted_at as date) as day, count(*) as conversions,
                  sum(revenue_in_reporting_currency) as revenue
           from marts.fct_conversions_v1 group by cast(converted_at as date)""",
        "select channel_id, count(*) as touchpoints from marts.fct_touchpoints_v1 group by channel_id",
        """select channel_path, touch_hours_before_end, is_converted, conversion_value_in_reporting_currency
           from marts.fct_conversion_paths_v1""",
        # ASOF JOIN on DuckDB, window functions on PostgreSQL (macros/last_touch.sql): the same touch each
        """select conversion_id, last_non_direct_touchpoint_id, last_non_direct_channel_id, last_non_direct_touched_at
           from marts.fct_conversions_v1""",
    ],
    ids=[
        "spend_per_platform_and_day",
        "conversions_per_day",
        "touchpoints_per_channel",
        "conversion_paths",
        "last_non_direct_touches",
    ],
)
def test_mart_totals_on_postgres_equal_duckdb(pipelines, sql):
    duck, pg = both(pipelines, sql)
    assert len(duck) > 0
    pd.testing.assert_frame_equal(duck, pg, check_dtype=False, rtol=1e-9)


def _agent_outputs(warehouse: Warehouse) -> dict[str, pd.DataFrame]:
    """Attribution then segmentation (which reads attribution's credit); their outputs without run stamps."""
    outputs = {}
    for agent in (ATTRIBUTION, SEGMENTATION):
        run = Runner(warehouse).run(agent, CONTEXT)
        assert run.status == "succeeded", run.message
        for table in run.rows_written:
            schema, name = table.split(".")
            frame = warehouse.read(schema, name)
            outputs[table] = _normalised(frame[[c for c in frame.columns if not c.startswith("_mops_")]])
    return outputs


@pytest.mark.slow
def test_agents_on_postgres_write_what_they_write_on_duckdb(pipelines):
    with PostgresWarehouse(pipelines.postgres) as pg:
        on_postgres = _agent_outputs(pg)
    with DuckDBWarehouse(pipelines.duckdb) as duck:
        on_duckdb = _agent_outputs(duck)
    assert set(on_postgres) >= {"agents.attribution_credit_v2", "agents.customer_segments_v1"}
    assert set(on_postgres) == set(on_duckdb)
    for table, frame in on_postgres.items():
        assert len(frame) > 0, table
        pd.testing.assert_frame_equal(on_duckdb[table], frame, check_dtype=False, rtol=1e-9, obj=table)


def _raw_google(url: str) -> list[tuple]:
    with closing(psycopg2.connect(url)) as con, con, con.cursor() as cursor:
        cursor.execute('select _mops_file, "metrics.cost_micros" from raw.google_ads__campaign_stats order by 1, 2')
        return cursor.fetchall()


def test_postgres_ingest_is_idempotent_replaces_re_exports_and_refuses_like_duckdb(tmp_path: Path):
    landing = tmp_path / "landing"
    row = "2026-05-01,123,USD,America/New_York,55,Brand,{cost},100,10,1.0,20.5"
    google_csv(landing / "google_ads/campaign_stats/a.csv", [row.format(cost=1500000)])
    with throwaway_database() as url:

        def statuses() -> dict[str, str]:
            return {r.path: r.status for r in ingest_postgres(url, REGISTRY, landing)}

        assert statuses() == {"google_ads/campaign_stats/a.csv": "loaded"}
        assert statuses() == {"google_ads/campaign_stats/a.csv": "unchanged"}
        google_csv(landing / "google_ads/campaign_stats/b.csv", [row.format(cost=1500000)])
        assert statuses()["google_ads/campaign_stats/b.csv"] == "duplicate"
        (landing / "google_ads/campaign_stats/b.csv").unlink()

        google_csv(
            landing / "google_ads/campaign_stats/a.csv",
            [row.format(cost=2500000), row.replace("05-01", "05-02").format(cost=700000)],  # CPC 0.07: plausible
        )
        assert statuses() == {"google_ads/campaign_stats/a.csv": "replaced"}
        assert _raw_google(url) == [
            ("google_ads/campaign_stats/a.csv", 700000),
            ("google_ads/campaign_stats/a.csv", 2500000),
        ]

        bad = google_csv(landing / "google_ads/campaign_stats/c.csv", [row.format(cost="12.5")], GOOGLE_HEADER)
        refused = {r.path: r for r in ingest_postgres(url, REGISTRY, landing)}[str(bad.relative_to(landing))]
        with connect_duckdb(tmp_path / "w.duckdb") as con:
            on_duckdb = {r.path: r for r in ingest(con, REGISTRY, landing)}[str(bad.relative_to(landing))]
        assert refused.status == "refused" and refused.message == on_duckdb.message
        assert "metrics.cost_micros" in refused.message
        assert len(_raw_google(url)) == 2  # nothing of the refused file was written


def test_a_postgres_write_that_fails_midway_leaves_the_previous_rows_whole(tmp_path: Path):
    """Delete, COPY and the log row are one PostgreSQL transaction: a failing COPY restores the old rows."""
    landing = tmp_path / "landing"
    path = landing / "google_ads/campaign_stats/a.csv"
    google_csv(path, ["2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5"])
    with throwaway_database() as url:
        ingest_postgres(url, REGISTRY, landing)
        # a warehouse-side rule the next export violates (as a DBA-added constraint would)
        with closing(psycopg2.connect(url)) as con, con, con.cursor() as cursor:
            cursor.execute('alter table raw.google_ads__campaign_stats alter column "campaign.name" set not null')
        google_csv(
            path,
            [
                "2026-05-01,123,USD,America/New_York,55,,1600000,100,10,2.0,40",
                "2026-05-02,123,USD,America/New_York,55,Brand,100000,10,1,0,0",
            ],
        )
        with pytest.raises(psycopg2.errors.NotNullViolation):
            ingest_postgres(url, REGISTRY, landing)
        assert _raw_google(url) == [("google_ads/campaign_stats/a.csv", 1500000)]
        with closing(psycopg2.connect(url)) as con, con, con.cursor() as cursor:
            cursor.execute("select row_count from raw._mops_files")
            assert cursor.fetchall() == [(1,)]
