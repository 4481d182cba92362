"""The scale-out path: the same runtime against a real PostgreSQL server (127.0.0.1:5432)."""

from __future__ import annotations

import psycopg2
import pytest

from mops.core.runtime.context import ContextMismatch, RunContext
from mops.core.runtime.gates import GateFailed
from mops.core.runtime.runner import Runner
from mops.core.warehouse.adapter import DuckDBWarehouse, PostgresWarehouse
from tests.conftest import make_settings
from tests.integration.test_postgres_pipeline import throwaway_database
from tests.integration.test_runtime import CONTEXT, TEST_CONTRACTS, probe_agent
from tests.toy_agents import ATTRIBUTION_V1, ATTRIBUTION_V2, reporting

MARTS = ("fct_conversion_paths_v1", "dim_channels_v1")


@pytest.fixture(scope="module")
def postgres_url():
    with throwaway_database() as url:
        yield url


@pytest.fixture
def warehouse(built_warehouse, postgres_url, tmp_path):
    """PostgreSQL holding the marts the toy agents read (copied from the DuckDB build), no agent outputs."""
    settings = make_settings(tmp_path, warehouse_url=postgres_url)
    with PostgresWarehouse(settings) as pg:
        with pg._con.cursor() as cursor:
            cursor.execute("drop schema if exists agents cascade; drop schema if exists ops cascade")
        pg._con.commit()
        if not pg.exists("marts", MARTS[0]):
            with DuckDBWarehouse(built_warehouse.settings, read_only=True) as duck:
                for mart in MARTS:
                    types = {c: t.replace("DOUBLE", "double precision") for c, t in duck.columns("marts", mart).items()}
                    pg.append_rows("marts", mart, duck.read("marts", mart), types)
        yield pg


def test_attribution_v1_to_v2_with_shadow_on_postgres(warehouse):
    Runner(warehouse).run(ATTRIBUTION_V1, CONTEXT)
    before = Runner(warehouse).run(reporting(1), CONTEXT).metrics
    run = Runner(warehouse).run(ATTRIBUTION_V2, CONTEXT)
    assert set(run.rows_written) == {"agents.attribution_credit_v2", "agents.attribution_credit_v1"}
    after = Runner(warehouse).run(reporting(1), CONTEXT).metrics
    assert after == pytest.approx(before, rel=1e-12)
    linear = CONTEXT.model_copy(update={"attribution_model": "linear"})
    Runner(warehouse).run(ATTRIBUTION_V2, linear)
    with pytest.raises(GateFailed, match="duplicate row"):
        Runner(warehouse).run(reporting(None), linear)


def test_context_mismatch_on_postgres(warehouse):
    Runner(warehouse).run(ATTRIBUTION_V2, CONTEXT)
    other = CONTEXT.model_copy(update={"window_end": CONTEXT.window_end.replace(day=29), "run_id": "ctx-b"})
    with pytest.raises(ContextMismatch, match="run ctx-a"):
        Runner(warehouse).run(reporting(1), RunContext.model_validate(other.model_dump()))


def test_a_failing_write_rolls_back_every_table_on_postgres(warehouse):
    runner = Runner(warehouse, contracts=TEST_CONTRACTS)
    runner.run(probe_agent([10.0, 20.0]), CONTEXT)
    with pytest.raises(psycopg2.Error):
        runner.run(probe_agent([1e30], a_values=[7.0, 8.0, 9.0, 10.0]), CONTEXT)
    assert warehouse.query("select n from agents.probe_a_v1 order by n").n.tolist() == [1, 2, 3]
    assert warehouse.query("select n from agents.probe_b_v1 order by n").n.tolist() == [10, 20]


def test_workflow_runs_take_turns_on_a_postgres_warehouse_across_connections(postgres_url, tmp_path):
    import threading

    from flows.locking import WorkflowBusy, warehouse_lock

    settings = make_settings(tmp_path, warehouse_url=postgres_url)
    refused: list[str] = []
    with warehouse_lock(settings):

        def second_run():  # another process or machine would hold its own connection, as this does
            try:
                with warehouse_lock(settings, wait_seconds=0.3):
                    pass
            except WorkflowBusy as exc:
                refused.append(str(exc))

        thread = threading.Thread(target=second_run)
        thread.start()
        thread.join()
    assert refused and "advisory lock" in refused[0]
    with warehouse_lock(settings, wait_seconds=0.3):  # released: the next run gets it at once
        pass
