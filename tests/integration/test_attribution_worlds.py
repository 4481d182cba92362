"""Attribution models against causal truth in both simulated worlds (bench/attribution_worlds.py).

Measured (bench/results/attribution_worlds.json, 200 bootstrap samples, seed 42), largest absolute share error:
counterfactual 0.010 / 0.006 (lagged purchase, 1x / 10x) and 0.033 / 0.029 (funnel); Markov 0.078 / 0.081 and
0.069 / 0.073; Shapley 0.066 / 0.065 and 0.069 / 0.073. Coverage of the counterfactual model's 95% intervals
(exchangeable, the default) over seeds 42 / 7 / 13: at 1x 100% in every run of both worlds; at 10x 89% / 100% /
89% (lagged) and 89% / 89% / 89% (funnel). Sampling only: 100% (lagged 1x), 44-67% (funnel 1x), 78-100% (lagged
10x), 22-33% (funnel 10x) (DECISIONS: attribution lag)."""

from __future__ import annotations

import pytest

from bench.attribution_worlds import evaluate, evaluate_intervals

pytestmark = pytest.mark.slow
WORLDS = ["lagged_purchase", "funnel"]


@pytest.mark.parametrize("world", WORLDS)
def test_counterfactual_is_within_005_of_the_truth_and_beats_the_path_models(world):
    result = evaluate(world, 1.0, 50, ("markov", "shapley", "last_touch", "counterfactual"))
    error = {m: row["max_abs_share_error"] for m, row in result["models"].items()}
    assert error["counterfactual"] <= 0.05, error
    assert all(error["counterfactual"] < e for m, e in error.items() if m != "counterfactual"), error


# (world, simulation seed) at 1x: the shipped intervals cover every channel on each (measured, see
# bench/results/attribution_worlds.json "counterfactual_intervals")
INTERVAL_CASES = [("lagged_purchase", 42), ("funnel", 42), ("funnel", 7)]


@pytest.mark.parametrize(("world", "seed"), INTERVAL_CASES)
def test_counterfactual_intervals_carry_model_uncertainty(world, seed):
    result = evaluate_intervals(world, 1.0, seed, 200)  # as the bench: the same draws
    before, after = result["modes"]["sampling"], result["modes"]["exchangeable"]
    # at least 8 of 9 channels covered (the issue's 85%) with the specifications' spread
    assert after["interval_coverage"] >= 8 / 9 - 1e-9, result
    # honest widths: wider than sampling alone, yet well under 60% of the share on average
    assert before["mean_width"] < after["mean_width"], result
    assert after["mean_relative_width"] < 0.6, result
