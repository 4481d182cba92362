"""Attribution on the demo warehouse: shares against the simulation's causal truth, Markov against
the independent ChannelAttribution package, and a real run through the runtime."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from agents.attribution import AGENT, AttributionParameters, markov
from agents.attribution.journeys import build_journeys
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import read_inputs, run_agent
from mops.core.settings import PROJECT_DIR
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import DEMO_END_DATE

# Largest |share - true share| over channels, measured: on this fixture (scale 0.5) Markov 0.110
# (google_ads under-credited: removal effects reward presence on converting paths, not causal
# strength) and Shapley 0.080 (direct: its own sessions cause ~10% of purchases, but direct is passive
# on mixed paths); on the 1x demo 0.078 / 0.066, on 10x 0.082 / 0.057. Counterfactual 0.040 here (google_ads
# under-credited; direct +0.027). It was 0.058 when earlier touches counted by number: this fixture has 13
# sessions per user (the bench's worlds 8), and a hazard linear in repeated earlier touches fits it worse:
# counted by presence the likelihood is higher (-7678 against -7749, the same parameters) and direct's
# over-credit halves (DECISIONS: counterfactual specifications). Bounds leave ~20% room.
TRUTH_TOLERANCE = {"markov": 0.13, "shapley": 0.10, "counterfactual": 0.05}
CHANNELATTRIBUTION_TOLERANCE = 0.01
AGENT_CONTRACTS = PROJECT_DIR / "contracts" / "agents"


@pytest.fixture(scope="module")
def demo(built_warehouse):
    end = date.fromisoformat(DEMO_END_DATE)
    context = RunContext(window_start=end - timedelta(days=179), window_end=end, attribution_model="markov")
    with open_warehouse(built_warehouse.settings, read_only=True) as warehouse:
        inputs = read_inputs(warehouse, AGENT, context)
    truth = json.loads(built_warehouse.truth_path.read_text())["channels"]
    shares = pd.Series({c: v.get("true_conversion_share", 0.0) for c, v in truth.items()}, name="truth")
    return inputs, context, shares


@pytest.mark.parametrize("model", ["markov", "shapley", "counterfactual"])
def test_shares_are_near_the_causal_truth(demo, model):
    inputs, context, truth = demo
    result = AGENT.run(inputs, context.model_copy(update={"attribution_model": model}))
    contracts = load_contracts(AGENT_CONTRACTS)
    credit = result.outputs["attribution_credit"]
    summary = result.outputs["attribution_channel_summary"].set_index("channel_id")
    assert validate_frame(credit, contracts["attribution_credit"].version(2), "attribution_credit") == []
    v1 = AGENT.downgrades[("attribution_credit", 1)](credit)
    assert validate_frame(v1, contracts["attribution_credit"].version(1), "attribution_credit") == []
    assert validate_frame(summary.reset_index(), contracts["attribution_channel_summary"].version(1), "s") == []
    error = (summary["conversion_share"] - truth.reindex(summary.index).fillna(0.0)).abs()
    assert error.max() < TRUTH_TOLERANCE[model], error.sort_values().to_dict()
    assert summary["conversion_share"].idxmax() == truth.idxmax()  # the biggest channel is found
    low, high = summary["attributed_conversions_low"], summary["attributed_conversions_high"]
    assert (
        (low <= summary["attributed_conversions"] + 1e-9) & (summary["attributed_conversions"] <= high + 1e-9)
    ).all()


def _channelattribution():
    if importlib.util.find_spec("ChannelAttribution") is None:
        pytest.skip("channelattribution is not installed (dev extra)")
    if importlib.util.find_spec("matplotlib") is None:
        # ChannelAttribution imports pyplot at load time for a plot we never draw
        pyplot = types.ModuleType("matplotlib.pyplot")
        sys.modules.setdefault("matplotlib", types.ModuleType("matplotlib")).pyplot = pyplot
        sys.modules.setdefault("matplotlib.pyplot", pyplot)
    from ChannelAttribution import markov_model

    return markov_model


def test_markov_agrees_with_channelattribution(demo):
    markov_model = _channelattribution()
    inputs, context, _ = demo
    params = AttributionParameters()
    journeys = build_journeys(
        inputs["fct_conversion_paths"],
        context.window_start,
        context.window_end,
        params.lookback_days,
        params.passive_channels,
    ).journeys
    keys = journeys.groupby(["path", "is_converted"]).size().rename("n").reset_index()
    design = markov.transition_design(keys["path"].tolist(), keys["is_converted"].tolist(), order=1)
    ours = (
        markov.channel_shares(markov.removal_effects(design, keys["n"].to_numpy()))
        * keys.loc[keys["is_converted"], "n"].sum()
    )

    per_path = keys.pivot_table(index="path", columns="is_converted", values="n", fill_value=0)
    data = pd.DataFrame(
        {
            "path": per_path.index.str.replace(" > ", ">", regex=False),
            "conversions": per_path.get(True, 0).to_numpy(),
            "nulls": per_path.get(False, 0).to_numpy(),
        }
    )
    # one fold of 10M simulated paths: simulation error of the smallest channel ~0.3%
    theirs = markov_model(
        data,
        "path",
        "conversions",
        var_null="nulls",
        order=1,
        nsim_start=10_000_000,
        nfold=1,
        seed=7,
        verbose=False,
        flg_pro=False,
    )
    theirs = theirs.set_index("channel_name")["total_conversions"]
    relative = (ours.reindex(theirs.index) / theirs - 1.0).abs()
    assert relative.max() < CHANNELATTRIBUTION_TOLERANCE, relative.sort_values().to_dict()
    assert set(ours.index) == set(theirs.index)
    assert np.isclose(ours.sum(), theirs.sum())


def test_runtime_writes_credit_summary_and_the_v1_shadow(built_warehouse, demo):
    _, context, _ = demo
    with open_warehouse(built_warehouse.settings) as warehouse:
        run = run_agent(warehouse, AGENT, context.model_copy(update={"attribution_model": "position_based"}))
        assert run.status == "succeeded", run.message
        assert run.rows_written["agents.attribution_channel_summary_v1"] > 0
        v1 = warehouse.query(
            "select count(*) as n, count(distinct conversion_id) as c from agents.attribution_credit_v1"
        )
    assert int(v1["n"].iloc[0]) == int(v1["c"].iloc[0]) > 0
