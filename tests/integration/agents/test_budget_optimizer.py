"""Budget optimizer on the demo warehouse (scale 0.5) against the true response curves in truth.json."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from agents.budget_optimizer import AGENT
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import run_agent
from mops.core.warehouse.adapter import open_warehouse

DEMO_END = date(2026, 6, 30)


def true_outcome(curve: dict, spend: float) -> float:
    ratio = (spend / curve["half_saturation_usd"]) ** curve["shape"]
    return curve["max_revenue_usd"] * ratio / (1 + ratio)


def true_marginal(curve: dict, spend: float) -> float:
    ratio = (spend / curve["half_saturation_usd"]) ** curve["shape"]
    return curve["max_revenue_usd"] * curve["shape"] * ratio / (spend * (1 + ratio) ** 2)


def oracle_allocation(curves: list[dict], lower: list[float], upper: list[float], total: float) -> list[float]:
    """Independent of the agent's SLSQP: bisection on the Lagrange multiplier (equal marginal returns, clipped)."""

    def spend_at(curve, price, low, high):
        for _ in range(100):
            mid = (low + high) / 2
            low, high = (mid, high) if true_marginal(curve, mid) > price else (low, mid)
        return (low + high) / 2

    cheap, dear = 1e-9, 1e9
    for _ in range(200):
        price = (cheap * dear) ** 0.5
        spend = [spend_at(c, price, lo, hi) for c, lo, hi in zip(curves, lower, upper, strict=True)]
        cheap, dear = (price, dear) if sum(spend) > total else (cheap, price)
    return spend


@pytest.fixture(scope="module")
def budget_run(built_warehouse):
    truth = json.loads(built_warehouse.truth_path.read_text())
    context = RunContext.for_day(DEMO_END)
    with open_warehouse(built_warehouse.settings) as warehouse:
        run = run_agent(warehouse, AGENT, context)
        recommendations = warehouse.query("select * from agents.budget_recommendations_v1 order by channel_id")
        curves = warehouse.query("select * from agents.budget_response_curves_v1 order by channel_id")
    return run, recommendations, curves, truth


def test_allocation_recovers_the_oracle_uplift_on_the_true_curves(budget_run):
    run, rec, _, truth = budget_run
    assert run.status == "succeeded"
    curves = [truth["channels"][c]["response_curve"] for c in rec.channel_id]
    current = rec.current_daily_spend.tolist()
    oracle = oracle_allocation(
        curves, rec.lower_bound_daily_spend.tolist(), rec.upper_bound_daily_spend.tolist(), sum(current)
    )
    value = lambda spend: sum(true_outcome(c, s) for c, s in zip(curves, spend, strict=True))  # noqa: E731
    oracle_uplift = value(oracle) - value(current)
    agent_uplift = value(rec.recommended_daily_spend.tolist()) - value(current)
    assert oracle_uplift > 0
    assert agent_uplift / oracle_uplift >= 0.9, (
        agent_uplift,
        oracle_uplift,
        oracle,
        rec.recommended_daily_spend.tolist(),
    )


def test_recommendations_respect_the_budget_and_the_daily_change(budget_run):
    _, rec, _, _ = budget_run
    assert rec.recommended_daily_spend.sum() == pytest.approx(rec.current_daily_spend.sum(), rel=1e-6)
    change = rec.recommended_daily_spend / rec.current_daily_spend - 1
    assert (change.abs() <= 0.2 + 1e-6).all()
    assert (rec.recommended_daily_spend >= rec.lower_bound_daily_spend - 1e-6).all()
    assert (rec.recommended_daily_spend <= rec.upper_bound_daily_spend + 1e-6).all()


def test_money_moves_from_the_lowest_to_the_highest_true_marginal_return(budget_run):
    _, rec, _, truth = budget_run
    marginal = {
        c: true_marginal(truth["channels"][c]["response_curve"], s)
        for c, s in zip(rec.channel_id, rec.current_daily_spend, strict=True)
    }
    best, worst = max(marginal, key=marginal.get), min(marginal, key=marginal.get)
    change = dict(zip(rec.channel_id, rec.change_daily_spend, strict=True))
    assert change[best] > 0 and change[worst] < 0


def test_curves_are_close_to_the_truth_at_current_spend(budget_run):
    _, rec, curves, truth = budget_run
    for row in rec.itertuples():
        true_value = true_outcome(truth["channels"][row.channel_id]["response_curve"], row.current_daily_spend)
        # last non-direct click over-credits channels with few caused purchases a little (see report)
        assert row.expected_outcome_current == pytest.approx(true_value, rel=0.3), row.channel_id
    half = dict(zip(curves.channel_id, curves.half_saturation_spend, strict=True))
    truth_half = {c: truth["channels"][c]["response_curve"]["half_saturation_usd"] for c in half}
    close = [c for c in half if abs(np.log(half[c] / truth_half[c])) < np.log(1.5)]
    assert len(close) >= 4, (half, truth_half)


def test_every_change_is_a_shift_budget_decision_with_an_interval(budget_run):
    run, rec, _, _ = budget_run
    shifts = {d.subject: d for d in run.decisions if d.kind == "shift_budget"}
    moved = rec[rec.change_daily_spend.abs() > 0.005 * rec.current_daily_spend]
    assert set(shifts) == set(moved.channel_id)
    for d in shifts.values():
        assert d.low <= d.value <= d.high
