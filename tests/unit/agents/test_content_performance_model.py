"""The copy model and the ad scores on tiny hand-computed frames and on synthetic data with known effects."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.content_performance import AGENT
from agents.content_performance.features import FEATURES
from agents.content_performance.model import fit_metric
from agents.content_performance.notes import NO_PROVIDER
from agents.content_performance.scores import score_ads, suggested_changes
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.settings import PROJECT_DIR

CONTRACTS = load_contracts(PROJECT_DIR / "contracts" / "agents")


def ads_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for feature in FEATURES:
        if feature not in frame:
            frame[feature] = False
    return frame


def test_two_ads_give_the_textbook_odds_ratio_and_woolf_interval():
    ads = ads_frame(
        [
            {"campaign_key": "c", "has_number": True, "clicks": 30, "impressions": 1000},
            {"campaign_key": "c", "has_number": False, "clicks": 20, "impressions": 1000},
        ]
    )
    fitted = fit_metric(ads, "ctr", "clicks", "impressions", 0.95, "quasi_binomial")
    row = fitted.effects.set_index("feature").loc["has_number"]
    odds_ratio = (30 / 970) / (20 / 980)
    woolf_se = math.sqrt(1 / 30 + 1 / 970 + 1 / 20 + 1 / 980)
    assert list(fitted.effects.feature) == ["has_number"]  # features without variation are not estimable
    assert row.effect == pytest.approx(odds_ratio, rel=1e-6)
    assert row.std_error == pytest.approx(woolf_se, rel=1e-4)
    assert row.effect_low == pytest.approx(odds_ratio * math.exp(-1.959964 * woolf_se), rel=1e-4)
    assert row.effect_high == pytest.approx(odds_ratio * math.exp(1.959964 * woolf_se), rel=1e-4)
    assert fitted.predicted.tolist() == pytest.approx([0.03, 0.02], rel=1e-6)  # saturated: fits the data


def test_campaign_fixed_effects_compare_ads_within_their_campaign():
    # the feature doubles click odds in both campaigns, but most feature ads sit in the low-CTR campaign:
    # pooled, the feature would look harmful; within campaigns it is exactly 2
    rows = [{"campaign_key": "high", "has_number": False, "clicks": 100, "impressions": 1000}] * 3
    rows += [{"campaign_key": "high", "has_number": True, "clicks": 200, "impressions": 1100}]
    rows += [{"campaign_key": "low", "has_number": True, "clicks": 20, "impressions": 1010}] * 3
    rows += [{"campaign_key": "low", "has_number": False, "clicks": 10, "impressions": 1000}]
    ads = ads_frame(rows)
    pooled = (ads[ads.has_number].clicks.sum() / ads[ads.has_number].impressions.sum()) / (
        ads[~ads.has_number].clicks.sum() / ads[~ads.has_number].impressions.sum()
    )
    assert pooled < 1
    effect = fit_metric(ads, "ctr", "clicks", "impressions", 0.95, "quasi_binomial").effects.effect.item()
    assert effect == pytest.approx(2.0, rel=1e-6)


def synthetic_ads(seed: int, effects: dict[str, float], campaigns: int = 20, ads_per_campaign: int = 10):
    rng = np.random.default_rng(seed)
    n = campaigns * ads_per_campaign
    frame = pd.DataFrame({f: rng.random(n) < 0.5 for f in FEATURES})
    frame["campaign_key"] = np.repeat([f"c{i}" for i in range(campaigns)], ads_per_campaign)
    base = np.repeat(rng.uniform(-4.0, -2.5, campaigns), ads_per_campaign)
    logit = base + sum(np.log(m) * frame[f] for f, m in effects.items()) + rng.normal(0, 0.05, n)
    frame["impressions"] = rng.integers(20_000, 60_000, n)
    frame["clicks"] = rng.binomial(frame.impressions, 1 / (1 + np.exp(-logit)))
    return frame


def test_the_model_recovers_known_effects_on_synthetic_data():
    truth = {"has_number": 1.25, "has_question": 0.85, "has_call_to_action": 1.0, "has_urgency": 1.1}
    ads = synthetic_ads(7, truth)
    effects = fit_metric(ads, "ctr", "clicks", "impressions", 0.99, "quasi_binomial").effects.set_index("feature")
    for feature, multiplier in truth.items():
        row = effects.loc[feature]
        assert row.effect_low <= multiplier <= row.effect_high, (feature, row.to_dict())
    assert effects.loc["has_number", "is_significant"] and effects.loc["has_question", "is_significant"]
    assert not effects.loc["has_call_to_action", "is_significant"]
    assert not effects.loc["is_long_copy", "is_significant"]  # no effect at all in the data


def test_scores_use_the_exact_poisson_interval_against_the_campaigns_other_ads():
    ads = pd.DataFrame(
        {
            "campaign_key": ["c"] * 5,
            "impressions": [10_000, 10_000, 10_000, 10_000, 500],
            "conversions": [5.0, 30.0, 30.0, 30.0, 1.0],
        }
    )
    scored = score_ads(ads, 0.95, min_impressions=1000, min_expected=5)
    # ad 0: the others convert 91 / 30,500 impressions; Garwood 95% bounds of 5 conversions: 1.6235, 11.6683
    expected = 10_000 * 91 / 30_500
    assert scored.score[0] == pytest.approx(5 / expected)
    assert scored.score_low[0] == pytest.approx(1.6235 / expected, rel=1e-4)
    assert scored.score_high[0] == pytest.approx(11.6683 / expected, rel=1e-4)
    # ads 1-3: 30 against 21.6 expected (95% bounds of 30: 20.24, 42.83): not distinguishable; ad 4: 500 impressions
    assert scored.recommendation.tolist() == ["pause", "keep", "keep", "keep", "test"]
    assert scored.recommendation_confidence[0] > 0.99


def test_suggested_changes_add_helpful_features_and_drop_harmful_ones():
    ads = ads_frame([{"has_number": False, "has_question": True}, {"has_number": True, "has_question": False}])
    effects = pd.DataFrame(
        {
            "feature": ["has_number", "has_number", "has_question", "has_urgency"],
            "metric": ["ctr", "cvr", "ctr", "ctr"],
            "log_effect": [math.log(1.2), math.log(1.1), math.log(0.8), math.log(3.0)],
            "is_significant": [True, True, True, False],
        }
    )
    changes = suggested_changes(ads, effects)
    assert changes[0] == (
        "add a number (price, percentage, count) (about +32% conversions per impression); "
        "drop a question (about -20% conversions per impression)"
    )
    assert changes[1] is None  # has the number, no question; urgency's effect is not significant


def daily_frame(seed: int = 3, days: int = 30) -> pd.DataFrame:
    """A small fct_ad_creative_daily: 4 campaigns x 6 ads, numbers in headlines double click odds."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(4):
        for a in range(6):
            has_number = a % 2 == 0
            headline = f"Save {10 + a}% Now" if has_number else "Acme Shoes"
            for d in range(days):
                impressions = int(rng.integers(800, 1200))
                odds = 0.03 * (2.0 if has_number else 1.0)
                clicks = int(rng.binomial(impressions, odds / (1 + odds)))
                rows.append(
                    {
                        "date_day": date(2026, 6, 1) + timedelta(days=d),
                        "platform": "meta_ads",
                        "account_id": "1",
                        "campaign_key": f"meta_ads:{c}",
                        "ad_group_id": f"g{c}",
                        "ad_id": f"{c}{a}",
                        "ad_key": f"meta_ads:{c}{a}",
                        "ad_name": f"Ad {a}",
                        "headline": headline,
                        "body": "Comfort for every run.",
                        "spend_in_reporting_currency": 10.0,
                        "impressions": impressions,
                        "clicks": clicks,
                        "conversions": float(rng.binomial(clicks, 0.1)),
                    }
                )
    return pd.DataFrame(rows)


