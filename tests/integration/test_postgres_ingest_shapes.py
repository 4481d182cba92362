"""The accepted shapes, value rules and hostile files behave identically on DuckDB and PostgreSQL:
same statuses, messages, new fields and notices, and the same raw rows (extras and row versions included)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import psycopg2

from mops.core.ingest import ingest
from mops.core.ingest_postgres import ingest_postgres
from mops.core.warehouse.connections import connect_duckdb
from tests.integration.test_postgres_pipeline import REGISTRY, throwaway_database
from tests.unit.test_ingest import META_ROW, google_csv, meta_jsonl
from tests.unit.test_ingest_corpus import CORPUS


def _landing(root: Path) -> Path:
    landing = root / "landing"
    shutil.copytree(CORPUS, landing)
    bad = "2026-05-01,123,USD,America/New_York,55,Brand,15,100,10,1.0,20.5"  # whole dollars under micros
    google_csv(landing / "google_ads/campaign_stats/bad_unit.csv", [bad])
    meta_jsonl(landing / "meta_ads/insights/negative.jsonl", [META_ROW | {"spend": "-1.00", "reach": "[/x]"}])
    (landing / "google_ads/campaign_stats/garbage.csv").write_bytes(bytes(range(256)) * 8)
    os.symlink("/etc/hostname", landing / "google_ads/campaign_stats/outside.csv")
    (landing / "_notes").mkdir()
    return landing


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def _rows(fetch, table) -> pd.DataFrame:
    columns = [f.name for f in table.fields] + ["_mops_file", "_mops_format_version", "_mops_row", "_mops_extras"]
    select = ", ".join(f'"{c}"' for c in columns)
    frame = fetch(f'select {select} from raw."{table.raw_table}"', columns)  # sorted here: collations differ
    frame = frame.sort_values(["_mops_file", "_mops_row"]).reset_index(drop=True)
    for column in [f.name for f in table.fields if f.type == "json"] + ["_mops_extras"]:
        frame[column] = frame[column].map(
            lambda v: None if _missing(v) else json.dumps(json.loads(v) if isinstance(v, str) else v, sort_keys=True)
        )
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].astype("float64")
    return frame


def test_shapes_rules_and_hostile_files_agree_on_both_warehouses(tmp_path: Path):
    landing = _landing(tmp_path)
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        duck_results = ingest(con, REGISTRY, landing)
        duck = {
            t.raw_table: _rows(lambda sql, cols: pd.DataFrame(con.execute(sql).fetchall(), columns=cols), t)
            for t in REGISTRY.tables()
        }
    with throwaway_database() as url:
        pg_results = ingest_postgres(url, REGISTRY, landing)
        with psycopg2.connect(url) as pg, pg.cursor() as cursor:

            def fetch(sql, cols):
                cursor.execute(sql)
                return pd.DataFrame(cursor.fetchall(), columns=cols)

            pg_rows = {t.raw_table: _rows(fetch, t) for t in REGISTRY.tables()}
            cursor.execute("select file_path, new_fields, notices from raw._mops_files order by 1")
            pg_log = cursor.fetchall()
    assert [(r.path, r.status, r.version, r.rows, r.message, r.new_fields, r.notices) for r in pg_results] == [
        (r.path, r.status, r.version, r.rows, r.message, r.new_fields, r.notices) for r in duck_results
    ]
    statuses = {r.path: r.status for r in duck_results}
    assert statuses["google_ads/campaign_stats/bad_unit.csv"] == "refused"
    assert statuses["google_ads/campaign_stats/outside.csv"] == "refused"
    assert statuses["_notes"] == "skipped"
    assert len(pg_log) == sum(s == "loaded" for s in statuses.values())
    for name, frame in duck.items():
        pd.testing.assert_frame_equal(frame, pg_rows[name], check_dtype=False, obj=name)
