"""Path keys: the counting implementation agrees with pandas' two-column groupby (the plain definition)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.attribution.models import _keys


def _groupby_keys(journeys: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    grouped = journeys.groupby(["path", "is_converted"], sort=True)
    keys = grouped.agg(n=("journey_id", "size"), value=("conversion_value", "mean")).reset_index()
    return keys, grouped.ngroup().to_numpy()


def test_keys_equal_the_groupby_definition():
    rng = np.random.default_rng(3)
    paths = np.array(["email", "paid_search > email", "email > paid_search", "display", "display > display"])
    n = 5_000
    converted = rng.random(n) < 0.3
    journeys = pd.DataFrame(
        {
            "journey_id": [f"j{i}" for i in range(n)],
            "path": paths[rng.integers(0, len(paths), size=n)],
            "is_converted": converted,
            "conversion_value": np.where(converted, rng.gamma(2.0, 30.0, size=n), 0.0),
        }
    )
    keys, key_of_journey = _keys(journeys)
    expected, expected_of_journey = _groupby_keys(journeys)
    pd.testing.assert_frame_equal(keys, expected, check_dtype=False)
    np.testing.assert_array_equal(key_of_journey, expected_of_journey)
    assert len(keys) == 2 * len(paths)  # every path both converted and not: the test covers both halves


def test_a_path_seen_only_converted_has_one_key():
    journeys = pd.DataFrame(
        {
            "journey_id": ["a", "b", "c"],
            "path": ["x > y", "x > y", "y"],
            "is_converted": [True, True, False],
            "conversion_value": [10.0, 30.0, 0.0],
        }
    )
    keys, key_of_journey = _keys(journeys)
    assert keys.to_dict("list") == {
        "path": ["x > y", "y"],
        "is_converted": [True, False],
        "n": [2, 1],
        "value": [20.0, 0.0],
    }
    assert key_of_journey.tolist() == [0, 0, 1]
