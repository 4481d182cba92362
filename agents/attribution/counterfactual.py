"""Counterfactual attribution: a session-level conversion model fitted on converting AND non-converting journeys.

Every touch of a journey is a session in which the user could have bought; only the last session of a
converting journey did. The chance that session s converts is a noisy-OR of independent causes (a discrete-
time additive hazard, after Zhang, Wei & Ren 2014, "Multi-touch attribution in online advertising with
survival theory"):

    P(convert in s) = 1 - exp(-eta_s),   eta_s = own[d] + sum_c count_c(before s) * carry[c, d]

with d the channel of session s, own[d] >= 0 the session's own effect and carry[c, d] >= 0 the effect of each
earlier touch of channel c on a later session of channel d (an earlier display ad making a later search visit
buy, or a click bringing the user back directly to buy); count_c is the number of earlier touches of c, or
(`presence`, the default specification) 1 when c came before at all, per recency bin. Parameters are maximum
likelihood (scipy L-BFGS-B, non-negative, a light ridge so unseen pairs stay at 0) on journeys grouped by path.
Which specification gives the credit and how all of them give the intervals: agents/attribution/specifications.py.

Credit (after Shao & Li 2011, "Data-driven multi-touch attribution models"): for each conversion, channel c's
removal effect is the drop in the converting session's probability when c's touches vanish, exp(-(eta - eta_c))
- exp(-eta), with eta_c its share of the hazard (for the session's own channel, its own effect and its own
earlier touches); credit is the removal effects normalised to sum to 1 per conversion (or the channels' Shapley
values in the fitted model, `key_credit(rule="shapley")`). No channel is declared
passive: a direct visit that only returns a user another channel brought gets little credit because direct
sessions without such a touch rarely convert, which the data show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from agents.attribution.journeys import SEPARATOR

RIDGE = 1e-3  # per parameter, in units of journeys: keeps pairs the data never show at 0
MIN_HAZARD = 1e-12
RECENT_HOURS = 96.0  # an earlier touch this recent has its own effect (a return visit comes within days)


@dataclass(frozen=True)
class Design:
    """Sessions of every path key: features (own channel, earlier touches by pair), outcome, key of each row."""

    features: sparse.csr_matrix  # sessions x (n + n * n)
    converted: np.ndarray  # per session row: the purchase happened in it
    key_of_row: np.ndarray
    last_row: np.ndarray  # per key: its last session row
    channels: list[str]

    @property
    def n_params(self) -> int:
        return self.features.shape[1]


def session_design(
    paths: list[str],
    converted: np.ndarray,
    channels: list[str],
    hours: list[str] | None = None,
    recent_hours: float = RECENT_HOURS,
    lookback_hours: float | None = None,
    presence: bool = False,
) -> Design:
    """One row per touch of each path key; column j < n: own channel j; then earlier touches by pair.

    Without `hours`: column n + c * n + d counts earlier touches of c for a session of d. With `hours` (each
    touch's hours before the journey's end), earlier touches less than `recent_hours` before the session count
    in n + c * n + d, older ones in n + n * n + c * n + d. `lookback_hours` (with `hours`) leaves out touches
    more than that before the journey's end (never its last touch): a shorter lookback on the same keys.
    `presence`: an earlier channel counts once per recency bin however often it came (a saturating carry).
    """
    n = len(channels)
    bins = 1 if hours is None else 2
    index = {c: i for i, c in enumerate(channels)}
    rows, cols, values, outcome, key_of_row, last_row = [], [], [], [], [], []
    row = 0
    for key, path in enumerate(paths):
        seq = [index[c] for c in path.split(SEPARATOR)]
        at = [float(h) for h in hours[key].split(SEPARATOR)] if hours is not None else [0.0] * len(seq)
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
    return Design(
        features,
        np.array(outcome, dtype=bool),
        np.array(key_of_row, dtype=np.int64),
        np.array(last_row, dtype=np.int64),
        list(channels),
    )


def fit_hazards(design: Design, counts: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Maximum likelihood own/carry hazards for journeys weighted by `counts` per key (>= 0)."""
    if design.n_params == 0 or not design.converted.any():
        return np.zeros(design.n_params)  # nothing converted: no cause to estimate
    weight = counts[design.key_of_row].astype(float)
    y = design.converted
    z = design.features
    scale = max(float(weight.sum()), 1.0)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        eta = np.maximum(z @ w, MIN_HAZARD)
        loglik = np.where(y, np.log(-np.expm1(-eta)), -eta)
        d_eta = np.where(y, 1.0 / np.expm1(eta), -1.0)
        value = -(weight @ loglik) + RIDGE * (w @ w)
        grad = -(z.T @ (weight * d_eta)) + 2 * RIDGE * w
        return value / scale, grad / scale

    if start is None:
        rate = float((weight * y).sum() / max(weight.sum(), 1.0))
        n = len(design.channels)
        start = np.concatenate([np.full(n, max(rate, 1e-4)), np.zeros(design.n_params - n)])
    bounds = [(0.0, None)] * design.n_params
    from scipy.optimize import minimize  # loaded by the first run, not with the catalog

    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500})
    return np.maximum(result.x, 0.0)


