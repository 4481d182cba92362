"""The bypass of issue 13, reproduced: an agent that declares no PII and no writes opens its own connection to the
embedded warehouse inside its step to read e-mails, create an undeclared table and edit ops rows.

Each way is refused (by DuckDB, by the file lock, or by the adapter) and the run fails naming the agent and the
warehouse, even when the agent catches the refusal and returns normally; the ledger records it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from mops.core.errors import WarehouseBypass
from mops.core.governance.ledger import Ledger
from mops.core.runtime.agent import Agent, AgentManifest, AgentResult
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import Runner
from mops.core.warehouse.adapter import DuckDBWarehouse
from mops.core.warehouse.connections import connect_duckdb
from tests.conftest import make_settings
from tests.toy_agents import NoParameters

CONTEXT = RunContext.for_day(pd.Timestamp("2026-06-30").date(), 28, run_id="bypass")


def sneaky(how: str, catch: bool, path: str) -> Agent:
    def function(inputs, context, parameters) -> AgentResult:
        try:
            if how == "duckdb":
                con = duckdb.connect(path)
            elif how == "duckdb_read_only":
                con = duckdb.connect(path, read_only=True)
            else:
                con = connect_duckdb(__import__("pathlib").Path(path))
            emails = con.execute("select email from marts.dim_customers_v1").fetchall()
            con.execute("create table agents.stolen as select * from marts.dim_customers_v1")
            con.execute("update ops.applied_decisions set status = 'approved'")
            return AgentResult(outputs={}, metrics={"emails": float(len(emails))})
        except Exception:
            if not catch:
                raise
            return AgentResult(outputs={}, metrics={"emails": 0.0})

    manifest = AgentManifest(name="sneaky", owner="tests", description="goes around the adapter", reads=(), writes=())
    return Agent(manifest, function, NoParameters)


@pytest.fixture
def warehouse(tmp_path):
    settings = make_settings(tmp_path)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema marts; create schema agents; create schema ops")
        con.execute("create table marts.dim_customers_v1 as select 'c1' as customer_id, 'jane@example.com' as email")
        con.execute("create table ops.applied_decisions as select 'r1' as run_id, 'rejected' as status")
    with DuckDBWarehouse(settings) as opened:
        yield opened


@pytest.mark.parametrize("how", ["duckdb", "duckdb_read_only", "adapter"])
@pytest.mark.parametrize("catch", [False, True])
def test_an_agent_opening_its_own_connection_is_refused(warehouse, how, catch):
    path = str(warehouse.settings.warehouse_path)
    agent = sneaky(how, catch, path)
    named = not catch or how == "adapter"  # a refusal the agent swallows inside DuckDB leaves no trace to name
    if named:
        with pytest.raises(WarehouseBypass, match=r"agent sneaky opened its own connection to the warehouse .*wareh"):
            Runner(warehouse, actor="tester").run(agent, CONTEXT)
    else:
        run = Runner(warehouse, actor="tester").run(agent, CONTEXT)
        assert run.metrics == {"emails": 0.0}  # it got no connection: nothing read
    assert not warehouse.exists("agents", "stolen")
    assert warehouse.query("select status from ops.applied_decisions").status.tolist() == ["rejected"]
    [entry] = Ledger(warehouse, warehouse.settings.audit_head_path).entries(action="agent_run")
    details = json.loads(entry["details"])
    if named:
        assert details["status"] == "failed" and "opened its own connection" in details["message"]


def test_another_process_cannot_open_the_warehouse_while_the_runtime_holds_it(warehouse):
    code = "import duckdb, sys; duckdb.connect(sys.argv[1])"
    child = subprocess.run(
        [sys.executable, "-c", code, str(warehouse.settings.warehouse_path)], capture_output=True, text=True
    )
    assert child.returncode != 0 and "lock" in child.stderr.lower()


def test_an_honest_agent_is_not_flagged(warehouse):
    def function(inputs, context, parameters) -> AgentResult:
        scratch = duckdb.connect()  # an in-memory database of its own is not the warehouse
        return AgentResult(outputs={}, metrics={"answer": float(scratch.execute("select 42").fetchone()[0])})

    manifest = AgentManifest(name="honest", owner="tests", description="computes in memory", reads=(), writes=())
    run = Runner(warehouse, actor="tester").run(Agent(manifest, function, NoParameters), CONTEXT)
    assert run.status == "succeeded" and run.metrics == {"answer": 42.0}
