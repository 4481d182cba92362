"""Two files in flight behave as one after another: same results in the same order, same rows, same log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mops.core.ingest import FILES_TABLE, ingest
from mops.core.warehouse.connections import connect_duckdb
from tests.unit.test_ingest import META_ROW, REGISTRY, google_csv, meta_jsonl
from tests.unit.test_ingest_corpus import CORPUS

ROW = "2026-05-01,123,USD,America/New_York,55,Brand,1500000,100,10,1.0,20.5"


def _landing(root: Path) -> Path:
    """The export corpus and files that are refused or skipped, for every outcome to be compared."""
    landing = root / "landing"
    shutil.copytree(CORPUS, landing)
    google_csv(landing / "google_ads/campaign_stats/bad_unit.csv", [ROW.replace("1500000", "15")])
    meta_jsonl(landing / "meta_ads/insights/negative.jsonl", [META_ROW | {"spend": "-1.00", "reach": "[/x]"}])
    (landing / "google_ads/campaign_stats/garbage.csv").write_bytes(bytes(range(256)) * 8)
    google_csv(landing / "google_ads/campaign_stats/dup_key.csv", [ROW, ROW])
    shutil.copy(landing / "google_ads/campaign_stats/dup_key.csv", landing / "google_ads/campaign_stats/dup_copy.csv")
    (landing / "_notes").mkdir()
    return landing


def _run(root: Path, landing: Path, workers: int):
    seen = []
    with connect_duckdb(root / f"w{workers}.duckdb") as con:
        results = ingest(con, REGISTRY, landing, on_file=seen.append, workers=workers)
        tables = [t.raw_table for t in REGISTRY.tables()]
        rows = {
            t: sorted(map(repr, con.execute(f'select * exclude (_mops_loaded_at) from raw."{t}"').fetchall()))
            for t in tables
        }
        log = sorted(con.execute(f"select * exclude (loaded_at) from {FILES_TABLE}").fetchall())
    return results, seen, rows, log


def test_the_corpus_and_hostile_files_load_in_parallel_exactly_as_one_after_another(tmp_path: Path):
    """The sequential path (workers=1) is the reference: statuses, messages, rows and log entries equal."""
    landing = _landing(tmp_path)
    one, seen_one, rows_one, log_one = _run(tmp_path, landing, workers=1)
    two, seen_two, rows_two, log_two = _run(tmp_path, landing, workers=2)
    assert [r.path for r in two] == [r.path for r in one] == sorted(r.path for r in one)
    assert two == one and seen_two == two and seen_one == one
    assert {r.status for r in one} >= {"loaded", "refused", "skipped"}
    assert rows_two == rows_one and sum(len(v) for v in rows_one.values()) > 0
    assert log_two == log_one


def test_files_with_the_same_bytes_in_one_run_load_once_the_first_in_landing_order(tmp_path: Path):
    landing = tmp_path / "landing"
    first = google_csv(landing / "google_ads/campaign_stats/a.csv", [ROW])
    for name in ("b.csv", "c.csv"):
        shutil.copy(first, landing / "google_ads/campaign_stats" / name)
    google_csv(landing / "google_ads/campaign_stats/d.csv", [ROW.replace("Brand", "Other")])
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        results = {r.path: r for r in ingest(con, REGISTRY, landing, workers=2)}
        count = con.execute('select count(*) from raw."google_ads__campaign_stats"').fetchone()[0]
    statuses = {p.split("/")[-1]: (r.status, r.message) for p, r in results.items()}
    same = "same content as google_ads/campaign_stats/a.csv"
    assert statuses == {
        "a.csv": ("loaded", ""),
        "b.csv": ("duplicate", same),
        "c.csv": ("duplicate", same),
        "d.csv": ("loaded", ""),
    }
    assert count == 2


def test_an_error_that_is_not_a_refusal_stops_the_run_at_its_file(tmp_path: Path):
    """A warehouse-side failure is raised, as with one worker; the failing file wrote nothing."""
    landing = tmp_path / "landing"
    google_csv(landing / "google_ads/campaign_stats/a.csv", [ROW.replace("Brand", "")])
    google_csv(landing / "google_ads/campaign_stats/b.csv", [ROW.replace("2026-05-01", "2026-05-02")])
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        con.execute("create schema raw")
        con.execute('create table raw.google_ads__campaign_stats ("campaign.name" varchar not null)')
        with pytest.raises(Exception, match="NOT NULL"):
            ingest(con, REGISTRY, landing, workers=2)
        logged = [r[0] for r in con.execute(f"select file_path from {FILES_TABLE}").fetchall()]
        rows = con.execute("select count(*) from raw.google_ads__campaign_stats where _mops_file like '%a.csv'")
        assert "google_ads/campaign_stats/a.csv" not in logged and rows.fetchone()[0] == 0
