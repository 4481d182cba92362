"""GA4 events without event_params.ga_session_id: sessionized by 30 minutes of inactivity, counted in
the build output, checked against an independent sessionization; a mart that comes out empty from
non-empty GA4 input is refused with its cause."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.conftest import DEMO_END_DATE, FX_SEED, make_settings

pytestmark = pytest.mark.slow


def _rewrite(folder, keep_event) -> pd.DataFrame:
    """Drop ga_session_id from every event (and events `keep_event` refuses); returns what is left."""
    frames = []
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path)
        frame = table.to_pandas()
        frame["event_params"] = [[p for p in params if p["key"] != "ga_session_id"] for params in frame["event_params"]]
        frame = frame[frame.apply(keep_event, axis=1)].reset_index(drop=True)
        pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), path)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def independent_sessions(events: pd.DataFrame, timeout_minutes: int = 30) -> int:
    """Sessions by inactivity, counted in pandas: a new one at a user's first event or after a gap."""
    unique = events.drop_duplicates(["user_pseudo_id", "event_timestamp", "event_name"])
    unique = unique.sort_values(["user_pseudo_id", "event_timestamp"])
    gap = unique.groupby("user_pseudo_id")["event_timestamp"].diff()
    return int((gap.isna() | (gap > timeout_minutes * 60 * 1_000_000)).sum()), len(unique)


@pytest.fixture
def landing(tmp_path, monkeypatch):
    from demo import generate
    from demo.world import DemoConfig

    full = tmp_path / "full"
    generate(DemoConfig(end_date=DEMO_END_DATE, scale=0.1, users=1_000), full, FX_SEED)
    settings = make_settings(tmp_path)
    for table in ("google_ads/campaign_stats", "ga4/events"):
        shutil.copytree(full / table, settings.landing_path / table)
    for name, value in {
        "MOPS_WAREHOUSE": str(settings.warehouse_path),
        "MOPS_VAR_DIR": str(settings.var_path),
        "MOPS_LANDING_DIR": str(settings.landing_path),
        "COLUMNS": "250",
    }.items():
        monkeypatch.setenv(name, value)
    return settings


def test_events_without_session_ids_are_sessionized_and_counted(landing):
    from mops.app.cli import app

    events = _rewrite(landing.landing_path / "ga4" / "events", lambda row: True)
    sessions, unique_events = independent_sessions(events)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    build = runner.invoke(app, ["build"])
    assert build.exit_code == 0, build.output
    text = " ".join(build.output.split())
    assert (
        f"GA4: {unique_events} events had no event_params.ga_session_id; sessionized into {sessions} sessions "
        "by 30 minutes of inactivity per user"
    ) in text
    with duckdb.connect(str(landing.warehouse_path), read_only=True) as con:
        touchpoints = con.execute("select count(*) from marts.fct_touchpoints_v1").fetchone()[0]
        converted = con.execute("select count(*) from marts.fct_conversion_paths_v1 where is_converted").fetchone()[0]
    assert touchpoints == sessions  # one touch per session: none dropped for lack of a session id
    assert converted > 0


def test_a_mart_empty_from_non_empty_ga4_events_is_refused_with_its_cause(landing):
    from mops.app.cli import app

    _rewrite(landing.landing_path / "ga4" / "events", lambda row: row["event_name"] != "purchase")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    build = runner.invoke(app, ["build"])
    assert build.exit_code == 1
    text = " ".join(build.output.split())
    assert (
        "fct_conversions came out empty although its inputs (ga4.events) have rows: the GA4 events hold no "
        "purchase event with an ecommerce.transaction_id"
    ) in text
