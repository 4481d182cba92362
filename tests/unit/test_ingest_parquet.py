"""Parquet files are read where they lie: row numbers from the reader, casts from native types, same refusals."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from mops.core.ingest import FILES_TABLE
from tests.unit.test_ingest import raw_count, run


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        yield connection


def write_parquet(path: Path, select: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(f"copy ({select}) to '{path}' (format parquet)")
    return path


EVENTS = """select * from (values
    ('20260501', 1777600000000000, 'page_view', 'u1'),
    ('20260501', 1777600001000000, 'page_view', 'u2'),
    ({date}, 1777600002000000, 'purchase', 'u3'),
    ('20260502', 1777600003000000, 'page_view', 'u1')
) v(event_date, event_timestamp, event_name, user_pseudo_id)"""


def test_native_integers_keep_every_digit(con, tmp_path):
    """A 64-bit id above 2**53 is cast directly, not through a double (which would change its last digits)."""
    big = 9_007_199_254_740_993  # 2**53 + 1: a double cannot hold it
    write_parquet(
        tmp_path / "landing/linkedin_ads/ad_accounts/a.parquet",
        f"select cast({big} as bigint) as id, 'Acme' as name, 'USD' as currency",
    )
    result = run(con, tmp_path / "landing")["linkedin_ads/ad_accounts/a.parquet"]
    assert result.status == "loaded", result.message
    assert con.execute('select id from raw."linkedin_ads__ad_accounts"').fetchone()[0] == big


def test_a_bad_value_in_parquet_is_refused_naming_its_row(con, tmp_path):
    write_parquet(tmp_path / "landing/ga4/events/e.parquet", EVENTS.format(date="'2026-05-01'"))
    result = run(con, tmp_path / "landing")["ga4/events/e.parquet"]
    assert result.status == "refused"
    assert "event_date" in result.message and "row 3" in result.message and "'2026-05-01'" in result.message
    assert raw_count(con, "ga4__events") == 0
    assert con.execute(f"select count(*) from {FILES_TABLE}").fetchone()[0] == 0


def test_parquet_rows_keep_their_file_order_and_a_duplicate_names_both_rows(con, tmp_path):
    landing = tmp_path / "landing"
    write_parquet(landing / "ga4/events/e.parquet", EVENTS.format(date="'20260501'"))
    assert run(con, landing)["ga4/events/e.parquet"].status == "loaded"
    rows = con.execute('select _mops_row, user_pseudo_id from raw."ga4__events" order by _mops_row').fetchall()
    assert rows == [(1, "u1"), (2, "u2"), (3, "u3"), (4, "u1")]
    events = EVENTS.format(date=repr("20260501"))
    duplicated = f"select * from ({events}) union all select '20260502', 1777600003000000, 'page_view', 'u1'"
    write_parquet(landing / "ga4/events/f.parquet", duplicated)
    result = run(con, landing)["ga4/events/f.parquet"]
    assert result.status == "refused" and "rows 4 and 5" in result.message


def test_a_parquet_column_named_like_the_reader_row_number_is_kept_as_an_extra(con, tmp_path):
    landing = tmp_path / "landing"
    events = EVENTS.format(date=repr("20260501"))
    write_parquet(landing / "ga4/events/e.parquet", f"select *, 7 as file_row_number from ({events})")
    result = run(con, landing)["ga4/events/e.parquet"]
    assert result.status == "loaded" and result.rows == 4 and "file_row_number" in result.new_fields
    rows = con.execute('select _mops_row, _mops_extras from raw."ga4__events" order by _mops_row').fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4] and all('"file_row_number":7' in r[1] for r in rows)


def test_json_text_is_stored_with_zstd_and_reads_back_unchanged(con, tmp_path):
    """The raw table's JSON columns (event_params, the extras) are ZSTD-compressed; values are unchanged."""
    landing = tmp_path / "landing"
    events = EVENTS.format(date=repr("20260501"))
    params = "[{'key': 'ga_session_id', 'value': {'string_value': null, 'int_value': 7}}]"
    select = f"select *, {params} as event_params, 3 as stream_x from ({events})"
    write_parquet(landing / "ga4/events/e.parquet", select)
    assert run(con, landing)["ga4/events/e.parquet"].status == "loaded"
    con.execute("checkpoint")
    stored = dict(
        con.execute(
            "select column_name, max(compression) from pragma_storage_info('raw.ga4__events') "
            "where column_name in ('event_params', '_mops_extras') and segment_type = 'VARCHAR' group by all"
        ).fetchall()
    )
    assert stored == {"event_params": "ZSTD", "_mops_extras": "ZSTD"}
    value = con.execute('select event_params, _mops_extras from raw."ga4__events" where _mops_row = 1').fetchone()
    assert value == ('[{"key":"ga_session_id","value":{"string_value":null,"int_value":7}}]', '{"stream_x":3}')
