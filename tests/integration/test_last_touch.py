"""fct_conversions_v1's last non-direct touch on the demo warehouse against the pandas reference.

The reference (tests/last_touch_reference.py) is the budget optimizer's old merge_asof path over
fct_touchpoints_v1. The demo has direct-only buyers, touches after purchases and last touches older than
the 7-day lookback; ties (one browser, two non-direct sessions at the same start) are rare in it and are
covered by the dbt unit test a_purchase_gets_the_latest_non_direct_session_at_or_before_it, which runs in
every build on DuckDB and PostgreSQL, and by tests/unit/agents/test_budget_optimizer_history.py.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from agents.budget_optimizer.history import last_non_direct_outcome
from mops.core.warehouse.adapter import open_warehouse
from tests.last_touch_reference import last_non_direct_touches, merge_asof_outcome

pytestmark = pytest.mark.slow
LOOKBACK_DAYS = 7  # the budget optimizer's default attribution_lookback_days


@pytest.fixture(scope="module")
def marts(built_warehouse) -> tuple[pd.DataFrame, pd.DataFrame]:
    with open_warehouse(built_warehouse.settings, read_only=True) as warehouse:
        touches = warehouse.query(
            "select touchpoint_id, user_pseudo_id, touched_at, channel_id from marts.fct_touchpoints_v1"
        )
        conversions = warehouse.query("select * from marts.fct_conversions_v1")
    return touches, conversions


def test_every_conversion_has_the_touch_the_reference_finds(marts):
    touches, conversions = marts
    expected = last_non_direct_touches(touches, conversions)
    got = conversions.set_index("conversion_id")[expected.columns].sort_index()
    got["last_non_direct_touched_at"] = pd.to_datetime(got["last_non_direct_touched_at"]).astype("datetime64[us]")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # the cases that could go wrong are in the data
    assert got.last_non_direct_touchpoint_id.isna().sum() > 0  # buyers with no non-direct session
    age = pd.to_datetime(conversions.converted_at) - pd.to_datetime(conversions.last_non_direct_touched_at)
    assert (age > pd.Timedelta(days=LOOKBACK_DAYS)).sum() > 0  # last touch older than the lookback
    after = touches.merge(conversions, on="user_pseudo_id").query("touched_at > converted_at")
    assert (after.channel_id != "direct").sum() > 0  # non-direct touches after a purchase


def test_the_agents_outcome_equals_the_old_merge_asof_path(marts):
    touches, conversions = marts
    start, end = date(2000, 1, 1), date(2100, 1, 1)
    expected = merge_asof_outcome(touches, conversions, LOOKBACK_DAYS, start, end)
    got = last_non_direct_outcome(conversions, LOOKBACK_DAYS, start, end)
    key = ["channel_id", "date_day"]
    assert len(expected) > 0 and (got.channel_id == "direct").any()
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True), expected.sort_values(key).reset_index(drop=True)
    )
