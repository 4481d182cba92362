"""Attribution models on tiny hand-made journeys, against hand-computed credit."""

from __future__ import annotations

from datetime import date
from itertools import permutations
from math import factorial

import numpy as np
import pandas as pd
import pytest

from agents.attribution import markov, shapley
from agents.attribution.allocation import rake
from agents.attribution.journeys import build_journeys
from agents.attribution.models import fit
from agents.attribution.parameters import AttributionParameters

DAY = date(2026, 6, 10)


def paths_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (channel_path, hours_before_end, conversion value or None for non-converting)."""
    records = []
    for i, (path, hours, value) in enumerate(rows):
        converted = value is not None
        records.append(
            {
                "journey_id": f"j{i}",
                "conversion_id": f"T{i}" if converted else None,
                "is_converted": converted,
                "converted_at": pd.Timestamp("2026-06-10 12:00") if converted else pd.NaT,
                "conversion_value_in_reporting_currency": value or 0.0,
                "last_touched_at": pd.Timestamp("2026-06-10 11:00"),
                "channel_path": path,
                "touch_hours_before_end": hours,
            }
        )
    return pd.DataFrame(records)


def credit_of(rows, model: str, **params) -> dict[tuple[str, str], float]:
    data = build_journeys(paths_frame(rows), DAY, DAY, 30, ())
    fitted = fit(data, model, AttributionParameters(**params))
    frame = fitted.credit.join(data.journeys["journey_id"], on="journey")
    return {(r.journey_id, r.channel_id): pytest.approx(r.credit) for r in frame.itertuples()}


THREE = [("a > b > c", "48 > 24 > 0", 100.0)]
FOUR = [("a > b > a > c", "72 > 48 > 24 > 0", 100.0)]


def test_first_and_last_touch():
    assert credit_of(THREE, "first_touch") == {("j0", "a"): 1.0, ("j0", "b"): 0.0, ("j0", "c"): 0.0}
    assert credit_of(THREE, "last_touch") == {("j0", "a"): 0.0, ("j0", "b"): 0.0, ("j0", "c"): 1.0}


def test_linear_counts_repeated_channels():
    assert credit_of(FOUR, "linear") == {("j0", "a"): 0.5, ("j0", "b"): 0.25, ("j0", "c"): 0.25}


def test_time_decay_halves_weight_per_half_life():
    # half-life 1 day: weights 1/4, 1/2, 1 -> normalised by 7/4
    got = credit_of(THREE, "time_decay", time_decay_half_life_days=1.0)
    assert got == {("j0", "a"): 1 / 7, ("j0", "b"): 2 / 7, ("j0", "c"): 4 / 7}


def test_position_based_40_20_40_and_configurable():
    assert credit_of(FOUR, "position_based") == {("j0", "a"): 0.5, ("j0", "b"): 0.1, ("j0", "c"): 0.4}
    got = credit_of(THREE, "position_based", position_first_weight=0.3, position_last_weight=0.6)
    assert got == {("j0", "a"): 0.3, ("j0", "b"): 0.1, ("j0", "c"): 0.6}
    two = [("a > b", "5 > 0", 10.0), ("c", "0", 10.0)]
    assert credit_of(two, "position_based") == {("j0", "a"): 0.5, ("j0", "b"): 0.5, ("j1", "c"): 1.0}


# Markov, by hand: journeys a>b converts, a does not, b converts.
# start->a 2/3, start->b 1/3, a->b 1/2, a->null 1/2, b->conv 1. P(conv) = 2/3*1/2 + 1/3 = 2/3.
# Without a: 1/3 -> removal effect 1/2. Without b: 0 -> removal effect 1. Shares 1/3, 2/3 of 2 conversions.
MARKOV = [("a > b", "2 > 0", 10.0), ("a", "0", None), ("b", "0", 20.0)]


def test_markov_removal_effects_by_hand():
    design = markov.transition_design(["a > b", "a", "b"], [True, False, True], order=1)
    effects = markov.removal_effects(design, np.array([1.0, 1.0, 1.0]))
    assert effects.to_dict() == {"a": pytest.approx(0.5), "b": pytest.approx(1.0)}
    assert markov.channel_shares(effects).to_dict() == {"a": pytest.approx(1 / 3), "b": pytest.approx(2 / 3)}


def test_markov_collapses_repeats_like_channelattribution():
    assert markov.state_path("a > a > b > b > a", 1) == [("a",), ("b",), ("a",)]
    assert markov.state_path("a > b > c", 2) == [("a", "b"), ("b", "c")]
    assert markov.state_path("a", 2) == [("a",)]


def test_markov_credit_per_conversion_meets_channel_totals():
    # b's own conversion is all b, so a's 2/3 must come from the a>b conversion: a 2/3, b 1/3
    assert credit_of(MARKOV, "markov") == {("j0", "a"): 2 / 3, ("j0", "b"): 1 / 3, ("j2", "b"): 1.0}


def test_markov_second_order_by_hand():
    # order 2: a>b>c converts, a>b does not. States (a,b) and (b,c); removing c kills every conversion,
    # removing a or b too (all states contain them) -> equal removal effects, equal shares.
    design = markov.transition_design(["a > b > c", "a > b"], [True, False], order=2)
    effects = markov.removal_effects(design, np.array([1.0, 1.0]))
    assert effects.to_dict() == {"a": pytest.approx(1.0), "b": pytest.approx(1.0), "c": pytest.approx(1.0)}


def brute_force_shapley(worth: dict[frozenset, float], players: list[str]) -> dict[str, float]:
    values = dict.fromkeys(players, 0.0)
    for order in permutations(players):
        coalition: frozenset = frozenset()
        for player in order:
            values[player] += worth[coalition | {player}] - worth[coalition]
            coalition = coalition | {player}
    return {p: v / factorial(len(players)) for p, v in values.items()}


def test_shapley_matches_brute_force_on_a_tiny_example():
    channels = ["a", "b", "c"]
    journeys = [({"a", "b"}, True, 3), ({"b"}, True, 2), ({"c"}, False, 4), ({"a", "c"}, True, 1), ({"a"}, False, 2)]
    masks = shapley.channel_masks([frozenset(s) for s, _, _ in journeys], channels)
    conversions = np.array([n if converted else 0 for _, converted, n in journeys], dtype=float)
    counts = np.array([n for _, _, n in journeys], dtype=float)
    subsets = [frozenset(c for i, c in enumerate(channels) if m >> i & 1) for m in range(8)]
    for worth_name in ("conversions", "conversion_rate"):
        worth = {}
        for coalition in subsets:
            inside = [(converted, n) for s, converted, n in journeys if s <= coalition]
            conv = sum(n for converted, n in inside if converted)
            seen = sum(n for _, n in inside)
            worth[coalition] = conv if worth_name == "conversions" else (conv / seen if seen else 0.0)
        expected = brute_force_shapley(worth, channels)
        got = shapley.shapley_values(masks, conversions, counts, 3, worth_name)
        assert got == pytest.approx([expected[c] for c in channels])
    # conversions worth by hand: {a,b} x3 splits 1.5/1.5, {b} x2 to b, {a,c} x1 splits 0.5/0.5
    assert shapley.shapley_values(masks, conversions, counts, 3) == pytest.approx([2.0, 3.5, 0.5])


def test_shapley_credit_per_conversion():
    rows = [("a > b", "1 > 0", 10.0), ("b", "0", 10.0)]
    # phi_a = 1/2, phi_b = 3/2: the b-only conversion is all b, so a>b splits 1/2 : 1/2
    assert credit_of(rows, "shapley") == {("j0", "a"): 0.5, ("j0", "b"): 0.5, ("j1", "b"): 1.0}


def test_rake_meets_reachable_targets_and_reports_unreachable_ones():
    incidence = np.array([[1.0, 1.0], [0.0, 1.0]])
    credit, gap = rake(incidence, np.array([1.0, 1.0]), np.array([0.5, 1.5]))
    assert credit == pytest.approx(np.array([[0.5, 0.5], [0.0, 1.0]]))
    assert gap < 1e-9
    credit, gap = rake(incidence, np.array([1.0, 1.0]), np.array([1.5, 0.5]))  # b-only path forces b >= 1
    assert credit.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert gap == pytest.approx(0.25)


def test_journeys_apply_window_lookback_and_passive_channels():
    frame = paths_frame(
        [
            ("email > direct > google_ads > direct", f"{40 * 24} > 100 > 10 > 0", 50.0),
            ("direct > direct", "5 > 0", 20.0),
        ]
    )
    outside = paths_frame([("meta_ads", "0", 10.0)]).assign(converted_at=pd.Timestamp("2026-05-01"))
    data = build_journeys(pd.concat([frame, outside], ignore_index=True), DAY, DAY, 30, ("direct",))
    assert data.journeys["path"].tolist() == ["google_ads", "direct > direct"]
    kept = build_journeys(frame, DAY, DAY, 60, ())
    assert kept.journeys["path"].tolist()[0] == "email > direct > google_ads > direct"


def test_journeys_keep_the_last_touch_beyond_the_lookback():
    data = build_journeys(paths_frame([("email", "900", 5.0)]), DAY, DAY, 30, ())
    assert data.journeys["path"].tolist() == ["email"]
