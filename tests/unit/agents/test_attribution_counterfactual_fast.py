"""The counterfactual model's fast path (vectorised design, distinct rows, one BLAS thread) against the previous
implementation: the session loop that built the design, the likelihood over every session row, the per-term
channel hazards. Journeys are random, with random touch times, so recency bins and the lookback both matter."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import minimize

from agents.attribution.counterfactual import (
    MIN_HAZARD,
    RIDGE,
    channel_hazards,
    distinct_rows,
    fit_hazards,
    key_credit,
    session_design,
)

CHANNELS = ["a", "b", "c", "d"]


def reference_session_design(
    paths, converted, channels, hours=None, recent_hours=96.0, lookback_hours=None, presence=False
):
    """The loop the design was built with before (features, outcome, key of each row, last row of each key)."""
    n = len(channels)
    bins = 1 if hours is None else 2
    index = {c: i for i, c in enumerate(channels)}
    rows, cols, values, outcome, key_of_row, last_row = [], [], [], [], [], []
    row = 0
    for key, path in enumerate(paths):
        seq = [index[c] for c in path.split(" > ")]
        at = [float(h) for h in hours[key].split(" > ")] if hours is not None else [0.0] * len(seq)
        if lookback_hours is not None and hours is not None:
            kept = [i for i, h in enumerate(at) if h <= lookback_hours or i == len(at) - 1]
            seq, at = [seq[i] for i in kept], [at[i] for i in kept]
        recent, older = np.zeros(n), np.zeros(n)
        oldest_recent = 0
        for position, own in enumerate(seq):
            if position:
                recent[seq[position - 1]] += 1
            while hours is not None and oldest_recent < position and at[oldest_recent] - at[position] >= recent_hours:
                recent[seq[oldest_recent]] -= 1
                older[seq[oldest_recent]] += 1
                oldest_recent += 1
            rows.append(row)
            cols.append(own)
            values.append(1.0)
            for offset, counts in ((0, recent), (n * n, older)):
                for earlier in np.flatnonzero(counts):
                    rows.append(row)
                    cols.append(n + offset + earlier * n + own)
                    values.append(min(counts[earlier], 1.0) if presence else counts[earlier])
            outcome.append(bool(converted[key]) and position == len(seq) - 1)
            key_of_row.append(key)
            row += 1
        last_row.append(row - 1)
    features = sparse.csr_matrix((values, (rows, cols)), shape=(row, n + bins * n * n))
    return features, np.array(outcome), np.array(key_of_row), np.array(last_row)


def random_keys(n_keys: int, seed: int):
    """Path keys with touch times (hours before the end, non-increasing), outcomes and journey counts."""
    rng = np.random.default_rng(seed)
    paths, hours = [], []
    for _ in range(n_keys):
        length = int(rng.integers(1, 9))
        paths.append(" > ".join(rng.choice(CHANNELS, size=length)))
        at = np.sort(rng.choice(np.arange(0, 720, 24), size=length))[::-1]
        at[-1] = 0
        hours.append(" > ".join(str(int(h)) for h in at))
    converted = rng.random(n_keys) < 0.3
    counts = rng.integers(1, 20, size=n_keys).astype(float)
    return paths, converted, hours, counts


VARIANTS = [  # (with hours, recent hours, lookback hours, presence)
    (False, 96.0, None, False),
    (True, 96.0, None, False),
    (True, 96.0, None, True),
    (True, 192.0, None, True),
    (True, 96.0, 336.0, True),
    (True, 48.0, 240.0, False),
]


@pytest.mark.parametrize(("timed", "recent", "lookback", "presence"), VARIANTS)
def test_the_vectorised_design_equals_the_session_loop(timed, recent, lookback, presence):
    paths, converted, hours, _ = random_keys(400, seed=5)
    hours = hours if timed else None
    design = session_design(paths, converted, CHANNELS, hours, recent, lookback, presence)
    features, outcome, key_of_row, last_row = reference_session_design(
        paths, converted, CHANNELS, hours, recent, lookback, presence
    )
    assert design.features.shape == features.shape
    assert (design.features != features).nnz == 0
    assert design.converted.tolist() == outcome.tolist()
    assert design.key_of_row.tolist() == key_of_row.tolist()
    assert design.last_row.tolist() == last_row.tolist()


def test_distinct_rows_are_distinct_and_rebuild_every_row():
    paths, converted, hours, _ = random_keys(400, seed=6)
    design = session_design(paths, converted, CHANNELS, hours, presence=True)
    z, y, row_class = distinct_rows(design.features, design.converted)
    assert z.shape[0] < design.features.shape[0] / 2  # short random paths repeat a lot
    assert (z[row_class] != design.features).nnz == 0
    assert y[row_class].tolist() == design.converted.tolist()
    signatures = {(tuple(row), outcome) for row, outcome in zip(z.toarray().tolist(), y.tolist(), strict=True)}
    assert len(signatures) == z.shape[0]


def _every_row_objective(design, counts):
    """The negative log-likelihood (per journey, with the ridge) over every session row, as it was computed."""
    weight = counts[design.key_of_row]
    y, z = design.converted, design.features
    scale = weight.sum()

    def objective(w):
        eta = np.maximum(z @ w, MIN_HAZARD)
        loglik = np.where(y, np.log(-np.expm1(-eta)), -eta)
        d_eta = np.where(y, 1.0 / np.expm1(eta), -1.0)
        return (-(weight @ loglik) + RIDGE * (w @ w)) / scale, (-(z.T @ (weight * d_eta)) + 2 * RIDGE * w) / scale

    return objective


@pytest.mark.parametrize("presence", [False, True])
def test_the_fit_on_distinct_rows_is_the_optimum_of_the_likelihood_over_every_row(presence):
    paths, converted, hours, counts = random_keys(1500, seed=7)
    design = session_design(paths, converted, CHANNELS, hours, presence=presence)
    fast = fit_hazards(design, counts)
    objective = _every_row_objective(design, counts)
    # first-order optimality on the full likelihood: zero gradient where free, non-negative where held at 0
    _, gradient = objective(fast)
    free = fast > 1e-8
    assert np.abs(gradient[free]).max() < 1e-7
    assert gradient[~free].min() > -1e-7
    # and the previous fit (every row, scipy's default tolerances) lands within its own tolerance of it
    start = np.concatenate([np.full(len(CHANNELS), 0.05), np.zeros(design.n_params - len(CHANNELS))])
    bounds = [(0.0, None)] * design.n_params
    before = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500}).x
    assert objective(fast)[0] <= objective(before)[0] + 1e-12
    assert np.abs(np.maximum(before, 0) - fast).max() < 5e-3
    weights = counts * converted
    shares_fast = weights @ key_credit(design, fast)
    shares_before = weights @ key_credit(design, np.maximum(before, 0))
    assert shares_fast / shares_fast.sum() == pytest.approx(shares_before / shares_before.sum(), abs=1e-3)


def test_a_warm_start_reaches_the_same_hazards():
    paths, converted, hours, counts = random_keys(1500, seed=8)
    design = session_design(paths, converted, CHANNELS, hours, presence=True)
    cold = fit_hazards(design, counts)
    other = fit_hazards(session_design(paths, converted, CHANNELS, hours, recent_hours=192.0, presence=True), counts)
    warm = fit_hazards(design, counts, start=other)
    assert warm == pytest.approx(cold, abs=1e-5)


def test_channel_hazards_and_credit_equal_the_per_term_sum():
    paths, converted, hours, _ = random_keys(300, seed=9)
    design = session_design(paths, converted, CHANNELS, hours)
    hazards = np.random.default_rng(10).uniform(0.0, 0.5, design.n_params)
    n = len(CHANNELS)
    # as it was: each (own / carry) term's hazard added to the channel it belongs to
    contributions = design.features[design.last_row].multiply(hazards[None, :]).tocsr()
    expected = np.asarray(contributions[:, :n].todense(), dtype=float)
    carry = contributions[:, n:].tocoo()
    np.add.at(expected, (carry.row, (carry.col // n) % n), carry.data)
    assert channel_hazards(design, hazards) == pytest.approx(expected, abs=1e-12)
    for rule in ("removal", "shapley"):
        every = key_credit(design, hazards, rule)
        assert key_credit(design, hazards, rule, converting_only=True) == pytest.approx(every[converted], abs=1e-12)


def test_an_unknown_channel_is_named():
    with pytest.raises(ValueError, match="'x' is not in"):
        session_design(["a > x"], np.array([True]), CHANNELS)


def test_complete_histories_count_touches_within_the_horizon_and_enter_sessions_whose_horizon_is_observed():
    design = session_design(
        ["a > b > c"], np.array([True]), ["a", "b", "c"], ["400 > 100 > 0"], horizon_hours=336, window_hours=720
    )
    n = 3
    last = design.features.toarray()[2]
    assert last[n + n * n + 1 * n + 2] == 1  # b -> c, 100 h before: within the horizon (older than 96 h)
    assert last[n + n * n + 0 * n + 2] == 0  # a -> c, 400 h before: beyond it
    assert design.features.toarray()[1][n + n * n + 0 * n + 1] == 1  # a -> b: 300 h apart
    # a's horizon reaches 736 h before the end, beyond the 720 h window: its history may be cut, it sits out
    assert design.observed.tolist() == [False, True, True]
    assert design.row_weight(np.array([3.0])).tolist() == [0.0, 3.0, 3.0]
    with pytest.raises(ValueError, match="horizon_hours needs"):
        session_design(["a > b"], np.array([True]), ["a", "b"], ["5 > 0"], horizon_hours=336)
