"""Segmentation on tiny frames where each customer's segment, score and affinity is known by construction."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from agents.segmentation import AGENT, SEGMENTS, SegmentationParameters
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.settings import PROJECT_DIR

REFERENCE = date(2026, 6, 30)
CONTEXT = RunContext.for_day(REFERENCE)
CONTRACTS = load_contracts(Path(PROJECT_DIR) / "contracts" / "agents")
EMPTY_CREDIT = pd.DataFrame({"conversion_id": [], "channel_id": [], "credit": []})

# customer -> (days before the reference of each order, expected segment) with the default bands
# (active <= 30, lapsing <= 90, dormant <= 180; frequent >= 3 orders)
CASES = {
    "c_champion": ([5, 20, 40], "champions"),
    "c_champion_edge": ([30, 31, 100], "champions"),  # 30 days is still active
    "c_loyal": ([60, 70, 80, 85], "loyal"),
    "c_potential_recent": ([10, 50], "potential_loyalists"),
    "c_potential_lapsing": ([90, 95], "potential_loyalists"),  # 90 days is still lapsing
    "c_new": ([0], "new_customers"),
    "c_new_edge": ([30], "new_customers"),
    "c_hibernating": ([31], "hibernating"),
    "c_at_risk": ([91, 120], "at_risk"),
    "c_at_risk_frequent": ([150, 160, 170], "at_risk"),
    "c_lost_once": ([91], "lost"),
    "c_lost_frequent": ([181, 190, 200, 210], "lost"),
    "c_prospect": ([], "prospects"),
}


def _frames(cases=CASES, revenue: float = 100.0):
    customers = pd.DataFrame(
        {
            "customer_id": list(cases),
            "lifecycle_stage": ["lead" if not days else "customer" for days, _ in cases.values()],
            "created_at": pd.Timestamp("2025-01-01 09:00"),
        }
    )
    rows = [
        {
            "conversion_id": f"{customer}-{i}",
            "customer_id": customer,
            "converted_at": pd.Timestamp(REFERENCE - timedelta(days=ago)) + pd.Timedelta(hours=12),
            "session_channel_id": "direct",
            "revenue_in_reporting_currency": revenue,
        }
        for customer, (days, _) in cases.items()
        for i, ago in enumerate(days)
    ]
    return customers, pd.DataFrame(rows)


def _run(customers, conversions, credit=EMPTY_CREDIT, context=CONTEXT, params=None):
    inputs = {"dim_customers": customers, "fct_conversions": conversions, "attribution_credit": credit}
    return AGENT.run(inputs, context, params)


def test_each_customer_lands_in_the_segment_its_orders_imply():
    customers, conversions = _frames()
    result = _run(customers, conversions)
    got = result.outputs["customer_segments"].set_index("customer_id").segment.to_dict()
    assert got == {customer: segment for customer, (_, segment) in CASES.items()}
    assert set(got.values()) == set(SEGMENTS)  # the cases cover the whole declared set


def test_outputs_satisfy_their_contracts():
    customers, conversions = _frames()
    result = _run(customers, conversions)
    for table in ("customer_segments", "segment_summary"):
        assert validate_frame(result.outputs[table], CONTRACTS[table].version(1), table) == []


def test_contract_declares_exactly_the_segment_set():
    column = CONTRACTS["customer_segments"].version(1).column("segment")
    assert column.allowed_values == SEGMENTS
    assert CONTRACTS["segment_summary"].version(1).column("segment").allowed_values == SEGMENTS


def test_recency_frequency_monetary_are_counted_to_the_reference_date():
    customers, conversions = _frames({"c": ([3, 40], "")}, revenue=50.0)
    later = conversions.iloc[[0]].assign(conversion_id="c-later", converted_at=pd.Timestamp("2026-07-01 08:00"))
    row = _run(customers, pd.concat([conversions, later])).outputs["customer_segments"].iloc[0]
    assert (row.recency_days, row.frequency, row.monetary, row.average_order_value) == (3, 2, 100.0, 50.0)


def test_customers_created_after_the_reference_date_are_left_out():
    customers, conversions = _frames({"c_old": ([1], ""), "c_future": ([], "")})
    customers.loc[customers.customer_id == "c_future", "created_at"] = pd.Timestamp("2026-07-02")
    out = _run(customers, conversions).outputs["customer_segments"]
    assert out.customer_id.tolist() == ["c_old"]


def test_days_are_counted_in_the_run_time_zone():
    customers, conversions = _frames({"c": ([0], "")})
    # 02:00 UTC on July 1st is still June 30th in New York: inside the reference day there
    conversions["converted_at"] = pd.Timestamp("2026-07-01 02:00")
    utc = _run(customers, conversions).outputs["customer_segments"].iloc[0]
    new_york = RunContext.for_day(REFERENCE, timezone="America/New_York")
    local = _run(customers, conversions, context=new_york).outputs["customer_segments"].iloc[0]
    assert (utc.frequency, utc.segment) == (0, "prospects")
    assert (local.frequency, local.recency_days, local.segment) == (1, 0, "new_customers")


def test_score_is_the_mean_of_percentile_ranks_among_buyers():
    customers, conversions = _frames({"a": ([1, 2, 3], ""), "b": ([10], ""), "c": ([10], ""), "p": ([], "")})
    conversions.loc[conversions.customer_id == "c", "revenue_in_reporting_currency"] = 200.0
    out = _run(customers, conversions).outputs["customer_segments"].set_index("customer_id")
    # recency ranks: a 1, b and c tie (0.5 each); frequency: a 1, b/c 0.5; monetary (300, 100, 200): 1, 1/3, 2/3
    assert out.score["a"] == pytest.approx(1.0)
    assert out.score["b"] == pytest.approx((0.5 + 0.5 + 1 / 3) / 3)
    assert out.score["c"] == pytest.approx((0.5 + 0.5 + 2 / 3) / 3)
    assert out.score["p"] == 0.0 and pd.isna(out.recency_score["p"])


def test_channel_affinity_sums_attributed_credit_and_falls_back_to_the_session_channel():
    customers, conversions = _frames({"x": ([1, 2], ""), "y": ([1], ""), "z": ([1], "")})
    conversions["session_channel_id"] = ["meta_ads", "meta_ads", "direct", "google_ads"]
    credit = pd.DataFrame(
        {
            "conversion_id": ["x-0", "x-0", "y-0", "y-0"],
            "channel_id": ["google_ads", "meta_ads", "email", "direct"],
            "credit": [0.7, 0.3, 0.5, 0.5],
        }
    )
    out = _run(customers, conversions, credit).outputs["customer_segments"].set_index("customer_id")
    # x: google 0.7, meta 0.3 + 1.0 (x-1 is not attributed: its session channel takes it)
    assert (out.channel_affinity["x"], out.channel_affinity_share["x"]) == ("meta_ads", pytest.approx(1.3 / 2))
    assert out.channel_affinity_source["x"] == "mixed"
    # y: a tie between email and direct goes to the first id alphabetically
    assert (out.channel_affinity["y"], out.channel_affinity_share["y"]) == ("direct", 0.5)
    assert out.channel_affinity_source["y"] == "attribution"
    assert (out.channel_affinity["z"], out.channel_affinity_source["z"]) == ("google_ads", "session_channel")


def test_without_an_attribution_run_the_agent_uses_the_session_channel():
    customers, conversions = _frames({"x": ([1, 2], "")})
    conversions["session_channel_id"] = ["email", "email"]
    empty_v2 = pd.DataFrame(columns=CONTRACTS["attribution_credit"].version(2).column_names)
    out = _run(customers, conversions, empty_v2).outputs["customer_segments"].iloc[0]
    assert (out.channel_affinity, out.channel_affinity_share, out.channel_affinity_source) == (
        "email",
        1.0,
        "session_channel",
    )


def test_summary_has_every_segment_and_adds_up():
    customers, conversions = _frames()
    result = _run(customers, conversions)
    summary = result.outputs["segment_summary"].set_index("segment")
    assert summary.index.tolist() == list(SEGMENTS)
    assert summary.customers.sum() == len(CASES)
    assert summary.share.sum() == pytest.approx(1.0)
    assert summary.customers["at_risk"] == 2 and summary.orders["at_risk"] == 5
    assert summary.revenue["at_risk"] == pytest.approx(500.0)
    assert summary.average_order_value["at_risk"] == pytest.approx(100.0)
    assert pd.isna(summary.average_order_value["prospects"])


def test_empty_segments_stay_in_the_summary_with_zero_customers():
    customers, conversions = _frames({"c": ([1], "")})
    summary = _run(customers, conversions).outputs["segment_summary"].set_index("segment")
    assert summary.customers.to_dict() == {s: int(s == "new_customers") for s in SEGMENTS}


def test_parameters_move_the_band_edges():
    customers, conversions = _frames({"c": ([45], "")})
    params = SegmentationParameters(recent_days=60, lapsing_days=120, lost_days=200)
    assert _run(customers, conversions).outputs["customer_segments"].segment[0] == "hibernating"
    assert _run(customers, conversions, params=params).outputs["customer_segments"].segment[0] == "new_customers"
    with pytest.raises(ValueError, match="recent_days <= lapsing_days"):
        SegmentationParameters(recent_days=100, lapsing_days=90)


def test_pii_columns_never_reach_the_output_even_if_given():
    customers, conversions = _frames({"c": ([1], "")})
    customers["email"] = "someone@example.com"
    customers["first_name"] = "Some"
    out = _run(customers, conversions).outputs["customer_segments"]
    assert not {"email", "first_name", "last_name", "email_hash"} & set(out.columns)
    assert AGENT.manifest.needs_pii is False
