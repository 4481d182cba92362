"""The attribution agent end to end on tiny frames: contracts, v1 downgrade, summary and flags."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from agents.attribution import AGENT, AttributionParameters, to_v1
from mops.app.catalog import get_agent
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import ATTRIBUTION_MODELS, RunContext
from mops.core.settings import PROJECT_DIR, Settings
from tests.unit.agents.test_attribution_models import paths_frame

CONTRACTS = load_contracts(PROJECT_DIR / "contracts" / "agents")
DAY = date(2026, 6, 10)


def inputs(spend: dict[str, float]) -> dict[str, pd.DataFrame]:
    paths = paths_frame(
        [
            ("google_ads > email", "30 > 0", 100.0),
            ("google_ads", "0", 60.0),
            ("meta_ads > google_ads", "50 > 0", 40.0),
            ("meta_ads", "0", None),
            ("email > meta_ads", "3 > 0", 80.0),
        ]
    )
    performance = pd.DataFrame(
        {"date_day": DAY, "channel_id": list(spend), "spend_in_reporting_currency": list(spend.values())}
    )
    channels = pd.DataFrame(
        {"channel_id": ["google_ads", "meta_ads", "email", "direct"], "is_paid": [True, True, False, False]}
    )
    return {"fct_conversion_paths": paths, "fct_ad_performance_daily": performance, "dim_channels": channels}


def test_agent_is_discovered():
    assert get_agent(Settings(), "attribution") is AGENT


@pytest.mark.parametrize("model", ATTRIBUTION_MODELS)
def test_every_model_writes_valid_outputs(model):
    result = AGENT.run(inputs({"google_ads": 50.0, "meta_ads": 40.0}), RunContext.for_day(DAY, attribution_model=model))
    credit = result.outputs["attribution_credit"]
    summary = result.outputs["attribution_channel_summary"]
    assert validate_frame(credit, CONTRACTS["attribution_credit"].version(2), "attribution_credit") == []
    assert validate_frame(to_v1(credit), CONTRACTS["attribution_credit"].version(1), "attribution_credit") == []
    assert validate_frame(summary, CONTRACTS["attribution_channel_summary"].version(1), "x") == []
    assert sorted(credit["conversion_id"].unique()) == ["T0", "T1", "T2", "T4"]
    assert summary["attributed_conversions"].sum() == pytest.approx(4.0)
    assert summary["attributed_revenue"].sum() == pytest.approx(280.0)


def test_v1_takes_the_largest_credit_and_breaks_ties_alphabetically():
    frame = pd.DataFrame(
        {
            "conversion_id": ["T1", "T1", "T2", "T2"],
            "converted_at": pd.to_datetime(["2026-06-01"] * 4),
            "channel_id": ["meta_ads", "email", "google_ads", "email"],
            "credit": [0.5, 0.5, 0.7, 0.3],
            "conversion_value": [10.0, 10.0, 5.0, 5.0],
            "credited_value": [5.0, 5.0, 3.5, 1.5],
        }
    )
    assert to_v1(frame)[["conversion_id", "channel_id"]].values.tolist() == [["T1", "email"], ["T2", "google_ads"]]


def test_summary_spend_roas_cpa_and_flags_on_the_interval():
    # last touch: google gets T1 (60) and T2 (40); meta gets T4 (80); email gets T0 (100)
    params = AttributionParameters(bootstrap_samples=100, target_roas=1.0, target_cpa={"meta_ads": 10.0})
    context = RunContext.for_day(DAY, attribution_model="last_touch")
    result = AGENT.run(inputs({"google_ads": 1000.0, "meta_ads": 40.0}), context, params)
    summary = result.outputs["attribution_channel_summary"].set_index("channel_id")
    google, meta, email = summary.loc["google_ads"], summary.loc["meta_ads"], summary.loc["email"]
    assert google["attributed_conversions"] == pytest.approx(2.0)
    assert google["spend"] == pytest.approx(1000.0)
    assert google["roas"] == pytest.approx(0.1)
    assert google["cpa"] == pytest.approx(500.0)
    assert google["roas_low"] <= google["roas"] <= google["roas_high"] < 1.0
    assert bool(google["is_underperforming"])
    assert meta["roas"] == pytest.approx(2.0)
    # meta's ROAS is fine, but its CPA interval is above the 10.0 target whatever the draw
    assert meta["cpa_low"] > 10.0 and bool(meta["is_underperforming"])
    assert pd.isna(email["spend"]) and pd.isna(email["roas"]) and not email["is_underperforming"]
    assert summary.loc["direct", "attributed_conversions"] == 0.0
    flagged = {d.subject: d for d in result.decisions}
    assert set(flagged) == {"google_ads", "meta_ads"}
    assert flagged["google_ads"].kind == "flag_underperforming"
    assert flagged["google_ads"].details["metric"] == "roas"
    assert flagged["meta_ads"].details["metric"] == "cpa"
    assert 0.0 < flagged["google_ads"].confidence <= 1.0


def test_bootstrap_is_seeded():
    context = RunContext.for_day(DAY, attribution_model="markov")
    first = AGENT.run(inputs({"google_ads": 50.0}), context).outputs["attribution_channel_summary"]
    second = AGENT.run(inputs({"google_ads": 50.0}), context).outputs["attribution_channel_summary"]
    pd.testing.assert_frame_equal(first, second)


def test_empty_window_gives_empty_valid_outputs():
    result = AGENT.run(inputs({}), RunContext.for_day(date(2025, 1, 1), attribution_model="shapley"))
    credit = result.outputs["attribution_credit"]
    assert credit.empty
    assert validate_frame(credit, CONTRACTS["attribution_credit"].version(2), "attribution_credit") == []
    summary = result.outputs["attribution_channel_summary"]
    assert validate_frame(summary, CONTRACTS["attribution_channel_summary"].version(1), "x") == []
