"""The allocation on tiny, hand-checkable inputs: closed forms, bounds, locks and the risk rule."""

from __future__ import annotations

import numpy as np
import pytest

from agents.budget_optimizer.allocate import Curves, InfeasibleBudget, allocate, allocation_draws, spend_bounds

INF = np.inf


def curves(max_outcome, half, shape=None) -> Curves:
    max_outcome = np.atleast_2d(np.asarray(max_outcome, dtype=float))
    half = np.broadcast_to(np.asarray(half, dtype=float), max_outcome.shape)
    shape = np.ones_like(max_outcome) if shape is None else np.broadcast_to(shape, max_outcome.shape)
    return Curves(max_outcome, half, shape)


def test_unconstrained_optimum_equalises_marginal_returns():
    # R_i = M_i x / (x + K_i): x_i = sqrt(M_i K_i / lambda) - K_i. M = (100, 400), K = 100, budget 300:
    # (10 + 20) * 10 / sqrt(lambda) = 500 -> 1 / sqrt(lambda) = 5/3 -> x = (66.67, 233.33)
    x = allocate(curves([100.0, 400.0], 100.0), np.array([150.0, 150.0]), np.zeros(2), np.full(2, INF), 300.0)
    assert x == pytest.approx([200 / 3, 700 / 3], rel=1e-4)


def test_identical_channels_split_evenly():
    x = allocate(curves([100.0, 100.0], 50.0), np.array([80.0, 120.0]), np.zeros(2), np.full(2, INF), 200.0)
    assert x == pytest.approx([100.0, 100.0], rel=1e-4)


def test_max_daily_change_caps_the_shift():
    current = np.array([100.0, 100.0])
    lower, upper = spend_bounds(current, np.zeros(2), np.full(2, INF), 0.2, np.array([False, False]))
    assert lower.tolist() == [80.0, 80.0] and upper.tolist() == [120.0, 120.0]
    # channel 0 has four times the marginal return everywhere in the range: it takes all it may
    x = allocate(curves([400.0, 100.0], 100.0), current, lower, upper, 200.0)
    assert x == pytest.approx([120.0, 80.0], rel=1e-6)


def test_min_and_max_are_clipped_into_the_days_allowed_change():
    lower, upper = spend_bounds(
        np.array([100.0, 200.0, 50.0]),
        np.array([150.0, 0.0, 0.0]),
        np.array([INF, 210.0, 45.0]),
        0.2,
        np.array([False, False, False]),
    )
    # floor 150 is out of reach today: move as far as allowed (120); cap 210 binds; cap 45 binds below current
    assert lower.tolist() == [120.0, 160.0, 40.0]
    assert upper.tolist() == [120.0, 210.0, 45.0]


def test_locked_channel_does_not_move_and_the_rest_rebalance():
    current = np.array([100.0, 100.0, 100.0])
    lower, upper = spend_bounds(current, np.zeros(3), np.full(3, INF), 0.2, np.array([True, False, False]))
    x = allocate(curves([1000.0, 400.0, 100.0], 100.0), current, lower, upper, 300.0)
    assert x == pytest.approx([100.0, 120.0, 80.0], rel=1e-6)


def test_a_new_total_is_spread_within_bounds():
    current = np.array([100.0, 100.0])
    lower, upper = spend_bounds(current, np.zeros(2), np.full(2, INF), 0.2, np.array([False, False]))
    x = allocate(curves([100.0, 100.0], 100.0), current, lower, upper, 230.0)
    assert x == pytest.approx([115.0, 115.0], rel=1e-6)


def test_a_total_beyond_the_bounds_is_refused():
    current = np.array([100.0, 100.0])
    lower, upper = spend_bounds(current, np.zeros(2), np.full(2, INF), 0.2, np.array([False, False]))
    with pytest.raises(InfeasibleBudget, match=r"outside what the channel bounds allow \[160.00, 240.00\]"):
        allocate(curves([100.0, 100.0], 100.0), current, lower, upper, 300.0)


def uncertain_pair(spread: float, advantage: float, draws: int = 2000) -> Curves:
    """Channel 0's maximum is `advantage` above channel 1's on average, with a relative `spread`."""
    rng = np.random.default_rng(7)
    first = 100.0 * (1 + advantage) * (1 + spread * rng.standard_normal(draws))
    return curves(np.column_stack([first, np.full(draws, 100.0)]), 100.0)


def test_risk_rule_does_not_move_money_on_an_unsupported_difference():
    current = np.array([100.0, 100.0])
    lower, upper = spend_bounds(current, np.zeros(2), np.full(2, INF), 0.2, np.array([False, False]))
    noisy = uncertain_pair(spread=0.5, advantage=0.3)
    assert allocate(noisy, current, lower, upper, 200.0, z=0.0)[0] > 108.0  # the mean alone would move
    assert allocate(noisy, current, lower, upper, 200.0, z=1.2816) == pytest.approx(current, abs=1.0)


def test_risk_rule_moves_money_on_a_supported_difference():
    current = np.array([100.0, 100.0])
    lower, upper = spend_bounds(current, np.zeros(2), np.full(2, INF), 0.2, np.array([False, False]))
    clear = uncertain_pair(spread=0.05, advantage=1.0)
    assert allocate(clear, current, lower, upper, 200.0, z=1.2816) == pytest.approx([120.0, 80.0], rel=1e-4)


def test_per_draw_optima_agree_on_a_clear_direction():
    current = np.array([100.0, 100.0])
    lower, upper = spend_bounds(current, np.zeros(2), np.full(2, INF), 0.2, np.array([False, False]))
    optima = allocation_draws(uncertain_pair(spread=0.05, advantage=1.0), current, lower, upper, 200.0, 50)
    assert optima.shape == (50, 2)
    assert (optima[:, 0] > current[0]).all()
