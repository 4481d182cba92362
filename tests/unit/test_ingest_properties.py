"""Property tests: random bytes, random encodings and random rows of each format never crash ingest and
never load part of a file (a file's rows are all in the raw table, or none are)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mops.core.ingest import FILES_TABLE, ingest
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR
from tests.unit.test_ingest import GOOGLE_HEADER

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
TABLES = {t.qualified_name.replace(".", "/"): t for t in REGISTRY.tables()}
# derandomized: CI explores the same examples every run (a failure is reproducible, never flaky)
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def ingest_one(folder: str, name: str, data: bytes) -> tuple:
    """Ingest one file into a fresh warehouse: (result, rows of the file in its raw table, log rows)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "landing" / folder / name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        con = duckdb.connect(":memory:")
        try:
            (result,) = ingest(con, REGISTRY, Path(tmp) / "landing")
            raw = TABLES[folder].raw_table
            rows = con.execute(
                f'select count(*) from raw."{raw}" where _mops_file = ?', [f"{folder}/{name}"]
            ).fetchone()[0]
            logged = con.execute(f"select count(*) from {FILES_TABLE}").fetchone()[0]
        finally:
            con.close()
    return result, rows, logged


def assert_all_or_nothing(result, rows: int, logged: int) -> None:
    assert result.status in ("loaded", "refused"), result
    if result.status == "loaded":
        assert rows == result.rows > 0 and logged == 1
    else:
        assert rows == 0 and logged == 0 and result.message


@SETTINGS
@given(
    folder=st.sampled_from(sorted(TABLES)),
    suffix=st.sampled_from([".csv", ".jsonl", ".json", ".parquet"]),
    data=st.binary(max_size=3000),
)
def test_random_bytes_never_crash_and_never_load_partly(folder, suffix, data):
    assert_all_or_nothing(*ingest_one(folder, "random" + suffix, data))


# campaign names: any printable text (control characters make a file look binary, refused by design)
NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='",'), max_size=20)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "mac_roman"])


@SETTINGS
@given(names=st.lists(NAMES, min_size=1, max_size=6), encoding=ENCODINGS)
def test_random_encodings_of_a_valid_file_never_crash_and_never_load_partly(names, encoding):
    lines = [
        f"2026-05-{i + 1:02d},123,USD,America/New_York,55,{name},1500000,100,10,1.0,20.5"
        for i, name in enumerate(names)
    ]
    text = GOOGLE_HEADER + "\n" + "\n".join(lines) + "\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    result, rows, logged = ingest_one("google_ads/campaign_stats", "enc.csv", data)
    assert_all_or_nothing(result, rows, logged)
    if encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32") or text.isascii():
        assert result.status == "loaded" and rows == len(names), result.message  # unambiguous encodings always load


VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
)
META_FIELDS = ["date_start", "date_stop", "account_id", "account_currency", "campaign_id", "campaign_name", "spend",
               "impressions", "clicks", "inline_link_clicks", "outbound_clicks", "reach"]  # fmt: skip


@SETTINGS
@given(rows=st.lists(st.dictionaries(st.sampled_from(META_FIELDS), VALUES, max_size=12), min_size=1, max_size=8))
def test_random_rows_of_a_json_format_never_crash_and_never_load_partly(rows):
    data = "".join(json.dumps(r, allow_nan=True) + "\n" for r in rows).encode()
    assert_all_or_nothing(*ingest_one("meta_ads/insights", "rows.jsonl", data))


CELLS = st.one_of(st.integers(-(10**13), 10**13).map(str), st.text(max_size=10), st.just(""), st.just("2026-05-01"))


@SETTINGS
@given(rows=st.lists(st.lists(CELLS, min_size=11, max_size=11), min_size=1, max_size=8))
def test_random_rows_of_a_csv_format_never_crash_and_never_load_partly(rows):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(GOOGLE_HEADER.split(","))
    writer.writerows(rows)
    assert_all_or_nothing(*ingest_one("google_ads/campaign_stats", "rows.csv", out.getvalue().encode()))
