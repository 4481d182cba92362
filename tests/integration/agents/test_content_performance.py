"""Content performance on the demo warehouse (scale 0.5) against the copy effects the simulation used.

The ad-level mart is checked against the raw ad exports read with pandas (independent of the dbt SQL)
and against the campaign-level mart; the agent's effects against truth.json, its features against the
per-ad truth (ads.csv), and its recommendations against each ad's true multipliers.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.content_performance import AGENT
from agents.content_performance.features import FEATURES
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import run_agent
from mops.core.warehouse.adapter import open_warehouse

pytestmark = pytest.mark.slow


def _jsonl(folder: Path) -> pd.DataFrame:
    return pd.concat(
        [pd.read_json(p, lines=True, dtype=False) for p in sorted(folder.glob("*.jsonl"))], ignore_index=True
    )


@pytest.fixture(scope="module")
def content_run(built_warehouse):
    truth = json.loads(built_warehouse.truth_path.read_text())
    start, end = date.fromisoformat(truth["start_date"]), date.fromisoformat(truth["end_date"])
    lookback = next(r.lookback_days for r in AGENT.manifest.reads if r.name == "fct_ad_creative_daily")
    # the whole simulated period: the window plus the read's lookback starts on the first day
    context = RunContext(window_start=start + timedelta(days=lookback), window_end=end)
    with open_warehouse(built_warehouse.settings) as warehouse:
        run = run_agent(warehouse, AGENT, context, AGENT.parameters(confidence_level=0.99))
        effects = warehouse.query("select * from agents.content_feature_effects_v1")
        scores = warehouse.query("select * from agents.ad_creative_scores_v1")
        creative = warehouse.query("select * from marts.fct_ad_creative_daily_v1")
        campaigns = warehouse.query(
            "select * from marts.fct_ad_performance_daily_v1 where platform in ('google_ads', 'meta_ads')"
        )
    ads_truth = pd.read_csv(built_warehouse.truth_path.parent / "ads.csv", dtype={"ad_id": str, "campaign_id": str})
    return run, effects, scores, creative, campaigns, truth, ads_truth


def test_ad_rows_sum_to_the_campaign_mart(content_run):
    _, _, _, creative, campaigns, _, _ = content_run
    keys = ["platform", "campaign_id", "date_day"]
    measures = ["impressions", "clicks", "conversions", "spend_in_reporting_currency"]
    by_ads = creative.groupby(keys)[measures].sum().astype(float)
    by_campaign = campaigns.set_index(keys)[measures].astype(float)
    joined = by_campaign.merge(by_ads, left_index=True, right_index=True, how="outer", suffixes=("", "_ads")).fillna(0)
    for measure in measures:
        assert np.allclose(joined[measure], joined[f"{measure}_ads"], atol=1e-3), measure


def test_the_mart_equals_the_raw_ad_exports(content_run, built_warehouse):
    _, _, _, creative, _, _, _ = content_run
    landing = built_warehouse.landing
    google = _jsonl(landing / "google_ads/ad_group_ad_stats")
    meta = _jsonl(landing / "meta_ads/ad_insights")
    meta_conversions = meta["actions"].map(
        lambda v: (
            sum(float(a["value"]) for a in v if a["action_type"] == "offsite_conversion.fb_pixel_purchase")
            if isinstance(v, list)
            else 0.0
        )
    )
    raw = {
        "google_ads": (
            google["metrics"].str["impressions"].astype(int).sum(),
            google["metrics"].str["clicks"].astype(int).sum(),
            google["metrics"].str["conversions"].astype(float).sum(),
            google["metrics"].str["cost_micros"].astype(int).sum() / 1e6,
        ),
        "meta_ads": (
            meta["impressions"].astype(int).sum(),
            meta["inline_link_clicks"].astype(int).sum(),
            meta_conversions.sum(),
            meta["spend"].astype(float).sum(),
        ),
    }
    mart = creative.groupby("platform")[["impressions", "clicks", "conversions", "spend_in_account_currency"]].sum()
    for platform, expected in raw.items():
        assert mart.loc[platform].astype(float).tolist() == pytest.approx([float(v) for v in expected], rel=1e-9)
    headlines = google["ad_group_ad"].map(
        lambda a: " | ".join(h["text"] for h in a["ad"]["responsive_search_ad"]["headlines"])
    )
    assert set(headlines) == set(creative[creative.platform == "google_ads"].headline)


def test_features_read_from_the_copy_are_the_simulated_ones(content_run):
    run, _, scores, _, _, _, ads_truth = content_run
    assert run.status == "succeeded", run.message
    merged = scores.merge(ads_truth, on=["platform", "ad_id"], suffixes=("", "_true"), validate="one_to_one")
    assert len(merged) == len(ads_truth)
    for feature in FEATURES:
        assert (merged[feature] == merged[f"{feature}_true"]).all(), feature


def test_every_true_effect_is_inside_its_99_percent_interval(content_run):
    _, effects, _, _, _, truth, _ = content_run
    features = truth["copy_effects"]["features"]
    assert len(effects) == 2 * len(FEATURES)
    for row in effects.itertuples():
        true = features[row.feature]["ctr_odds_multiplier" if row.metric == "ctr" else "cvr_multiplier"]
        assert row.effect_low <= true <= row.effect_high, (row.feature, row.metric, true, row.effect)


def test_clear_ctr_effects_are_significant_in_their_direction(content_run):
    _, effects, _, _, _, truth, _ = content_run
    ctr = effects[effects.metric == "ctr"].set_index("feature")
    for feature, spec in truth["copy_effects"]["features"].items():
        if abs(np.log(spec["ctr_odds_multiplier"])) >= np.log(1.07):
            assert ctr.loc[feature, "is_significant"], feature
            assert (ctr.loc[feature, "effect"] > 1) == (spec["ctr_odds_multiplier"] > 1), feature


def test_paused_ads_are_truly_worse_than_scaled_ones(content_run):
    _, _, scores, _, _, _, ads_truth = content_run
    truth = ads_truth.assign(true_index=np.log(ads_truth.ctr_odds_multiplier * ads_truth.cvr_multiplier))
    truth["true_index"] -= truth.groupby("campaign_id").true_index.transform("mean")  # against the campaign
    merged = scores.merge(truth[["platform", "ad_id", "true_index"]], on=["platform", "ad_id"])
    paused = merged[merged.recommendation == "pause"].true_index
    scaled = merged[merged.recommendation == "scale"].true_index
    assert len(paused) and len(scaled)
    assert paused.mean() < 0 < scaled.mean()
    assert np.corrcoef(np.log(merged.predicted_score.clip(lower=1e-9)), merged.true_index)[0, 1] > 0.5


def test_written_outputs_match_their_contracts(content_run):
    _, effects, scores, _, _, _, _ = content_run
    contracts = load_contracts(Path(__file__).resolve().parents[3] / "contracts" / "agents")
    for table, frame in {"content_feature_effects": effects, "ad_creative_scores": scores}.items():
        assert validate_frame(frame, contracts[table].version(1), table) == []
