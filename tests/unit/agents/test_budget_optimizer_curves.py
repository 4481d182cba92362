"""Curve fitting recovers known adstock + Hill parameters on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

from agents.budget_optimizer.curves import (
    CurveFitError,
    adstock,
    draw_curves,
    fit_carryover,
    fit_saturation,
    hill,
)


def test_hill_is_half_at_half_saturation_and_saturates():
    assert hill(np.array([100.0]), 100.0, 1.0)[0] == pytest.approx(0.5)
    assert hill(np.array([300.0]), 100.0, 1.0)[0] == pytest.approx(0.75)
    assert hill(np.array([0.0]), 100.0, 2.0)[0] == 0.0


def test_adstock_carries_a_share_of_yesterday_forward():
    # seeded with the first day: 10 -> 10; then 0.5 * 10 + 0.5 * 0 = 5; then 2.5; then 0.5 * 2.5 + 0.5 * 4 = 3.25
    assert adstock(np.array([10.0, 0.0, 0.0, 4.0]), 0.5).tolist() == [10.0, 5.0, 2.5, 3.25]
    assert adstock(np.array([1.0, 2.0]), 0.0).tolist() == [1.0, 2.0]


def synthetic_channel(seed: int, days: int = 240, max_clicks=400.0, half=600.0, value=8.0, decay=0.4):
    rng = np.random.default_rng(seed)
    spend = 500.0 * rng.lognormal(0, 0.4, days // 7 + 1).repeat(7)[:days] * rng.lognormal(0, 0.1, days)
    clicks = rng.poisson(max_clicks * hill(spend, half, 1.0)).astype(float)
    # each click converts later: conversions land with a geometric lag (adstock with `decay`)
    conversions = rng.poisson(adstock(clicks, decay) * value / 100.0) * 100.0
    return spend, clicks, conversions


def test_saturation_fit_recovers_max_and_half_saturation_within_its_interval():
    spend, clicks, _ = synthetic_channel(1)
    fit = fit_saturation(spend, clicks, shape=1.0)
    max_clicks, half = np.exp(fit.params[:2])
    se = np.sqrt(np.diag(fit.covariance))[:2]
    assert abs(np.log(max_clicks / 400.0)) < 3 * se[0]
    assert abs(np.log(half / 600.0)) < 3 * se[1]
    assert max_clicks == pytest.approx(400.0, rel=0.15)
    assert half == pytest.approx(600.0, rel=0.2)
    assert fit.pseudo_r2 > 0.5


def test_saturation_fit_can_estimate_the_shape():
    spend, clicks, _ = synthetic_channel(2, days=360)
    fit = fit_saturation(spend, clicks, shape=None)
    assert np.exp(fit.params[2]) == pytest.approx(1.0, abs=0.3)


def test_carryover_fit_recovers_decay_and_value_per_click():
    _, clicks, outcome = synthetic_channel(3)
    fit = fit_carryover(clicks, outcome, confidence=0.9, burn_in=14)
    assert fit.decay_low <= 0.4 <= fit.decay_high
    best = int(np.argmax(fit.loglik))
    assert fit.value[best] == pytest.approx(8.0, rel=0.1)


def test_draws_carry_the_point_estimate_first_and_spread_around_it():
    spend, clicks, outcome = synthetic_channel(4)
    draws = draw_curves(
        fit_saturation(spend, clicks, 1.0), fit_carryover(clicks, outcome, 0.9, 14), 500, np.random.default_rng(0)
    )
    true_revenue = 400.0 * 8.0 * hill(np.array([500.0]), 600.0, 1.0)[0]
    low, high = np.quantile(draws.outcome(500.0)[:, 0], [0.01, 0.99])
    assert low < true_revenue < high
    assert (draws.shape == 1.0).all()


def test_constant_spend_cannot_identify_saturation():
    with pytest.raises(CurveFitError, match="hardly varies"):
        fit_saturation(np.full(60, 100.0), np.full(60, 20.0), 1.0)