def channel_hazards(design: Design, hazards: np.ndarray) -> np.ndarray:
    """Per key: each channel's part of the hazard of the key's last session (own effect plus carry of its touches)."""
    n = len(design.channels)
    last = design.features[design.last_row]  # keys x params
    contributions = last.multiply(hazards[None, :]).tocsr()  # hazard of each (own / carry) term
    per_channel = np.asarray(contributions[:, :n].todense(), dtype=float)
    carry = contributions[:, n:].tocoo()
    np.add.at(per_channel, (carry.row, (carry.col // n) % n), carry.data)
    return per_channel


def key_credit(design: Design, hazards: np.ndarray, rule: str = "removal") -> np.ndarray:
    """Per key: each channel's credit at the key's last session, summing to 1 (rows of zeros for none).

    rule "removal": the drop in the session's conversion probability when the channel's touches vanish,
    normalised. Rule "shapley": the Shapley value of the channel in the game v(S) = 1 - exp(-sum of S's
    hazards), exactly, through its multilinear extension (Owen 1972): phi_c = (1 - x_c) * integral over t of
    prod_{j != c} (1 - t (1 - x_j)), x_j = exp(-hazard_j); Gauss-Legendre with 8 nodes is exact for paths of
    up to 16 channels. Both are Shao & Li's counterfactual reading; they differ where hazards are large.
    """
    n = len(design.channels)
    per_channel = channel_hazards(design, hazards)
    eta = per_channel.sum(axis=1, keepdims=True)
    if rule == "removal":
        effect = np.exp(-(eta - per_channel)) - np.exp(-eta)
    elif rule == "shapley":
        absent = -np.expm1(-per_channel)  # 1 - x_c: the session's chance from the channel alone
        nodes, weights = np.polynomial.legendre.leggauss(8)
        nodes, weights = (nodes + 1.0) / 2.0, weights / 2.0
        logs = np.log1p(-nodes[None, None, :] * absent[:, :, None])  # keys x channels x nodes
        others = np.exp(logs.sum(axis=1, keepdims=True) - logs)
        effect = absent * (others * weights).sum(axis=2)
    else:
        raise ValueError(f"unknown counterfactual credit rule {rule!r}")
    total = effect.sum(axis=1, keepdims=True)
    # a path the model gives no hazard at all (never seen converting): credit its channels equally
    incidence = np.zeros_like(per_channel)
    session, channel = design.features[:, :n].nonzero()
    incidence[design.key_of_row[session], channel] = 1.0
    equal = incidence / np.maximum(incidence.sum(axis=1, keepdims=True), 1.0)
    return np.where(total > 1e-15, effect / np.where(total > 1e-15, total, 1.0), equal)


def hazard_covariance(design: Design, counts: np.ndarray, hazards: np.ndarray, robust: bool = False) -> np.ndarray:
    """Covariance of the hazards; 0 for those held at their bound (0) by the data.

    Model-based: the inverse observed information H^-1, right when the model is. Robust (Huber 1967, White
    1982): the sandwich H^-1 J H^-1 with J the outer product of the scores summed per journey, the covariance
    of the estimate around the best the model can do when the model is wrong (and sessions of one journey are
    not independent).
    """
    weight = counts[design.key_of_row].astype(float)
    eta = np.maximum(design.features @ hazards, MIN_HAZARD)
    curvature = np.where(design.converted, np.exp(-eta) / np.maximum(-np.expm1(-eta), MIN_HAZARD) ** 2, 0.0)
    z = design.features
    information = np.asarray((z.T @ z.multiply((weight * curvature)[:, None])).todense()) + 2 * RIDGE * np.eye(
        z.shape[1]
    )
    free = hazards > 1e-9
    covariance = np.zeros_like(information)
    if not free.any():
        return covariance
    inverse = np.linalg.pinv(information[np.ix_(free, free)])
    if not robust:
        covariance[np.ix_(free, free)] = inverse
        return covariance
    d_eta = np.where(design.converted, 1.0 / np.expm1(eta), -1.0)
    n_keys = len(design.last_row)
    rows = np.arange(z.shape[0])
    per_key = sparse.csr_matrix((np.ones(z.shape[0]), (design.key_of_row, rows)), shape=(n_keys, z.shape[0]))
    scores = (per_key @ z.multiply(d_eta[:, None]).tocsr()).tocsc()[:, np.flatnonzero(free)]  # keys x free
    meat = np.asarray((scores.T @ scores.multiply(counts.astype(float)[:, None])).todense())
    covariance[np.ix_(free, free)] = inverse @ meat @ inverse
    return covariance
