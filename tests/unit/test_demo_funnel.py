"""The funnel world (demo/funnel.py): stage mechanics by hand, and its counterfactual truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from demo import funnel
from demo.simulate import FxTable, simulate
from demo.world import DemoConfig

FX = Path(__file__).parents[2] / "dbt_project" / "seeds" / "fx_rates.csv"


def test_a_display_touch_makes_a_later_search_visit_buy_and_its_removal_loses_it():
    users = np.array([0, 0])
    channels = np.array(["meta_ads", "google_ads"])
    u_lift, u_close = np.array([0.0, 1.0]), np.array([1.0, 0.01])  # meta lifts; google closes at stage 1
    assert funnel._run(users, channels, u_lift, u_close, np.array([0])).tolist() == [False, True]
    # without the meta session the same google draw meets an unaware user: no purchase
    assert funnel._run(users[1:], channels[1:], u_lift[1:], u_close[1:], np.array([0])).tolist() == [False]


def test_after_a_purchase_the_user_is_back_at_aware():
    users = np.zeros(3, dtype=int)
    channels = np.array(["direct", "direct", "direct"])
    # stage 2 user buys on direct (0.25), drops to 1, so the same draw 0.2 no longer closes (0.03 at stage 1)
    bought = funnel._run(users, channels, np.ones(3), np.array([0.2, 0.2, 0.02]), np.array([2]))
    assert bought.tolist() == [True, False, True]


def test_truth_is_removal_effects_normalised_and_differs_from_the_closing_channel():
    sim = simulate(DemoConfig(end_date="2026-06-30", users=4000, scale=0.3, world="funnel"), FxTable(FX))
    channels = sim.truth["channels"]
    assert sim.truth["world"] == "funnel" and "Abhishek" in sim.truth["world_source"]
    shares = {c: v["true_conversion_share"] for c, v in channels.items()}
    assert abs(sum(shares.values()) - 1) < 1e-4
    assert all(v["removal_effect_conversions"] >= 0 for v in channels.values())
    closing = sim.conversions.causal_channel_id.value_counts(normalize=True)
    # display lifts users that search and direct then close: its true share exceeds its closing share
    assert shares["meta_ads"] > closing.get("meta_ads", 0) + 0.03
    assert len(sim.conversions) == sim.truth["total_conversions"]
