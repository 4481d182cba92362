"""The agent's last non-direct outcome from fct_conversions' matched touch equals the old merge_asof path.

The old path read every touch and matched inside the agent with the lookback as merge_asof's tolerance; now
dbt matches the latest non-direct touch of any age and the agent drops a touch older than the lookback.
The two agree when the latest touch decides, which a random world with the awkward cases checks here.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from agents.budget_optimizer.history import last_non_direct_outcome
from tests.last_touch_reference import last_non_direct_touches, merge_asof_outcome

START, END = date(2026, 5, 1), date(2026, 5, 31)
CHANNELS = ["direct", "paid_search", "paid_social", "email"]


def random_world(seed: int, users: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Touches and purchases over April-May: ties, direct-only users, touches after purchases, old touches."""
    rng = np.random.default_rng(seed)
    base = pd.Timestamp("2026-04-01")
    touches, purchases = [], []
    for u in range(users):
        user = f"u{u}"
        n = rng.integers(1, 8)
        at = (base + pd.to_timedelta(rng.integers(0, 60 * 24, n), unit="h")).to_numpy().copy()
        if u % 5 == 1 and n >= 2:
            at[1] = at[0]  # two touches of one user at the same time: a tie
        kinds = rng.choice(CHANNELS, n, p=[0.4, 0.25, 0.2, 0.15]) if u % 10 else np.array(["direct"] * n)
        ids = [f"{user}-{i}" for i in range(n)]
        touches.append(
            pd.DataFrame({"touchpoint_id": ids, "user_pseudo_id": user, "touched_at": at, "channel_id": kinds})
        )
        for k in range(rng.integers(0, 3)):
            converted = base + pd.Timedelta(hours=float(rng.integers(0, 60 * 24)))
            if k == 0 and u % 7 == 0:
                converted = pd.Timestamp(at[0])  # at a touch's own time: that touch counts
            purchases.append(
                {
                    "conversion_id": f"{user}-p{k}",
                    "user_pseudo_id": user,
                    "converted_at": converted,
                    "conversion_date": converted.normalize(),
                    "revenue_in_reporting_currency": 10.0 + k,
                }
            )
    return pd.concat(touches, ignore_index=True), pd.DataFrame(purchases)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("lookback_days", [1, 7, 30])
def test_the_outcome_from_the_matched_touch_equals_merge_asof_with_the_lookback_as_tolerance(seed, lookback_days):
    touches, purchases = random_world(seed)
    matched = last_non_direct_touches(touches, purchases)
    conversions = purchases.join(matched, on="conversion_id")
    # the world has every awkward case
    non_direct = touches[touches.channel_id != "direct"]
    assert non_direct.duplicated(["user_pseudo_id", "touched_at"]).any()  # ties
    assert conversions.last_non_direct_touchpoint_id.isna().any()  # direct-only users
    age = conversions.converted_at - conversions.last_non_direct_touched_at
    assert (age > pd.Timedelta(days=lookback_days)).any() and (age == pd.Timedelta(0)).any()
    later = touches.merge(purchases, on="user_pseudo_id").query("touched_at > converted_at")
    assert len(later) > 0  # touches after a purchase
    expected = merge_asof_outcome(touches, purchases, lookback_days, START, END)
    got = last_non_direct_outcome(conversions, lookback_days, START, END)
    key = ["channel_id", "date_day"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True), expected.sort_values(key).reset_index(drop=True)
    )


def test_the_reference_breaks_ties_to_the_greatest_touchpoint_id_and_ignores_later_touches():
    touches = pd.DataFrame(
        {
            "touchpoint_id": ["a-B", "a-a", "a-z", "b-1", "c-1", "c-2"],
            "user_pseudo_id": ["a", "a", "a", "b", "c", "c"],
            "touched_at": pd.to_datetime(
                ["2026-05-01 10:00", "2026-05-01 10:00", "2026-05-01 12:00"]
                + ["2026-05-01 09:00", "2026-03-01 09:00", "2026-05-01 09:00"]
            ),
            "channel_id": ["paid_social", "paid_search", "email", "direct", "email", "direct"],
        }
    )
    purchases = pd.DataFrame(
        {
            "conversion_id": ["pa", "pb", "pc"],
            "user_pseudo_id": ["a", "b", "c"],
            "converted_at": pd.to_datetime(["2026-05-01 11:00", "2026-05-01 10:00", "2026-05-01 10:00"]),
        }
    )
    matched = last_non_direct_touches(touches, purchases)
    assert matched.last_non_direct_touchpoint_id.tolist()[0] == "a-a"  # 'a-a' > 'a-B' in bytes; a-z is later
    assert pd.isna(matched.loc["pb", "last_non_direct_touchpoint_id"])  # direct only
    assert matched.loc["pc", "last_non_direct_channel_id"] == "email"  # two months old: any age
