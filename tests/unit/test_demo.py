"""The demo generator is deterministic, writes the truth, and injects the platforms' real drift."""

import hashlib
import json

import pandas as pd

from demo import generate
from demo.world import DemoConfig
from tests.conftest import FX_SEED

SMALL = DemoConfig(end_date="2026-06-30", scale=0.1, users=800, campaigns_per_account=2)


def digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_data_and_another_seed_differs(tmp_path):
    generate(SMALL, tmp_path / "a", FX_SEED)
    generate(SMALL, tmp_path / "b", FX_SEED)
    generate(DemoConfig(**{**SMALL.as_dict(), "seed": 7}), tmp_path / "c", FX_SEED)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_truth_is_written_beside_the_data(tmp_path):
    truth_path = generate(SMALL, tmp_path / "l", FX_SEED)
    truth = json.loads(truth_path.read_text())
    assert truth["start_date"] == "2026-01-02" and truth["end_date"] == "2026-06-30"
    channels = truth["channels"]
    assert {"google_ads", "meta_ads", "linkedin_ads", "tiktok_ads", "microsoft_ads", "direct"} <= set(channels)
    assert abs(sum(c.get("true_conversion_share", 0) for c in channels.values()) - 1) < 1e-4
    conversions = pd.read_csv(truth_path.parent / "conversions.csv")
    assert len(conversions) == truth["total_conversions"]
    curve = channels["google_ads"]["response_curve"]
    assert curve["half_saturation_usd"] > 0 and curve["max_revenue_usd"] > 0


def test_each_platform_drifts_mid_period(tmp_path):
    landing = tmp_path / "l"
    truth = json.loads(generate(SMALL, landing, FX_SEED).read_text())
    google = sorted((landing / "google_ads/campaign_stats").glob("*.csv"))
    headers = {p.name: p.read_text().splitlines()[0] for p in google}
    switch = truth["format_switches"]["google_ads"]["date"][:7]
    assert all(("metrics.all_conversions" in h) == (name.split("_")[1][:7] >= switch) for name, h in headers.items())
    assert any("metrics.conversions," in h for h in headers.values())
    meta = [json.loads(p.read_text().splitlines()[0]) for p in (landing / "meta_ads/insights").glob("*.jsonl")]
    assert {"inline_link_clicks" in r for r in meta} == {True, False}
    linkedin = [json.loads(p.read_text().splitlines()[0]) for p in (landing / "linkedin_ads/ad_analytics").glob("*")]
    assert {"costInUsd" in r for r in linkedin} == {True, False}