class FailingProvider:
    def notes(self, prompt: str) -> str:
        raise ConnectionError("endpoint down")


def test_the_agent_output_validates_and_says_when_no_llm_is_configured():
    context = RunContext(window_start=date(2026, 6, 1), window_end=date(2026, 6, 30))
    result = AGENT.run({"fct_ad_creative_daily": daily_frame()}, context)
    for table, frame in result.outputs.items():
        assert validate_frame(frame, CONTRACTS[table].version(1), table) == []
    scores = result.outputs["ad_creative_scores"]
    assert len(scores) == 24 and scores.has_number.sum() == 12
    effect = result.outputs["content_feature_effects"].set_index(["feature", "metric"]).loc[("has_number", "ctr")]
    assert effect.effect_low <= 2.0 <= effect.effect_high and effect.is_significant
    assert NO_PROVIDER in result.artifacts["content_performance_notes.md"]
    assert result.metrics["llm_notes"] == 0.0
    assert {d.action for d in result.decisions} >= {"favour_copy_feature"}

    failing = AGENT.run(
        {"fct_ad_creative_daily": daily_frame()}, context, AGENT.parameters(notes_provider=FailingProvider())
    )
    assert "LLM notes unavailable: ConnectionError: endpoint down" in failing.artifacts["content_performance_notes.md"]


def test_a_notes_provider_must_have_a_notes_method():
    with pytest.raises(ValueError):
        AGENT.parameters(notes_provider=object())


def test_contracts_exist_for_every_write():
    for write in AGENT.manifest.writes:
        assert CONTRACTS[write.table].version(write.version)
    assert Path(PROJECT_DIR / "contracts" / "agents" / "ad_creative_scores.yml").exists()
