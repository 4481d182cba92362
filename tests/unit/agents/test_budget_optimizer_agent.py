"""The agent function on a small synthetic world: outputs match contracts, staleness halts, conflicts recorded."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from agents.budget_optimizer import AGENT
from agents.budget_optimizer.history import StaleSpendData
from agents.budget_optimizer.parameters import BudgetParameters
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.settings import PROJECT_DIR

END = date(2026, 3, 31)
# channel -> (base spend, max clicks, half saturation, conversion probability); "strong" earns far more per dollar
CHANNELS = {"strong_ads": (300.0, 200.0, 400.0, 0.10), "weak_ads": (300.0, 200.0, 400.0, 0.02)}


def synthetic_inputs(days: int = 120, seed: int = 3) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    dates = pd.date_range(END - timedelta(days=days - 1), END, freq="D")
    ads, purchases = [], []
    for channel, (base, max_clicks, half, probability) in CHANNELS.items():
        spend = base * rng.lognormal(0, 0.4, days // 7 + 1).repeat(7)[:days]
        clicks = rng.poisson(max_clicks * spend / (spend + half))
        ads.append(
            pd.DataFrame(
                {"date_day": dates.date, "channel_id": channel, "spend_in_reporting_currency": spend, "clicks": clicks}
            )
        )
        day = np.repeat(dates, clicks)
        users = [f"{channel}-{i}" for i in range(len(day))]
        touched = day + pd.to_timedelta(rng.integers(0, 20 * 3600, len(day)), unit="s")
        bought = rng.random(len(day)) < probability
        purchases.append(
            pd.DataFrame(
                {
                    "user_pseudo_id": np.array(users)[bought],
                    "converted_at": touched[bought] + pd.Timedelta(minutes=10),
                    "conversion_date": (touched[bought] + pd.Timedelta(minutes=10)).normalize(),
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
    return synthetic_inputs()


def context() -> RunContext:
    return RunContext.for_day(END)


def test_outputs_match_their_contracts_and_money_moves_to_the_strong_channel(inputs):
    result = AGENT.run(inputs, context())
    contracts = load_contracts(PROJECT_DIR / "contracts" / "agents")
    for write in AGENT.manifest.writes:
        frame = result.outputs[write.table]
        assert validate_frame(frame, contracts[write.table].version(write.version), write.table) == []
    rec = result.outputs["budget_recommendations"].set_index("channel_id")
    assert rec.loc["strong_ads", "change_share"] == pytest.approx(0.2)
    assert rec.loc["weak_ads", "change_daily_spend"] == pytest.approx(-rec.loc["strong_ads", "change_daily_spend"])
    shifts = {d.subject: d for d in result.decisions if d.kind == "shift_budget"}
    assert shifts["strong_ads"].action == "increase_spend" and shifts["strong_ads"].confidence > 0.9
    curves = result.outputs["budget_response_curves"].set_index("channel_id")
    # value per click: conversion probability x 100 of revenue
    assert curves.loc["strong_ads", "value_per_click"] == pytest.approx(10.0, rel=0.15)
    assert curves.loc["weak_ads", "value_per_click"] == pytest.approx(2.0, rel=0.3)


def test_locked_channel_holds_and_nothing_can_move(inputs):
    result = AGENT.run(inputs, context(), BudgetParameters(locked_channels=("weak_ads",)))
    rec = result.outputs["budget_recommendations"].set_index("channel_id")
    assert rec.loc["weak_ads", "is_locked"]
    assert rec.change_daily_spend.abs().max() < 1e-6  # the other channel cannot move alone at a fixed total
    assert [d.kind for d in result.decisions] == ["hold_budget"]


def test_unknown_channel_in_parameters_is_named(inputs):
    with pytest.raises(ValueError, match=r"no spend in fct_ad_performance_daily: \['nope_ads'\]"):
        AGENT.run(inputs, context(), BudgetParameters(locked_channels=("nope_ads",)))


def test_stale_spend_halts_naming_table_column_and_date(inputs):
    ads = inputs["fct_ad_performance_daily"]
    stale = ads[~((ads.channel_id == "weak_ads") & (pd.to_datetime(ads.date_day) > pd.Timestamp(END - timedelta(5))))]
    with pytest.raises(StaleSpendData, match=r"fct_ad_performance_daily.date_day .* weak_ads last 2026-03-26"):
        AGENT.run({**inputs, "fct_ad_performance_daily": stale}, context())


def test_increase_on_an_underperforming_channel_is_a_recorded_conflict(inputs):
    flags = pd.DataFrame({"channel_id": ["strong_ads", "weak_ads"], "is_underperforming": [True, False]})
    held = AGENT.run({**inputs, "attribution_channel_summary": flags}, context())
    conflict = [d for d in held.decisions if d.kind == "conflict"]
    assert [(d.subject, d.action) for d in conflict] == [("strong_ads", "held_at_current_spend")]
    rec = held.outputs["budget_recommendations"].set_index("channel_id")
    assert rec.loc["strong_ads", "recommended_daily_spend"] <= rec.loc["strong_ads", "current_daily_spend"] + 1e-6
    assert bool(rec.loc["strong_ads", "is_underperforming"])

    anyway = AGENT.run(
        {**inputs, "attribution_channel_summary": flags},
        context(),
        BudgetParameters(on_attribution_conflict="recommend"),
    )
    assert [d.action for d in anyway.decisions if d.kind == "conflict"] == ["recommended_increase_anyway"]
    rec = anyway.outputs["budget_recommendations"].set_index("channel_id")
    assert rec.loc["strong_ads", "change_share"] == pytest.approx(0.2)
