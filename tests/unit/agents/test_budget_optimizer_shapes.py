"""budget_optimizer on response shapes it was not built on: linear, saturating, near-flat, constant spend.

Each synthetic channel's clicks follow a known response to spend; every click buys with a known probability.
The agent must write contract-valid, finite outputs for every shape, mark a curve without visible saturation
as such (and not extrapolate it far), hold a channel it cannot fit with the reason, and start each channel's
history at its first day with data.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from agents.budget_optimizer import AGENT
from agents.budget_optimizer.history import OutcomeUnavailable
from agents.budget_optimizer.parameters import BudgetParameters
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.settings import PROJECT_DIR

END = date(2026, 3, 31)
DAYS = 150


def _clicks_linear(spend):
    return 0.8 * spend  # 0.8 clicks per unit, no saturation anywhere near the data


def _clicks_saturating(spend):
    return 500.0 * spend / (spend + 250.0)


def _clicks_flat(spend):
    return 150.0 + 0.002 * spend  # clicks hardly respond to spend


SHAPES = {
    # channel: (clicks(spend), base daily spend, log-sd of weekly spend, purchase probability, days of data)
    "linear_ads": (_clicks_linear, 20_000.0, 0.35, 0.05, DAYS),
    "saturating_ads": (_clicks_saturating, 300.0, 0.4, 0.08, DAYS),
    "flat_ads": (_clicks_flat, 400.0, 0.4, 0.05, DAYS),
    "constant_ads": (_clicks_saturating, 300.0, 0.0, 0.08, DAYS),
    "late_ads": (_clicks_saturating, 300.0, 0.4, 0.08, 70),  # began 70 days before the end
}


def shaped_inputs(seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ads, purchases = [], []
    for channel, (response, base, sd, probability, days) in SHAPES.items():
        dates = pd.date_range(END - timedelta(days=days - 1), END, freq="D")
        spend = base * rng.lognormal(0, sd, days // 7 + 1).repeat(7)[:days]
        clicks = rng.poisson(response(spend))
        ads.append(
            pd.DataFrame(
                {
                    "date_day": dates.date,
                    "channel_id": channel,
                    "spend_in_reporting_currency": spend,
                    "clicks": clicks,
                    "conversions": rng.poisson(clicks * probability * 1.2),  # platforms over-count a little
                    "conversion_value_in_reporting_currency": clicks * probability * 1.2 * 100.0,
                }
            )
        )
        day = np.repeat(dates, clicks)
        users = [f"{channel}-{i}" for i in range(len(day))]
        touched = day + pd.to_timedelta(rng.integers(0, 20 * 3600, len(day)), unit="s")
        bought = rng.random(len(day)) < probability
        at = touched[bought] + pd.Timedelta(minutes=10)
        purchases.append(
            pd.DataFrame(
                {
                    "user_pseudo_id": np.array(users)[bought],
                    "converted_at": at,
                    "conversion_date": at.normalize(),
                    "revenue_in_reporting_currency": 100.0,
                    # each user's one touch, 10 minutes before: the purchase's last non-direct touch
                    "last_non_direct_channel_id": channel,
                    "last_non_direct_touched_at": touched[bought],
                }
            )
        )
    return {
        "fct_ad_performance_daily": pd.concat(ads, ignore_index=True),
        "fct_conversions": pd.concat(purchases, ignore_index=True),
    }


@pytest.fixture(scope="module")
def inputs():
    return shaped_inputs()


@pytest.fixture(scope="module")
def result(inputs):
    return AGENT.run(inputs, RunContext.for_day(END), BudgetParameters(n_draws=400, allocation_draws=20))


def _assert_valid_and_finite(result):
    contracts = load_contracts(PROJECT_DIR / "contracts" / "agents")
    for write in AGENT.manifest.writes:
        frame = result.outputs[write.table]
        assert validate_frame(frame, contracts[write.table].version(write.version), write.table) == []
        numbers = frame.select_dtypes("number")
        assert np.isfinite(numbers.to_numpy(dtype=float)[~numbers.isna().to_numpy()]).all(), write.table


def test_every_shape_gives_contract_valid_finite_outputs(result):
    _assert_valid_and_finite(result)
    assert set(result.outputs["budget_recommendations"].channel_id) == set(SHAPES)


def test_linear_response_is_bounded_and_marked_as_not_identified(result):
    curves = result.outputs["budget_response_curves"].set_index("channel_id")
    linear = curves.loc["linear_ads"]
    assert not linear.is_saturation_identified
    # issue 16: the unbounded fit reached a half-saturation of ~3.7e10 and intervals up to 1e164
    assert linear.half_saturation_spend_high <= 100 * linear.max_observed_daily_spend * 1.0001
    assert linear.max_clicks_high < 1e9
    assert curves.loc["saturating_ads", "is_saturation_identified"]
    # the linear channel's curve still reproduces the clicks it saw: 0.8 per unit at current spend
    slope = linear.max_clicks / (linear.current_daily_spend + linear.half_saturation_spend)
    assert slope == pytest.approx(0.8, rel=0.15)


def test_unidentified_curve_is_not_extrapolated_beyond_the_cap(inputs):
    params = BudgetParameters(n_draws=400, allocation_draws=20, max_daily_change=1.0, extrapolation_cap=1.1)
    result = AGENT.run(inputs, RunContext.for_day(END), params)
    curves = result.outputs["budget_response_curves"].set_index("channel_id")
    rec = result.outputs["budget_recommendations"].set_index("channel_id")
    cap = 1.1 * curves.loc["linear_ads", "max_observed_daily_spend"]
    assert rec.loc["linear_ads", "upper_bound_daily_spend"] <= cap + 1e-6
    assert rec.loc["linear_ads", "recommended_daily_spend"] <= cap + 1e-6
    _assert_valid_and_finite(result)


def test_near_flat_response_loses_money_to_responsive_channels(result):
    rec = result.outputs["budget_recommendations"].set_index("channel_id")
    curves = result.outputs["budget_response_curves"].set_index("channel_id")
    marginal = curves.marginal_outcome_per_spend
    assert marginal["flat_ads"] < marginal["saturating_ads"] / 10
    assert rec.loc["flat_ads", "change_daily_spend"] < 0


def test_constant_spend_is_held_with_the_reason_while_the_others_move(result):
    rec = result.outputs["budget_recommendations"].set_index("channel_id")
    held = rec.loc["constant_ads"]
    assert not held.has_curve
    assert held.recommended_daily_spend == pytest.approx(held.current_daily_spend)
    assert "hardly varies" in held.hold_reason
    assert "constant_ads" not in set(result.outputs["budget_response_curves"].channel_id)
    assert rec.drop(index="constant_ads").change_daily_spend.abs().max() > 0


def test_history_starts_at_the_first_day_with_data(result):
    curves = result.outputs["budget_response_curves"].set_index("channel_id")
    assert curves.loc["late_ads", "history_start"] == END - timedelta(days=69)
    assert curves.loc["late_ads", "n_days"] == 70
    assert curves.loc["saturating_ads", "n_days"] == DAYS


def test_outcome_source_platform_learns_the_platform_conversions(inputs):
    params = BudgetParameters(n_draws=200, allocation_draws=10, outcome_source="platform", objective="conversions")
    result = AGENT.run(inputs, RunContext.for_day(END), params)
    _assert_valid_and_finite(result)
    curves = result.outputs["budget_response_curves"].set_index("channel_id")
    assert (curves.outcome_source == "platform").all()
    # platforms report 1.2 x the purchases: 0.08 x 1.2 conversions per click
    assert curves.loc["saturating_ads", "value_per_click"] == pytest.approx(0.096, rel=0.15)


def test_outcome_source_attribution_takes_the_credited_level(inputs):
    conversions = inputs["fct_conversions"]
    recent = conversions[pd.to_datetime(conversions.converted_at) > pd.Timestamp(END - timedelta(days=27))]
    channel = recent.user_pseudo_id.str.rsplit("-", n=1).str[0]
    # an attribution model that credits half of every saturating_ads purchase elsewhere
    credit = pd.DataFrame(
        {
            "converted_at": recent.converted_at,
            "channel_id": channel,
            "credit": np.where(channel == "saturating_ads", 0.5, 1.0),
        }
    )
    credit["credited_value"] = credit.credit * 100.0
    params = BudgetParameters(n_draws=200, allocation_draws=10, outcome_source="attribution")
    result = AGENT.run({**inputs, "attribution_credit": credit}, RunContext.for_day(END), params)
    curves = result.outputs["budget_response_curves"].set_index("channel_id")
    assert curves.loc["saturating_ads", "value_per_click"] == pytest.approx(0.5 * 8.0, rel=0.2)
    assert curves.loc["late_ads", "value_per_click"] == pytest.approx(8.0, rel=0.2)
    with pytest.raises(OutcomeUnavailable, match="run the attribution agent first"):
        AGENT.run(inputs, RunContext.for_day(END), params)


def test_the_rationale_says_when_saturation_is_not_identified(result):
    rec = result.outputs["budget_recommendations"].set_index("channel_id")
    assert "the data show no saturation" in rec.loc["linear_ads", "rationale"]
    assert "the data show no saturation" not in rec.loc["saturating_ads", "rationale"]
