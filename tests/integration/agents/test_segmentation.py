"""Segmentation on the demo warehouse: every customer segmented, sizes add up, reproducible, contract valid,
and the same segments as an independent SQL implementation of the rules."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pandas as pd
import pytest

from agents.segmentation import AGENT, SEGMENTS
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import run_agent
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import DEMO_END_DATE, make_settings

pytestmark = pytest.mark.slow

CONTEXT = RunContext.for_day(date.fromisoformat(DEMO_END_DATE))


@pytest.fixture
def warehouse(built_warehouse, tmp_path):
    """A private copy of the built warehouse, so agent outputs written here touch no other test."""
    shutil.copy(built_warehouse.settings.warehouse_path, tmp_path / "warehouse.duckdb")
    with DuckDBWarehouse(make_settings(tmp_path)) as wh:
        yield wh


def _outputs(wh) -> tuple[pd.DataFrame, pd.DataFrame]:
    def read(table):
        frame = wh.query(f"select * from agents.{table}_v1")
        return frame[[c for c in frame.columns if not c.startswith("_mops_")]]

    return read("customer_segments"), read("segment_summary")


def independent_segments(wh, end: date) -> pd.DataFrame:
    """The segment rules in SQL, straight from the marts (default parameters)."""
    return wh.query(
        """
        with orders as (
            select customer_id, count(*) as frequency, max(cast(converted_at as date)) as last_day
            from marts.fct_conversions_v1
            where customer_id is not null and cast(converted_at as date) <= ?
            group by customer_id
        ),
        customers as (
            select c.customer_id, coalesce(o.frequency, 0) as frequency, date_diff('day', o.last_day, ?) as r
            from marts.dim_customers_v1 as c
            left join orders as o using (customer_id)
            where c.created_at is null or cast(c.created_at as date) <= ?
        )
        select
            customer_id,
            case
                when frequency = 0 then 'prospects'
                when r > 180 then 'lost'
                when r > 90 then case when frequency >= 2 then 'at_risk' else 'lost' end
                when frequency >= 3 then case when r <= 30 then 'champions' else 'loyal' end
                when frequency = 2 then 'potential_loyalists'
                when r <= 30 then 'new_customers'
                else 'hibernating'
            end as segment
        from customers
        """,
        [end, end, end],
    )


def test_every_customer_is_segmented_once_and_the_sizes_add_up(warehouse, built_warehouse):
    run = run_agent(warehouse, AGENT, CONTEXT)
    assert run.status == "succeeded"
    segments, summary = _outputs(warehouse)
    customers = warehouse.query("select customer_id from marts.dim_customers_v1")
    assert sorted(segments.customer_id) == sorted(customers.customer_id)
    assert segments.customer_id.is_unique
    assert set(segments.segment) <= set(SEGMENTS)
    assert summary.segment.tolist() == list(SEGMENTS)
    assert summary.customers.sum() == len(segments)
    assert summary.share.sum() == pytest.approx(1.0)
    assert (
        summary.set_index("segment").customers == segments.segment.value_counts().reindex(SEGMENTS, fill_value=0)
    ).all()
    # against the simulation: every purchase is counted once, for the buyer who made it
    conversions = pd.read_csv(built_warehouse.truth_path.parent / "conversions.csv")
    assert segments.frequency.sum() == len(conversions)
    assert (segments.frequency > 0).sum() == conversions.user_idx.nunique()
    assert segments.monetary.sum() == pytest.approx(conversions.revenue_usd.sum(), rel=1e-9)
    truth = json.loads(built_warehouse.truth_path.read_text())
    assert truth["total_conversions"] == len(conversions)


def test_segments_match_an_independent_sql_implementation(warehouse):
    run_agent(warehouse, AGENT, CONTEXT)
    segments, _ = _outputs(warehouse)
    expected = independent_segments(warehouse, CONTEXT.window_end).set_index("customer_id").segment
    got = segments.set_index("customer_id").segment
    assert got.sort_index().equals(expected.sort_index().rename("segment"))
    assert len(set(got)) >= 6  # the demo populates most of the set, not one catch-all


def test_two_runs_give_the_same_segments_and_the_outputs_keep_their_contract(warehouse):
    run_agent(warehouse, AGENT, CONTEXT)
    first = _outputs(warehouse)
    run_agent(warehouse, AGENT, CONTEXT)
    second = _outputs(warehouse)
    contracts = load_contracts(warehouse.settings.contracts_dir / "agents")
    for a, b, table in zip(first, second, ("customer_segments", "segment_summary"), strict=True):
        pd.testing.assert_frame_equal(a, b)
        assert validate_frame(a, contracts[table].version(1), table) == []


def test_outputs_carry_no_pii(warehouse):
    run_agent(warehouse, AGENT, CONTEXT)
    segments, _ = _outputs(warehouse)
    assert not {"email", "email_hash", "first_name", "last_name"} & set(segments.columns)
    emails = set(warehouse.query("select email from marts.dim_customers_v1").email.dropna())
    assert not emails & set(segments.astype(str).to_numpy().ravel())
