"""The build plan on DuckDB and PostgreSQL, without dbt: markers from the ingest log and agent outputs.

A last successful build is set up by hand (its ops.dbt_builds row, state file and a two-source manifest);
then new data in each kind of source must select exactly that source's downstream, and nothing new nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pandas as pd
import pytest

from mops.core.build_plan import plan_build, project_fingerprint, source_markers, state_dir, vars_fingerprint
from mops.core.ops.records import OpsLog
from mops.core.settings import Settings
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import make_settings
from tests.integration.test_postgres_pipeline import throwaway_database

SOURCES = {
    "source.mops.ga4.events": {"source_name": "ga4", "name": "events", "schema": "raw", "identifier": "ga4__events"},
    "source.mops.agents.segments_v1": {
        "source_name": "agents",
        "name": "segments_v1",
        "schema": "agents",
        "identifier": "segments_v1",
        "loaded_at_field": "_mops_written_at",
    },
}
FILES = {"file_path": "varchar", "source": "varchar", "table_name": "varchar", "row_count": "bigint"}
FILES |= {"loaded_at": "timestamp"}


def _file(path: str, source: str, table: str, rows: int, at: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "file_path": path,
                "source": source,
                "table_name": table,
                "row_count": rows,
                "loaded_at": datetime.fromisoformat(at),
            }
        ]
    )


def _segments(at: str) -> pd.DataFrame:
    return pd.DataFrame([{"customer_id": "c1", "_mops_written_at": datetime.fromisoformat(at)}])


SEGMENT_TYPES = {"customer_id": "varchar", "_mops_written_at": "timestamp"}


@pytest.fixture(params=["duckdb", "postgres"])
def settings(request, tmp_path) -> Iterator[Settings]:
    if request.param == "duckdb":
        yield make_settings(tmp_path)
        return
    with throwaway_database() as url:
        yield make_settings(tmp_path, warehouse_url=url)


def _as_last_build(settings: Settings) -> None:
    """Record the warehouse as it is now as the last successful build (what `build` leaves behind)."""
    folder = state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({"sources": SOURCES}))
    with open_warehouse(settings) as warehouse:
        markers = source_markers(warehouse, {f"{s['source_name']}.{s['name']}": s for s in SOURCES.values()})
        OpsLog(warehouse).append("dbt_builds", [{"build_id": "b1", "status": "succeeded", "mode": "all"}])
    state = {
        "build_id": "b1",
        "finished_at": "2026-06-30 06:00:00",
        "code": project_fingerprint(settings.dbt_project_dir),
        "vars": vars_fingerprint(settings),
        "markers": markers,
    }
    (folder / "state.json").write_text(json.dumps(state))


def test_new_data_in_each_kind_of_source_selects_its_downstream(settings):
    with open_warehouse(settings) as warehouse:
        warehouse.append_rows(
            "raw", "_mops_files", _file("ga4/a.parquet", "ga4", "events", 10, "2026-06-29 05:00"), FILES
        )
        warehouse.append_rows("agents", "segments_v1", _segments("2026-06-29 07:00"), SEGMENT_TYPES)
    _as_last_build(settings)
    assert plan_build(settings).mode == "nothing"
    assert plan_build(settings, changed_only=False).mode == "all"

    with open_warehouse(settings) as warehouse:
        warehouse.append_rows(
            "raw", "_mops_files", _file("ga4/b.parquet", "ga4", "events", 5, "2026-06-30 05:00"), FILES
        )
    plan = plan_build(settings)
    assert (plan.mode, plan.select) == ("changed", "source:ga4.events+")
    assert plan.reasons[0] == "new data in ga4.events: +1 files, +5 rows"

    with open_warehouse(settings) as warehouse:
        warehouse.append_rows("agents", "segments_v1", _segments("2026-06-30 07:00"), SEGMENT_TYPES)
    assert plan_build(settings).select == "source:agents.segments_v1+ source:ga4.events+"

    # a raw table no dbt source reads selects nothing; changed vars rebuild everything
    _as_last_build(settings)
    assert plan_build(settings).mode == "nothing"
    with open_warehouse(settings) as warehouse:
        warehouse.append_rows("raw", "_mops_files", _file("crm/x.csv", "crm", "leads", 3, "2026-06-30 08:00"), FILES)
    assert plan_build(settings).mode == "nothing"
    other = settings.model_copy(update={"reporting_currency": "EUR"})
    assert plan_build(other).mode == "all" and "vars" in plan_build(other).reasons[0]


def test_a_dbt_test_step_never_becomes_the_baseline(settings, monkeypatch, tmp_path):
    import mops.core.transform
    from mops.core.build_plan import build

    class Passed:
        ok, log_path, failures = True, tmp_path / "dbt.log", []

    seen = []
    monkeypatch.setattr(mops.core.transform, "run_dbt", lambda s, args, on_progress=None: seen.append(args) or Passed())
    outcome = build(settings, "test")
    assert outcome.ok and outcome.plan.mode == "selected" and seen == [["test"]]
    assert not (state_dir(settings) / "state.json").exists()
    with open_warehouse(settings, read_only=True) as warehouse:
        assert warehouse.query("select mode, status from ops.dbt_builds").values.tolist() == [["selected", "succeeded"]]
