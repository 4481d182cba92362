"""PII never leaves in an agent's output unless its contract declares the column PII."""

from __future__ import annotations

import pandas as pd
import pytest

from mops.core.contracts import Contract
from mops.core.runtime.agent import Agent, AgentManifest, AgentResult, Write
from mops.core.runtime.context import RunContext
from mops.core.runtime.gates import GateFailed
from mops.core.runtime.runner import Runner
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import make_settings
from tests.toy_agents import NoParameters

CONTEXT = RunContext.for_day(pd.Timestamp("2026-06-30").date(), 28, attribution_model="last_touch", run_id="pii")


def contract(pii: bool) -> dict[str, Contract]:
    columns = [{"name": "n", "type": "bigint"}, {"name": "note", "type": "varchar", "pii": pii}]
    raw = {"table": "notes", "owner": "tests", "description": "notes", "versions": [
        {"version": 1, "grain": "one row per n", "key": ["n"], "columns": columns}
    ]}  # fmt: skip
    return {"notes": Contract.model_validate(raw)}


def agent(notes: list[str]) -> Agent:
    def function(inputs, context, parameters) -> AgentResult:
        return AgentResult(outputs={"notes": pd.DataFrame({"n": range(len(notes)), "note": notes})})

    writes = (Write(table="notes", version=1),)
    manifest = AgentManifest(name="noter", owner="tests", description="writes notes", reads=(), writes=writes)
    return Agent(manifest, function, NoParameters)


@pytest.fixture
def warehouse(tmp_path):
    with DuckDBWarehouse(make_settings(tmp_path)) as wh:
        yield wh


def test_an_output_with_an_undeclared_email_is_refused_naming_the_column(warehouse):
    notes = ["spend is up 12%", "ask jane.doe@example.com about it"]
    result = agent(notes).run({}, CONTEXT, NoParameters())
    with pytest.raises(GateFailed) as refused:
        Runner(warehouse, contracts=contract(pii=False)).output_tables(agent(notes), result, CONTEXT)
    message = str(refused.value)
    assert "notes v1: column note holds an e-mail address (row 1)" in message
    assert "jane.doe" not in message


def test_a_declared_pii_column_and_clean_text_pass(warehouse):
    result = agent(["ask jane.doe@example.com"]).run({}, CONTEXT, NoParameters())
    assert Runner(warehouse, contracts=contract(pii=True)).output_tables(agent([]), result, CONTEXT)
    clean = agent(["raise to 1,253.99 (+17.6%)"]).run({}, CONTEXT, NoParameters())
    assert Runner(warehouse, contracts=contract(pii=False)).output_tables(agent([]), clean, CONTEXT)
