"""The agent runtime on the real demo warehouse: versions, shadows, context, atomic writes, gates."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pandas as pd
import pytest

from mops.core.contracts import Contract, load_contracts
from mops.core.runtime.agent import Agent, AgentManifest, AgentResult, Read, Write
from mops.core.runtime.context import ContextMismatch, RunContext
from mops.core.runtime.gates import GateFailed
from mops.core.runtime.runner import PermissionDenied, Runner
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import DEMO_END_DATE, make_settings
from tests.toy_agents import ATTRIBUTION_V1, ATTRIBUTION_V2, NoParameters, reporting

DAY = date.fromisoformat(DEMO_END_DATE)
CONTEXT = RunContext.for_day(DAY, 28, attribution_model="last_touch", run_id="ctx-a")


@pytest.fixture
def warehouse(built_warehouse, tmp_path):
    """A private copy of the built demo warehouse, so each test starts from the same state."""
    settings = make_settings(tmp_path)
    shutil.copy(built_warehouse.settings.warehouse_path, settings.warehouse_path)
    with DuckDBWarehouse(settings) as wh:
        for schema in ("agents", "ops"):  # other tests' agents may have written to the shared build
            wh._con.execute(f"drop schema if exists {schema} cascade")
        yield wh


def totals(warehouse, agent, context, **runner_options) -> dict[str, float]:
    return Runner(warehouse, **runner_options).run(agent, context).metrics


def test_attribution_v1_to_v2_keeps_pinned_reporting_exact_and_stops_unpinned(warehouse):
    Runner(warehouse).run(ATTRIBUTION_V1, CONTEXT)
    before = totals(warehouse, reporting(1), CONTEXT)
    assert before["conversions"] > 100

    after_run = Runner(warehouse).run(ATTRIBUTION_V2, CONTEXT)
    assert set(after_run.rows_written) == {"agents.attribution_credit_v2", "agents.attribution_credit_v1"}
    after = totals(warehouse, reporting(1), CONTEXT)
    assert after == before  # same conversions per channel and the same revenue, to the row

    v2_rows = after_run.rows_written["agents.attribution_credit_v2"]
    assert v2_rows == after_run.rows_written["agents.attribution_credit_v1"]  # last touch: one row each

    linear = CONTEXT.model_copy(update={"attribution_model": "linear"})
    linear_run = Runner(warehouse).run(ATTRIBUTION_V2, linear)
    assert (
        linear_run.rows_written["agents.attribution_credit_v2"]
        > linear_run.rows_written["agents.attribution_credit_v1"]
    )
    pinned = totals(warehouse, reporting(1), linear)
    assert pinned["conversions"] == before["conversions"]
    assert pinned["revenue"] == pytest.approx(before["revenue"], rel=1e-12)

    with pytest.raises(GateFailed) as failed:
        Runner(warehouse).run(reporting(None), linear)
    message = str(failed.value)
    assert "agents.attribution_credit_v2 (unpinned)" in message
    assert "key ['conversion_id']" in message and "duplicate row" in message


def test_shadow_version_stops_after_its_deprecation_date_and_pinned_consumers_are_refused(warehouse):
    contract = load_contracts(warehouse.settings.contracts_dir / "agents")["attribution_credit"]
    deprecation = contract.version(1).deprecation_date
    later = deprecation + timedelta(days=1)
    run = Runner(warehouse, today=later).run(ATTRIBUTION_V2, CONTEXT)
    assert list(run.rows_written) == ["agents.attribution_credit_v2"]
    with pytest.raises(GateFailed, match=f"deprecated on {deprecation}.*reporting still pins it"):
        Runner(warehouse, today=later).run(reporting(1), CONTEXT)


def test_reading_an_output_of_another_run_context_names_both(warehouse):
    Runner(warehouse).run(ATTRIBUTION_V2, CONTEXT)
    other = RunContext.for_day(DAY - timedelta(days=1), 28, attribution_model="last_touch", run_id="ctx-b")
    with pytest.raises(ContextMismatch) as mismatch:
        Runner(warehouse).run(reporting(1), other)
    text = str(mismatch.value)
    assert "run ctx-a" in text and "run ctx-b" in text
    assert (
        f"{CONTEXT.window_start}..{CONTEXT.window_end}" in text and f"{other.window_start}..{other.window_end}" in text
    )


TEST_CONTRACTS = {
    "probe_a": Contract.model_validate(
        {
            "table": "probe_a",
            "owner": "tests",
            "description": "first output",
            "versions": [
                {"version": 1, "grain": "one row per n", "key": ["n"], "columns": [{"name": "n", "type": "bigint"}]}
            ],
        }
    ),
    "probe_b": Contract.model_validate(
        {
            "table": "probe_b",
            "owner": "tests",
            "description": "second output",
            "versions": [
                {"version": 1, "grain": "one row per n", "key": ["n"], "columns": [{"name": "n", "type": "bigint"}]}
            ],
        }
    ),
}


def probe_agent(b_values: list[float], a_values: list[float] | None = None) -> Agent:
    def function(inputs, context, parameters) -> AgentResult:
        return AgentResult(
            outputs={
                "probe_a": pd.DataFrame({"n": a_values or [1.0, 2.0, 3.0]}),
                "probe_b": pd.DataFrame({"n": b_values}),
            }
        )

    return Agent(
        AgentManifest(
            name="probe",
            owner="tests",
            description="writes two tables",
            reads=(Read(name="dim_channels"),),
            writes=(Write(table="probe_a", version=1), Write(table="probe_b", version=1)),
        ),
        function,
        NoParameters,
    )


def test_a_write_failing_midway_leaves_every_previous_output_whole(warehouse):
    runner = Runner(warehouse, contracts=TEST_CONTRACTS)
    runner.run(probe_agent([10.0, 20.0]), CONTEXT)
    # probe_a is replaced first inside the transaction; probe_b's value overflows bigint in the warehouse
    with pytest.raises(Exception, match="(?i)out of range|overflow|conver"):
        runner.run(probe_agent([1e30], a_values=[7.0, 8.0, 9.0, 10.0]), CONTEXT)
    assert warehouse.query("select n from agents.probe_a_v1 order by n").n.tolist() == [1, 2, 3]
    assert warehouse.query("select n from agents.probe_b_v1 order by n").n.tolist() == [10, 20]
    status = warehouse.query("select status from ops.agent_runs where agent = 'probe' order by started_at").status
    assert status.tolist() == ["succeeded", "failed"]


def test_output_gate_names_table_column_and_rule_and_keeps_the_previous_output(warehouse):
    runner = Runner(warehouse, contracts=TEST_CONTRACTS)
    runner.run(probe_agent([10.0, 20.0]), CONTEXT)
    with pytest.raises(GateFailed) as failed:
        runner.run(probe_agent([5.0, 5.0, None]), CONTEXT)
    message = str(failed.value)
    assert "output gate" in message
    assert "probe_b v1: column n: not_null: 1 null value(s)" in message
    assert "probe_b v1: key ['n']: unique: 1 duplicate row(s)" in message
    assert warehouse.query("select n from agents.probe_b_v1 order by n").n.tolist() == [10, 20]


def reader(read: Read, needs_pii: bool = False) -> Agent:
    def function(inputs, context, parameters) -> AgentResult:
        return AgentResult(outputs={}, metrics={"columns": float(len(inputs[read.name].columns))})

    return Agent(
        AgentManifest(
            name="reader", owner="tests", description="reads one input", reads=(read,), writes=(), needs_pii=needs_pii
        ),
        function,
        NoParameters,
    )


def test_schema_gate_names_the_missing_contract_column(warehouse):
    warehouse._con.execute("alter table marts.fct_conversions_v1 drop column revenue_currency")
    with pytest.raises(
        GateFailed, match=r"fct_conversions v1 \(marts.fct_conversions_v1\): column revenue_currency: contract: missing"
    ):
        Runner(warehouse).run(reader(Read(name="fct_conversions")), CONTEXT)


def test_schema_gate_names_a_column_the_reader_expects(warehouse):
    with pytest.raises(GateFailed, match=r"columns \['campaign_budget'\]: expected by the reader"):
        Runner(warehouse).run(reader(Read(name="fct_ad_performance_daily", columns=("campaign_budget",))), CONTEXT)


def test_freshness_gate_refuses_stale_input(warehouse):
    read = Read(name="fct_ad_performance_daily", freshness_column="date_day", max_age_days=2)
    late = RunContext.for_day(DAY + timedelta(days=5))
    with pytest.raises(
        GateFailed, match=r"column date_day: freshness: newest 2026-06-30 is 5 day\(s\) before .* at most 2"
    ):
        Runner(warehouse).run(reader(read), late)
    Runner(warehouse).run(reader(read), RunContext.for_day(DAY + timedelta(days=1)))  # within 2 days: passes


def test_volume_gate_compares_with_history(warehouse):
    read = Read(name="fct_conversions", window_column="converted_at", volume_tolerance=0.5)
    agent = reader(read)
    runner = Runner(warehouse)
    for _ in range(3):
        runner.run(agent, CONTEXT)  # three reads of the same 28 days build the history
    # 28 days again, but 20 of them after the data ends: a real drop in volume under a comparable window
    sparse = RunContext.for_day(DAY + timedelta(days=20), 28)
    with pytest.raises(GateFailed, match=r"fct_conversions v1 .*: rows: volume: \d+ row\(s\) outside \[\d+, \d+\]"):
        runner.run(agent, sparse)
    with pytest.raises(GateFailed, match=r"rows: volume: 0 row\(s\), at least 1 required"):
        Runner(warehouse).run(
            reader(Read(name="fct_conversions", window_column="converted_at", min_rows=1)),
            RunContext.for_day(DAY + timedelta(days=400)),
        )


def test_pii_columns_are_hidden_without_permission(warehouse):
    read = Read(name="dim_customers")
    plain = Runner(warehouse).read_inputs(reader(read), CONTEXT)["dim_customers"]
    assert {"email", "first_name", "last_name"}.isdisjoint(plain.columns) and "email_hash" in plain.columns
    with pytest.raises(PermissionDenied, match="needs PII"):
        Runner(warehouse).run(reader(read, needs_pii=True), CONTEXT)
    granted = Runner(warehouse, allow_pii=True).read_inputs(reader(read, needs_pii=True), CONTEXT)["dim_customers"]
    assert "email" in granted.columns


def test_missing_upstream_output_names_its_producer(warehouse):
    from tests.toy_agents import ATTRIBUTION_V2

    with pytest.raises(
        GateFailed, match=r"attribution_credit_v1: relation: does not exist yet; run its producer first \(attribution\)"
    ):
        Runner(warehouse, catalog={"attribution": ATTRIBUTION_V2}).run(reporting(1), CONTEXT)


def test_each_agent_run_is_in_the_ledger_with_what_it_read_and_wrote(warehouse):
    """Rows and content hashes of the frames the run held, checked against an independent read of the warehouse."""
    from mops.core.governance.ledger import Ledger
    from mops.core.runtime.provenance import frame_hash

    run = Runner(warehouse, actor="someone").run(ATTRIBUTION_V2, CONTEXT)
    book = Ledger(warehouse, warehouse.settings.audit_head_path)
    [entry] = book.entries(action="agent_run")
    assert (entry["actor"], entry["object"], entry["run_id"]) == ("someone", "agent:attribution", CONTEXT.run_id)
    details = json.loads(entry["details"])
    assert details["status"] == "succeeded" and details["context_key"] == CONTEXT.key
    con = warehouse._con
    end = CONTEXT.window_end + timedelta(days=1)
    [read] = details["inputs"]
    # the run fetched only the columns the agent declares it relies on; the evidence names them
    assert read["columns"] == sorted(["conversion_id", "channel_path", "is_converted", "converted_at",
                                      "conversion_value_in_reporting_currency"])  # fmt: skip
    paths = con.execute(
        f"select {', '.join(read['columns'])} from marts.fct_conversion_paths_v1 "
        "where converted_at >= ? and converted_at < ?",
        [CONTEXT.window_start, end],
    ).df()
    assert read == {
        "table": "marts.fct_conversion_paths_v1",
        "version": 1,
        "rows": len(paths),
        "hash": frame_hash(paths),
        "columns": read["columns"],
    }
    outputs = {o["table"]: o for o in details["outputs"]}
    assert {t: o["rows"] for t, o in outputs.items()} == run.rows_written
    for table, output in outputs.items():
        written = con.execute(f"select * from {table} where _mops_context_key = ?", [CONTEXT.key]).df()
        assert output["hash"] == frame_hash(written), table
    assert (outputs["agents.attribution_credit_v2"]["version"], outputs["agents.attribution_credit_v1"]["version"]) == (
        2,
        1,
    )
    assert book.verify().ok
    # an edit of a written row afterwards no longer matches the evidence
    con.execute("update agents.attribution_credit_v2 set credit = credit * 0.5 where rowid = 0")
    edited = con.execute("select * from agents.attribution_credit_v2 where _mops_context_key = ?", [CONTEXT.key]).df()
    assert frame_hash(edited) != outputs["agents.attribution_credit_v2"]["hash"]


def test_a_failed_agent_run_is_in_the_ledger_too(warehouse):
    from mops.core.governance.ledger import Ledger

    with pytest.raises(GateFailed):
        Runner(warehouse, actor="someone").run(reporting(1), CONTEXT)  # its input was never written
    [entry] = Ledger(warehouse, warehouse.settings.audit_head_path).entries(action="agent_run")
    details = json.loads(entry["details"])
    assert details["status"] == "gate_failed" and "does not exist yet" in details["message"]
    assert details["inputs"] == [] and details["outputs"] == []


def test_an_optional_input_not_written_yet_is_in_the_evidence_with_no_rows(warehouse):
    from mops.core.governance.ledger import Ledger

    Runner(warehouse, actor="someone").run(reader(Read(name="attribution_credit", version=2, optional=True)), CONTEXT)
    [entry] = Ledger(warehouse, warehouse.settings.audit_head_path).entries(action="agent_run")
    [evidence] = json.loads(entry["details"])["inputs"]
    assert (evidence["table"], evidence["version"], evidence["rows"]) == ("agents.attribution_credit_v2", 2, 0)
