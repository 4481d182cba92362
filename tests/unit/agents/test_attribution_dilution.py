"""The counterfactual model's saturating carries: `Design.diluted` and the dilution learned by profile likelihood.

Journeys are simulated from the model itself (untimed, earlier channels counted by presence), with additive
carries (dilution 0) or carries that average over the earlier channels (dilution 1), so the profile has a right
answer."""

from __future__ import annotations

import numpy as np
import pytest

from agents.attribution.counterfactual import fit_hazards, profile_dilution, session_design

CHANNELS = ["a", "b", "c", "d"]
OWN = np.array([0.02, 0.01, 0.03, 0.015])
CARRY = 0.08  # every earlier channel's pull on any later session


def _journeys(dilution: float, users: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    paths, converted = [], []
    for _ in range(users):
        seen: set[int] = set()
        path: list[str] = []
        for channel in rng.integers(0, len(CHANNELS), size=12):
            earlier = len(seen - {channel}) + (channel in seen)  # presence: each earlier channel once
            eta = OWN[channel] + (CARRY * earlier * max(earlier, 1) ** -dilution if earlier else 0.0)
            path.append(CHANNELS[channel])
            seen.add(int(channel))
            if rng.random() < -np.expm1(-eta):
                paths.append(" > ".join(path))
                converted.append(True)
                path, seen = [], set()
        if path:
            paths.append(" > ".join(path))
            converted.append(False)
    return paths, np.array(converted)


def test_diluted_scales_each_carry_by_the_number_present_and_leaves_the_own_effect():
    design = session_design(["a > b > c"], np.array([True]), CHANNELS[:3], presence=True)
    diluted = design.diluted(1.0)
    last = diluted.features[2].toarray().ravel()
    assert last[2] == 1.0  # own effect of c
    assert sorted(last[3:][last[3:] > 0]) == [0.5, 0.5]  # a -> c and b -> c, each 2^-1
    assert design.diluted(0.0) is design
    assert diluted.features[1].toarray().ravel()[3:].max() == 1.0  # one earlier channel: 1^-1


@pytest.mark.parametrize(("truth", "lowest", "highest"), [(0.0, 0.0, 0.25), (1.0, 0.75, 1.0)])
def test_the_profile_likelihood_finds_how_the_carries_saturate(truth, lowest, highest):
    paths, converted = _journeys(truth, users=6000, seed=3)
    design = session_design(paths, converted, CHANNELS, presence=True)
    counts = np.ones(len(paths))
    dilution, diluted, hazards, profile = profile_dilution(design, counts)
    assert lowest <= dilution <= highest, profile
    assert max(profile, key=profile.get) == dilution
    np.testing.assert_allclose(hazards, fit_hazards(diluted, counts), rtol=1e-3, atol=1e-6)  # warm against cold start
