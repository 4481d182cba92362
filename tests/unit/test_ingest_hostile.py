"""Hostile and broken input: every bad file is refused with the file named and the rest still loads;
nothing outside the landing folder is opened; every skipped path is reported; user data never
restyles or breaks the console output."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from rich.console import Console

from mops.app.cli import data, render
from mops.core.ingest import ingest
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR
from mops.core.warehouse.connections import connect_duckdb
from tests.conftest import make_settings
from tests.unit.test_ingest import GOOGLE_HEADER, google_csv

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
ROW = "2026-05-01,123,USD,America/New_York,55,{name},1500000,100,10,1.0,20.5"
FOLDER = "google_ads/campaign_stats"


def csv_text(name: str = "Brand", rows: int = 1) -> str:
    body = [ROW.format(name=name).replace("2026-05-01", f"2026-05-{i + 1:02d}") for i in range(rows)]
    return GOOGLE_HEADER + "\n" + "\n".join(body) + "\n"


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run(tmp_path: Path, landing: Path) -> dict:
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        results = {r.path: r for r in ingest(con, REGISTRY, landing)}
        results["_names"] = con.execute(
            'select "campaign.name" from raw.google_ads__campaign_stats order by 1'
        ).fetchall()
    return results


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    google_csv(path / FOLDER / "zz_good.csv", [ROW.format(name="Good")])  # sorts last: later files still load
    return path


def test_utf16_with_bom_is_read(tmp_path, landing):
    write_bytes(landing / FOLDER / "utf16.csv", csv_text("Ünïcødé").encode("utf-16"))
    results = run(tmp_path, landing)
    assert results[f"{FOLDER}/utf16.csv"].status == "loaded", results[f"{FOLDER}/utf16.csv"].message
    assert any("utf_16" in n or "utf-16" in n for n in results[f"{FOLDER}/utf16.csv"].notices)
    assert ("Ünïcødé",) in results["_names"]


def test_latin1_is_detected_and_read(tmp_path, landing):
    text = csv_text("Café Crème Brûlée", rows=3)
    write_bytes(landing / FOLDER / "latin1.csv", text.encode("latin-1"))
    results = run(tmp_path, landing)
    assert results[f"{FOLDER}/latin1.csv"].status == "loaded", results[f"{FOLDER}/latin1.csv"].message
    assert ("Café Crème Brûlée",) in results["_names"]


def test_binary_garbage_named_csv_is_refused_and_the_rest_loads(tmp_path, landing):
    write_bytes(landing / FOLDER / "garbage.csv", random.Random(7).randbytes(5000))
    results = run(tmp_path, landing)
    refused = results[f"{FOLDER}/garbage.csv"]
    assert refused.status == "refused" and refused.message
    assert results[f"{FOLDER}/zz_good.csv"].status == "loaded"


def test_a_link_outside_the_landing_folder_is_refused_unopened(tmp_path, landing):
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    os.symlink(secret, landing / FOLDER / "passwd.csv")
    results = run(tmp_path, landing)
    refused = results[f"{FOLDER}/passwd.csv"]
    assert refused.status == "refused" and "outside the landing folder" in refused.message
    assert "root" not in refused.message and str(secret) not in refused.message
    assert results[f"{FOLDER}/zz_good.csv"].status == "loaded"


def test_a_link_inside_the_landing_folder_is_read(tmp_path, landing):
    target = landing / "_archive" / "a.csv"
    google_csv(target, [ROW.format(name="Linked")])
    os.symlink(target, landing / FOLDER / "linked.csv")
    results = run(tmp_path, landing)
    assert results[f"{FOLDER}/linked.csv"].status == "loaded"


def test_every_skipped_path_is_reported(tmp_path, landing):
    google_csv(landing / ".cache" / FOLDER / "x.csv", [ROW.format(name="Hidden")])
    google_csv(landing / "_truth" / "truth.csv", [ROW.format(name="Truth")])
    (landing / FOLDER / "notes.txt").write_text("hello")
    results = run(tmp_path, landing)
    skipped = {path: r.message for path, r in results.items() if path != "_names" and r.status == "skipped"}
    assert set(skipped) == {".cache", "_truth", f"{FOLDER}/notes.txt"}
    assert "'.' or '_'" in skipped[".cache"] and ".csv" in skipped[f"{FOLDER}/notes.txt"]
    assert ("Hidden",) not in results["_names"]


def test_a_folder_with_a_space_is_refused_saying_how_to_rename_it(tmp_path, landing):
    google_csv(landing / "google_ads" / "campaign stats" / "a.csv", [ROW.format(name="Spaced")])
    results = run(tmp_path, landing)
    refused = results["google_ads/campaign stats/a.csv"]
    assert refused.status == "refused" and "rename it to 'campaign_stats'" in refused.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty (0 bytes)"),
        (b"\n\n  \n", "the file is empty"),
        ((GOOGLE_HEADER + "\n").encode(), "the file has a header but no rows"),
    ],
)
def test_empty_files_are_refused_in_the_users_terms(tmp_path, landing, content, expected):
    write_bytes(landing / FOLDER / "empty.csv", content)
    results = run(tmp_path, landing)
    assert results[f"{FOLDER}/empty.csv"].status == "refused"
    assert expected in results[f"{FOLDER}/empty.csv"].message


def test_a_csv_cut_mid_row_is_refused_naming_the_row(tmp_path, landing):
    text = csv_text(rows=2) + "2026-05-03,123,USD,Amer"
    write_bytes(landing / FOLDER / "cut.csv", text.encode())
    result = run(tmp_path, landing)[f"{FOLDER}/cut.csv"]
    assert result.status == "refused"
    assert "ends in the middle of row 3" in result.message and "export it again" in result.message


def test_a_cut_json_file_is_refused(tmp_path, landing):
    write_bytes(landing / "meta_ads/insights/cut.jsonl", b'{"date_start": "2026-05-01", "spend": "1"}\n{"date_st')
    result = run(tmp_path, landing)["meta_ads/insights/cut.jsonl"]
    assert result.status == "refused" and "cannot read" in result.message


def test_long_values_are_echoed_only_as_a_short_excerpt(tmp_path, landing):
    google_csv(landing / FOLDER / "long.csv", [ROW.format(name="x").replace(",55,", "," + "A" * 500 + ",")])
    result = run(tmp_path, landing)[f"{FOLDER}/long.csv"]
    assert result.status == "refused" and "AAAA..." in result.message and "A" * 50 not in result.message


def test_user_data_cannot_break_or_restyle_the_console(tmp_path, monkeypatch):
    settings = make_settings(tmp_path)
    landing = settings.landing_path
    google_csv(landing / FOLDER / "[red]x[/red].csv", [ROW.format(name="n").replace(",55,", ",[/x] :x:,")])
    console = Console(record=True, width=400, emoji=True)
    monkeypatch.setattr(render, "console", console)  # where the ingest results are printed
    refused = data.run_ingest(settings, landing)
    out = console.export_text()
    assert refused == 1
    assert "[/x] :x:" in out and "❌" not in out
    assert "[red]x[/red].csv" in out
