"""Incremental builds equal a full refresh: the demo landed one day at a time, then rebuilt from scratch.

The days include what makes incremental models go wrong: a GA4 session crossing midnight (its halves in
two daily files), a session without ga_session_id (sessionized by inactivity) crossing into a day that is
re-exported a week later, GA4 files re-exported with late events (one within the lookback, one a week late, so only
the load watermark finds it), a late login and a late purchase that renumber a user's earlier journeys,
an ad platform file restating earlier days, and the finance team's own EUR rates landing late (reported in
EUR, so the journeys already built on those days are worth another amount). After the last day every mart
(and every incremental model) must equal, row for row, what `--full-refresh` builds from the same raw rows.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from demo import generate
from demo.world import DemoConfig
from mops.core.ingest import ingest
from mops.core.ingest_postgres import ingest_postgres
from mops.core.landing import load_registry
from mops.core.settings import PROJECT_DIR, Settings
from mops.core.transform import run_dbt
from mops.core.warehouse.adapter import DuckDBWarehouse, PostgresWarehouse
from mops.core.warehouse.connections import connect_duckdb
from tests.conftest import DEMO_END_DATE, FX_SEED, make_settings

pytestmark = pytest.mark.slow

REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
DEMO = DemoConfig(end_date=DEMO_END_DATE, days=21, scale=0.2, users=1500)
END = date.fromisoformat(DEMO_END_DATE)
DAILY = [END - timedelta(days=n) for n in (3, 2, 1, 0)]  # landed one at a time after the backfill
MIDNIGHT = DAILY[1]  # a session starts just before this day's end and ends after it
LATE_WEEK = DAILY[2] - timedelta(days=7)  # re-exported on DAILY[2]: older than the GA4 lookback
LATE_DAYS = DAILY[3] - timedelta(days=2)  # re-exported on DAILY[3]: within the lookback
LATE_SESSION_ID = 987_654_321  # ga_session_id of the late paid session the LATE_WEEK re-export adds
LATE_BUYER = "late-touched-buyer"  # its direct purchase gets that session as its last non-direct touch
INCREMENTAL = [
    "stg_ga4__events",
    "int_ga4_events_sessionized",
    "int_ga4_sessions_aggregated",
    "int_sessions_channel_mapped",
    "int_user_identities_stitched",
    "int_purchases_deduplicated",
    "int_purchases_last_touch_matched",
    "int_conversion_paths_built",
]
# contracted marts built incrementally (their watermark beside them)
INCREMENTAL_MARTS = ["fct_touchpoints_v1", "fct_conversion_paths_v1", "fct_conversions_v1"]
# asserted to run incrementally each day and not under --full-refresh
WATCHED = [
    "int_ga4_events_sessionized",
    "int_conversion_paths_built",
    "int_purchases_last_touch_matched",
    *INCREMENTAL_MARTS,
]
GOOGLE_STATS = Path("google_ads") / "campaign_stats"
REPORTING_CURRENCY = "EUR"  # not the purchases' USD: a rate change moves the marts' values
# the team's EUR rates, landed on DAILY[2], start here: after LATE_BUYER's purchase, so that the rates do not
# re-convert it (and rebuild it for that reason) on the day its late session arrives
TEAM_RATES_FROM = DAILY[0] - timedelta(days=2)
TEAM_RATES = Path("finance") / "fx_rates" / "team_rates.csv"


def _micros(day: date, hours: float) -> int:
    return int((pd.Timestamp(day) + pd.Timedelta(hours=hours)).value // 1000)


def write_steps(demo: Path, steps: Path) -> None:
    """Split the demo's landing files into steps/0 (history) and steps/1..4 (one day each).

    GA4 events become one file per day (GA4's events_YYYYMMDD); Google Ads campaign stats one file per
    day plus a restatement. Every other export is history, landed with step 0.
    """
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"create table ev as select * from read_parquet('{demo}/ga4/events/*.parquet')")
    con.execute("alter table ev add column day date")
    con.execute("update ev set day = strptime(event_date, '%Y%m%d')::date")
    # a two-event session that crosses midnight: session_start at 23:59:50, page_view at 00:00:10
    user, session_start = con.execute(
        """select user_pseudo_id, event_timestamp from ev
           where event_name = 'session_start' and day = ? and user_id is null
             and "collected_traffic_source".manual_medium = 'cpc'
           order by event_timestamp limit 1""",
        [MIDNIGHT],
    ).fetchone()
    after = MIDNIGHT + timedelta(days=1)
    con.execute(
        "update ev set event_timestamp = ?, day = ?, event_date = strftime(?, '%Y%m%d') "
        "where user_pseudo_id = ? and event_timestamp = ? and event_name = 'session_start'",
        [_micros(MIDNIGHT, 24 - 10 / 3600), MIDNIGHT, MIDNIGHT, user, session_start],
    )
    con.execute(
        "update ev set event_timestamp = ?, day = ?, event_date = strftime(?, '%Y%m%d') "
        "where user_pseudo_id = ? and event_timestamp = ? and event_name = 'page_view'",
        [_micros(after, 10 / 3600), after, after, user, session_start + 2_000_000],
    )
    _fallback_session_across_midnight(con, LATE_WEEK)
    _direct_buyer(con, LATE_WEEK + timedelta(days=1))
    daily_files = {}
    for day in sorted(d for (d,) in con.execute("select distinct day from ev").fetchall()):
        step = DAILY.index(day) + 1 if day in DAILY else 0
        daily_files[day] = steps / str(step) / "ga4" / "events" / f"events_{day:%Y%m%d}.parquet"
    for day, path in daily_files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy (select * exclude (day) from ev where day = ? order by event_timestamp) to '{path}'", [day])
    _restate_ga4(con, LATE_WEEK, steps / "3" / "ga4" / "events" / daily_files[LATE_WEEK].name, late_purchase=True)
    _restate_ga4(con, LATE_DAYS, steps / "4" / "ga4" / "events" / daily_files[LATE_DAYS].name, late_purchase=False)
    _split_google_stats(demo, steps)
    _team_rates(steps / "3" / TEAM_RATES)
    for path in demo.rglob("*"):
        rel = path.relative_to(demo)
        if path.is_file() and rel.parts[:2] != ("ga4", "events") and rel.parent != GOOGLE_STATS:
            (steps / "0" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, steps / "0" / rel)


def _fallback_session_across_midnight(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """A browser exported without ga_session_id, its first two events of `day` moved to 23:50 the day before
    and 00:10: one inactivity session across midnight. When `day` is re-exported (older than the lookback),
    the session's first half is not new, yet the session must be rebuilt from it."""
    user = con.execute(
        """select user_pseudo_id from ev where day = ? group by user_pseudo_id
           having count(*) >= 2 and count(user_id) = 0 and count(ecommerce.transaction_id) = 0
           order by user_pseudo_id limit 1""",
        [day],
    ).fetchone()[0]
    con.execute(
        "update ev set event_params = list_filter(event_params, lambda p: p.key <> 'ga_session_id') "
        "where user_pseudo_id = ?",
        [user],
    )
    first_two = con.execute(
        "select event_timestamp, event_name from ev where user_pseudo_id = ? and day = ? "
        "order by event_timestamp limit 2",
        [user, day],
    ).fetchall()
    before = day - timedelta(days=1)
    for (timestamp, name), (moved_day, hours) in zip(first_two, [(before, 24 - 10 / 60), (day, 10 / 60)], strict=True):
        con.execute(
            "update ev set event_timestamp = ?, day = ?, event_date = strftime(?, '%Y%m%d') "
            "where user_pseudo_id = ? and event_timestamp = ? and event_name = ?",
            [_micros(moved_day, hours), moved_day, moved_day, user, timestamp, name],
        )


def _direct_buyer(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """A new browser (LATE_BUYER) whose only event is a purchase on `day`, untagged (direct)."""
    con.execute(
        """insert into ev select * replace (
               ? as user_pseudo_id,
               cast(null as varchar) as user_id,
               struct_pack(
                   transaction_id := 'direct-' || ecommerce.transaction_id,
                   purchase_revenue := ecommerce.purchase_revenue,
                   purchase_revenue_in_usd := ecommerce.purchase_revenue_in_usd
               ) as ecommerce,
               cast(null as struct(manual_source varchar, manual_medium varchar, manual_campaign_name varchar,
                                   manual_campaign_id varchar, gclid varchar)) as collected_traffic_source,
               list_filter(event_params, lambda p: p.key <> 'page_location') as event_params
           ) from ev
           where day = ? and event_name = 'purchase' and hour(make_timestamp(event_timestamp)) between 3 and 20
           order by event_timestamp limit 1""",
        [LATE_BUYER, day],
    )


def _restate_ga4(con: duckdb.DuckDBPyConnection, day: date, path: Path, late_purchase: bool) -> None:
    """The day's file re-exported with late events and a restated purchase revenue (same path, new content)."""
    con.execute("create or replace temp table late as select * from ev where day = ?", [day])
    # a late page view in an existing session (the session's end and event count change)
    con.execute(
        """insert into late select * replace (event_timestamp + 300000000 as event_timestamp) from ev
           where day = ? and event_name = 'page_view' and hour(make_timestamp(event_timestamp)) between 3 and 20
           order by event_timestamp limit 1""",
        [day],
    )
    # a late login of a browser never seen logged in: its touchpoints get a customer
    customer = con.execute("select min(user_id) from ev where user_id is not null").fetchone()[0]
    con.execute(
        """insert into late select * replace (event_timestamp + 600000000 as event_timestamp, ? as user_id) from ev
           where day = ? and event_name = 'page_view' and hour(make_timestamp(event_timestamp)) between 3 and 20
             and user_pseudo_id not in (select user_pseudo_id from ev where user_id is not null)
           order by event_timestamp desc limit 1""",
        [customer, day],
    )
    if late_purchase:
        # a purchase an hour before an existing one: the buyer's journeys after it are renumbered
        con.execute(
            """insert into late select * replace (
                   event_timestamp - 3600000000 as event_timestamp,
                   struct_pack(
                       transaction_id := 'late-' || ecommerce.transaction_id,
                       purchase_revenue := ecommerce.purchase_revenue,
                       purchase_revenue_in_usd := ecommerce.purchase_revenue_in_usd
                   ) as ecommerce
               ) from ev
               where day = ? and event_name = 'purchase' and hour(make_timestamp(event_timestamp)) between 3 and 20
               order by event_timestamp limit 1""",
            [day],
        )
        # a late paid session (a copy of the day's last one) of the browser that bought directly the next day
        # (_direct_buyer): that purchase, built days ago and older than the GA4 lookback, now has this
        # session as its last non-direct touch, and only the browser's rebuilt sessions lead a build back to it
        con.execute(
            """create or replace temp table late_session as select * from ev
               where day = ? and event_name = 'session_start' and collected_traffic_source.manual_medium = 'cpc'
               order by event_timestamp desc limit 1""",
            [day],
        )
        con.execute(
            """insert into late select * replace (
                   ? as user_pseudo_id,
                   cast(null as varchar) as user_id,
                   list_transform(event_params, lambda p: case when p.key = 'ga_session_id' then struct_pack(
                       key := p.key, value := struct_pack(string_value := cast(null as varchar), int_value := ?)
                   ) else p end) as event_params
               ) from late_session""",
            [LATE_BUYER, LATE_SESSION_ID],
        )
    # the platform restates one purchase's revenue
    con.execute(
        """update late set ecommerce = struct_pack(
               transaction_id := ecommerce.transaction_id,
               purchase_revenue := ecommerce.purchase_revenue + 10,
               purchase_revenue_in_usd := ecommerce.purchase_revenue_in_usd + 10
           ) where event_timestamp = (select max(event_timestamp) from late where event_name = 'purchase')"""
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy (select * exclude (day) from late order by event_timestamp) to '{path}'")


def _team_rates(path: Path) -> None:
    """The finance team's EUR rates from TEAM_RATES_FROM on (they replace the ECB's from their first day), landed
    after the journeys of those days were built: only the FX ranges the paths mart keeps find them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"EUR,{TEAM_RATES_FROM + timedelta(days=n)},{rate}" for n, rate in ((0, 0.5), (3, 0.6))]
    path.write_text("currency_code,valid_from,units_per_usd\n" + "\n".join(rows) + "\n")


def _split_google_stats(demo: Path, steps: Path) -> None:
    stats = pd.concat(
        [pd.read_csv(p, dtype=str) for p in sorted((demo / GOOGLE_STATS).glob("*.csv"))], ignore_index=True
    )
    history = stats[~stats["segments.date"].isin([d.isoformat() for d in DAILY])]
    (steps / "0" / GOOGLE_STATS).mkdir(parents=True, exist_ok=True)
    history.to_csv(steps / "0" / GOOGLE_STATS / "history.csv", index=False)
    for step, day in enumerate(DAILY, start=1):
        folder = steps / str(step) / GOOGLE_STATS
        folder.mkdir(parents=True, exist_ok=True)
        rows = stats[stats["segments.date"] == day.isoformat()]
        if step == 3:  # the platform restates the two days before: conversions matured
            restated = stats[stats["segments.date"].isin([(day - timedelta(days=n)).isoformat() for n in (1, 2)])]
            restated = restated.assign(**{"metrics.conversions": restated["metrics.conversions"].astype(float) + 1})
            rows = pd.concat([restated, rows])
        rows.to_csv(folder / f"stats_{day:%Y%m%d}.csv", index=False)


def daily_steps(root: Path) -> Path:
    """The demo's exports as a backfill and the daily steps after it, under `root`."""
    generate(DEMO, root / "demo", FX_SEED)
    write_steps(root / "demo", root / "steps")
    return root / "steps"


@pytest.fixture(scope="module")
def steps(tmp_path_factory) -> Path:
    return daily_steps(tmp_path_factory.mktemp("daily"))


def _land(settings: Settings, step: Path) -> None:
    for path in step.rglob("*"):
        if path.is_file():
            target = settings.landing_path / path.relative_to(step)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    if settings.warehouse_url:
        results = ingest_postgres(settings.warehouse_url, REGISTRY, settings.landing_path)
    else:
        with connect_duckdb(settings.warehouse_path) as con:
            results = ingest(con, REGISTRY, settings.landing_path)
    refused = [r for r in results if r.status == "refused"]
    assert not refused, refused


def _relations(settings: Settings) -> dict[str, pd.DataFrame]:
    warehouse = PostgresWarehouse(settings) if settings.warehouse_url else DuckDBWarehouse(settings, read_only=True)
    with warehouse:
        names = warehouse.query(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = 'marts' or table_name in ({})".format(", ".join(f"'{m}'" for m in INCREMENTAL))
        )
        return {
            f"{schema}.{name}": _sorted(warehouse.query(f'select * from {schema}."{name}"'))
            for schema, name in names.itertuples(index=False)
        }


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    text = frame.astype(str)
    return text.sort_values(list(text.columns)).reset_index(drop=True)


def _ran_incrementally(settings: Settings, model: str) -> bool:
    compiled = next((settings.dbt_target_path / "run").rglob(f"{model}.sql")).read_text().lower()
    return "delete from" in compiled


def _build_day_by_day(settings: Settings, steps: Path) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Land and build each step incrementally; then the same warehouse rebuilt with --full-refresh."""
    _land(settings, steps / "0")
    first = run_dbt(settings, ["build"])
    assert first.ok, f"{first.failures} (log {first.log_path})"
    for step in range(1, len(DAILY) + 1):
        _land(settings, steps / str(step))
        command = "build" if step == len(DAILY) else "run"  # tests once, on the incremental result
        result = run_dbt(settings, [command])
        assert result.ok, f"day {step}: {result.failures} (log {result.log_path})"
        for model in WATCHED:
            assert _ran_incrementally(settings, model), model
    incremental = _relations(settings)
    refreshed = run_dbt(settings, ["run"], full_refresh=True)
    assert refreshed.ok, f"{refreshed.failures} (log {refreshed.log_path})"
    for model in WATCHED:
        assert not _ran_incrementally(settings, model), model
    return incremental, _relations(settings)


def _assert_same(incremental: dict[str, pd.DataFrame], full: dict[str, pd.DataFrame]) -> None:
    assert sorted(incremental) == sorted(full)
    assert {f"intermediate.{m}" for m in INCREMENTAL[1:]} | {"staging.stg_ga4__events"} <= set(full)
    assert len(full) > len(INCREMENTAL) + 5, sorted(full)
    for name, frame in full.items():
        assert len(frame), f"{name} is empty"
        pd.testing.assert_frame_equal(incremental[name], frame, obj=name)


def _assert_scenario_present(full: dict[str, pd.DataFrame]) -> None:
    """The edge cases the steps set up did reach the marts (else equality would prove little)."""
    sessions = full["intermediate.int_ga4_sessions_aggregated"]
    crossing = sessions[
        (sessions.session_started_at.str[:10] == MIDNIGHT.isoformat())
        & (sessions.session_ended_at.str[:10] == (MIDNIGHT + timedelta(days=1)).isoformat())
    ]
    assert len(crossing) >= 1
    events = full["intermediate.int_ga4_events_sessionized"]
    fallback = events[events.is_fallback_session == "True"]
    days = fallback.groupby(["user_pseudo_id", "ga_session_id"]).event_at.agg(lambda at: set(at.str[:10]))
    late_week = {(LATE_WEEK - timedelta(days=1)).isoformat(), LATE_WEEK.isoformat()}
    assert (days.apply(lambda seen: late_week <= seen)).sum() == 1
    assert full["marts.fct_conversions_v1"].conversion_id.str.startswith("late-").sum() == 1
    # the late paid session became the direct buyer's (earlier-built) purchase's last non-direct touch
    conversions = full["marts.fct_conversions_v1"]
    late_buyer = conversions[conversions.user_pseudo_id == LATE_BUYER]
    assert late_buyer.last_non_direct_touchpoint_id.tolist() == [f"{LATE_BUYER}-{LATE_SESSION_ID}"]
    # ... and the first touch of that purchase's path, built days before the session arrived
    paths = full["marts.fct_conversion_paths_v1"]
    late_path = paths[(paths.user_pseudo_id == LATE_BUYER) & (paths.is_converted == "True")]
    assert len(late_path) == 1 and late_path.touch_count.tolist() == ["2"], late_path
    first, last = late_path.channel_path.iloc[0].split(" > ")
    assert first != "direct" and last == "direct", late_path.channel_path.iloc[0]
    # journeys built before the team's rates landed, on days those rates now convert
    dated = paths[paths.is_converted == "True"].last_touched_at.str[:10]
    assert dated.between(TEAM_RATES_FROM.isoformat(), (DAILY[2] - timedelta(days=1)).isoformat()).sum() >= 5


@pytest.fixture
def duckdb_settings(tmp_path) -> Settings:
    return make_settings(tmp_path, reporting_currency=REPORTING_CURRENCY)


def test_incremental_days_equal_a_full_refresh_on_duckdb(steps, duckdb_settings):
    incremental, full = _build_day_by_day(duckdb_settings, steps)
    _assert_scenario_present(full)
    _assert_same(incremental, full)
