"""The counterfactual model against causal truth at 10x history, both worlds (a file of its own so a second
test worker can take it while the 1x cases run)."""

from __future__ import annotations

import pytest

from bench.attribution_worlds import evaluate
from tests.integration.test_attribution_worlds import WORLDS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("world", WORLDS)
def test_counterfactual_is_within_005_of_the_truth_at_10x(world):
    result = evaluate(world, 10.0, 20, ("counterfactual",))
    assert result["models"]["counterfactual"]["max_abs_share_error"] <= 0.05, result["models"]
