"""Ad-level creatives: they split campaign-days exactly, respect the platforms' copy limits, carry their truth."""

import json

import pandas as pd
import pytest

from demo import generate
from demo.simulate import FxTable, simulate
from demo.world import COPY_FEATURES, LONG_COPY_MIN_CHARS, DemoConfig
from tests.conftest import FX_SEED
from tests.unit.test_demo import SMALL


@pytest.fixture(scope="module")
def small_world():
    return simulate(SMALL, FxTable(FX_SEED))


def test_ad_rows_sum_exactly_to_their_campaign_days(small_world):
    days = small_world.campaign_days[small_world.campaign_days.platform.isin(["google_ads", "meta_ads"])]
    keys = ["campaign_id", "date_day"]
    campaign = days.set_index(keys)[["impressions", "clicks", "claimed_conversions", "spend_account"]]
    ads = small_world.ad_days.groupby(keys)[["impressions", "clicks", "conversions", "spend_account"]].sum()
    ads = ads.reindex(campaign.index).fillna(0)
    assert (ads.impressions == campaign.impressions).all()
    assert (ads.clicks == campaign.clicks).all()
    assert (ads.conversions == campaign.claimed_conversions).all()
    assert (ads.spend_account - campaign.spend_account).abs().max() < 1e-9
    assert (small_world.ad_days.clicks <= small_world.ad_days.impressions).all()


def test_copy_respects_platform_limits_and_the_long_copy_threshold(small_world):
    ads = small_world.ads
    google = ads[ads.platform == "google_ads"]
    assert google.headlines.map(len).between(3, 15).all() and google.descriptions.map(len).eq(2).all()
    assert google.headlines.map(lambda h: max(map(len, h))).max() <= 30
    assert google.descriptions.map(lambda d: max(map(len, d))).max() <= 90
    assert ((ads.body.str.len() > LONG_COPY_MIN_CHARS) == ads.is_long_copy).all()
    assert ads.ad_id.is_unique
    assert set(ads.platform) == {"google_ads", "meta_ads"}


def test_the_truth_lists_every_feature_effect_and_every_ad(tmp_path):
    truth_path = generate(SMALL, tmp_path / "l", FX_SEED)
    truth = json.loads(truth_path.read_text())["copy_effects"]
    assert set(truth["features"]) == {f.name for f in COPY_FEATURES}
    ads = pd.read_csv(truth_path.parent / "ads.csv")
    assert len(ads) == truth["ads"]
    assert {"ctr_odds_multiplier", "cvr_multiplier", *truth["features"]} <= set(ads.columns)


def test_another_seed_gives_other_copy():
    other = simulate(DemoConfig(**{**SMALL.as_dict(), "seed": 7}), FxTable(FX_SEED))
    first = simulate(SMALL, FxTable(FX_SEED))
    assert not first.ads.body.equals(other.ads.body)
