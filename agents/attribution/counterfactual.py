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
The carries of a session's earlier channels saturate: with m earlier (channel, recency) features present, each
carries m^-dilution of its effect (`Design.diluted`; 0: additive, 1: their mean), the dilution chosen by
profile likelihood (`profile_dilution`): where many earlier channels mark an active user rather than more
pull, the additive sum overstates long histories' carry.
Which specification gives the credit and how all of them give the intervals: agents/attribution/specifications.py.

Credit (after Shao & Li 2011, "Data-driven multi-touch attribution models"): for each conversion, channel c's
removal effect is the drop in the converting session's probability when c's touches vanish, exp(-(eta - eta_c))
- exp(-eta), with eta_c its share of the hazard (for the session's own channel, its own effect and its own
earlier touches); credit is the removal effects normalised to sum to 1 per conversion (or the channels' Shapley
values in the fitted model, `key_credit(rule="shapley")`). No channel is declared passive: a direct visit
that only returns a user another channel brought gets little credit, as direct sessions alone rarely convert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.attribution.journeys import SEPARATOR

if TYPE_CHECKING:  # scipy loads on first use (Agent.preload loads it while dbt runs)
    from scipy import sparse

RIDGE = 1e-3  # per parameter, in units of journeys: keeps pairs the data never show at 0
MIN_HAZARD = 1e-12
RECENT_HOURS = 96.0  # an earlier touch this recent has its own effect (a return visit comes within days)
# L-BFGS-B stops when the projected gradient (of the log-likelihood per journey) or the relative decrease is this
# small: close enough to the optimum (the problem is convex) that the estimate no longer depends on the start,
# the row order or the BLAS build; scipy's defaults (1e-5, 2.2e-9) left hazards up to 2e-3 from it
GRADIENT_TOLERANCE = 1e-10
DECREASE_TOLERANCE = 1e-14
DILUTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the grid `profile_dilution` searches: additive to the carries' mean


@cache
def _blas_threads():
    from scipy.optimize import minimize  # noqa: F401  (loads scipy's own BLAS, so the controller sees it)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the model's small dense algebra (171 parameters) on one BLAS thread.

    With more, OpenBLAS threads spin and contend on every tiny call: on 2 shared cores the default took 2-10x
    the CPU time of one thread for the same result.
    """
    with _blas_threads().limit(limits=1, user_api="blas"):
        yield


@dataclass(frozen=True)
class Design:
    """Sessions of every path key: features (own channel, earlier touches by pair), outcome, key of each row."""

    features: sparse.csr_matrix  # sessions x (n + n * n)
    converted: np.ndarray  # per session row: the purchase happened in it
    key_of_row: np.ndarray
    last_row: np.ndarray  # per key: its last session row
    channels: list[str]
    observed: np.ndarray | None = None  # per session row: in the likelihood (None: all; see `horizon_hours`)

    @property
    def n_params(self) -> int:
        return self.features.shape[1]

    def row_weight(self, counts: np.ndarray) -> np.ndarray:
        """Each session row's weight in the likelihood: its key's journey count, 0 where not observed."""
        weight = np.asarray(counts, dtype=float)[self.key_of_row]
        return weight if self.observed is None else weight * self.observed

    def diluted(self, dilution: float) -> Design:
        """The same sessions with saturating carries: a row with m carry features present has each scaled by
        m^-dilution (0: the additive carries; 1: their mean). The own effect is untouched.

        Rows equal before are equal after, so the distinct rows are this design's, diluted (found once)."""
        if dilution == 0.0:
            return self
        from dataclasses import replace

        out = replace(self, features=_dilute(self.features, len(self.channels), dilution))
        z, y, row_class = self.distinct
        out.__dict__["distinct"] = (_dilute(z, len(self.channels), dilution), y, row_class)
        return out

    @cached_property
    def distinct(self) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """`distinct_rows` of the features and outcome: what a fit's likelihood is summed over."""
        return distinct_rows(self.features, self.converted)

    @cached_property
    def last_features(self) -> sparse.csr_matrix:
        """Features of each key's last session (the one that converts or not): keys x params."""
        return self.features[self.last_row].tocsr()

    @cached_property
    def converting_keys(self) -> np.ndarray:
        """Keys whose last session converted: the only ones with credit to give."""
        return np.flatnonzero(self.converted[self.last_row])

    @cached_property
    def converting_last_features(self) -> sparse.csr_matrix:
        return self.last_features[self.converting_keys]

    @cached_property
    def channel_of_param(self) -> np.ndarray:
        """params x channels, 1 where the parameter is the channel's: its own effect, or its earlier touches' carry."""
        n = len(self.channels)
        params = np.arange(self.n_params)
        owner = np.where(params < n, params, ((params - n) // max(n, 1)) % max(n, 1))
        out = np.zeros((self.n_params, n))
        out[params, owner] = 1.0
        return out

    @cached_property
    def equal_credit(self) -> np.ndarray:
        """Per key: 1 / (number of its channels) for each channel on its path (for paths with no hazard at all)."""
        n = len(self.channels)
        incidence = np.zeros((len(self.last_row), n))
        session, channel = self.features[:, :n].nonzero()
        incidence[self.key_of_row[session], channel] = 1.0
        return incidence / np.maximum(incidence.sum(axis=1, keepdims=True), 1.0)


def _dilute(features: sparse.csr_matrix, n: int, dilution: float) -> sparse.csr_matrix:
    """Each carry entry (column >= n) of a row with m carry entries scaled by m^-dilution."""
    z = features.tocsr(copy=True)
    is_carry = z.indices >= n
    row = np.repeat(np.arange(z.shape[0]), np.diff(z.indptr))
    m = np.bincount(row[is_carry], minlength=z.shape[0]).astype(float)
    z.data = np.where(is_carry, z.data * np.maximum(m[row], 1.0) ** -dilution, z.data)
    return z


def session_design(
    paths: list[str],
    converted: np.ndarray,
    channels: list[str],
    hours: list[str] | None = None,
    recent_hours: float | tuple[float, ...] = RECENT_HOURS,
    lookback_hours: float | None = None,
    presence: bool = False,
    horizon_hours: float | None = None,
    window_hours: float | None = None,
) -> Design:
    """One row per touch of each path key; column j < n: own channel j; then earlier touches by pair.

    Without `hours`: column n + c * n + d counts earlier touches of c for a session of d. With `hours` (each
    touch's hours before the journey's end), earlier touches less than `recent_hours` before the session count
    in n + c * n + d, older ones in n + n * n + c * n + d. `lookback_hours` (with `hours`) leaves out touches
    more than that before the journey's end (never its last touch): a shorter lookback on the same keys.
    `presence`: an earlier channel counts once per recency bin however often it came (a saturating carry).

    `horizon_hours` (with `hours` and `window_hours`, the journeys' lookback): complete histories only. A journey
    keeps the touches of its last `window_hours`, so an early session's history is cut short where the last
    session's is not, and sessions with more history look likelier to convert. Here an earlier touch counts only
    within `horizon_hours` before the session, and only sessions whose whole horizon lies inside the window
    (hours before the end + horizon <= window) enter the likelihood: left truncation handled by delayed entry
    (Andersen, Borgan, Gill & Keiding 1993, ch. III.3). The last session always enters.
    """
    from scipy import sparse

    if horizon_hours is not None and (hours is None or window_hours is None or horizon_hours > window_hours):
        raise ValueError("session_design: horizon_hours needs touch hours and a window_hours at least as long")
    n = len(channels)
    edges = np.sort(np.atleast_1d(np.asarray(recent_hours, dtype=float)))
    bins = 1 if hours is None else len(edges) + 1
    lengths = np.array([path.count(SEPARATOR) + 1 for path in paths], dtype=np.int64)
    tokens = SEPARATOR.join(paths).split(SEPARATOR) if paths else []
    channel = pd.Index(channels).get_indexer(tokens)
    if (channel < 0).any():
        raise ValueError(f"session_design: channel {tokens[int(np.argmax(channel < 0))]!r} is not in {channels}")
    at = np.zeros(len(tokens))
    if hours is not None and paths:
        at = np.asarray(SEPARATOR.join(hours).split(SEPARATOR), dtype=float)
    if len(at) != len(channel):
        raise ValueError("session_design: the touch hours are not aligned with the paths")
    key = np.repeat(np.arange(len(paths), dtype=np.int64), lengths)
    if lookback_hours is not None and hours is not None:
        is_last = np.zeros(len(key), dtype=bool)
        is_last[np.cumsum(lengths) - 1] = True
        kept = (at <= lookback_hours) | is_last
        channel, at, key = channel[kept], at[kept], key[kept]
        lengths = np.bincount(key, minlength=len(paths))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    # every (earlier, later) pair of touches of a key, by path length: rows of equal length share one pattern
    earlier_parts, later_parts = [], []
    for length in np.unique(lengths[lengths > 1]):
        first, second = np.triu_indices(length, k=1)
        offset = starts[lengths == length][:, None]
        earlier_parts.append((offset + first[None, :]).ravel())
        later_parts.append((offset + second[None, :]).ravel())
    earlier = np.concatenate(earlier_parts) if earlier_parts else np.zeros(0, dtype=np.int64)
    later = np.concatenate(later_parts) if later_parts else np.zeros(0, dtype=np.int64)
    observed = None
    if horizon_hours is not None:
        within = at[earlier] - at[later] <= horizon_hours
        earlier, later = earlier[within], later[within]
        observed = at + horizon_hours <= window_hours
    age = np.zeros(len(earlier), dtype=np.int64)  # recency bin: how many edges the gap reaches
    if hours is not None:
        age = np.searchsorted(edges, at[earlier] - at[later], side="right")
    carry = n + age * (n * n) + channel[earlier] * n + channel[later]
    rows = np.concatenate([np.arange(len(channel)), later])
    cols = np.concatenate([channel, carry])
    shape = (len(channel), n + bins * n * n)
    features = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)  # duplicates summed: counts
    features.sort_indices()
    if presence:
        features.data = np.minimum(features.data, 1.0)
    last_row = ends - 1
    outcome = np.zeros(len(channel), dtype=bool)
    outcome[last_row] = np.asarray(converted, dtype=bool)
    return Design(features, outcome, key, last_row.astype(np.int64), list(channels), observed)


def distinct_rows(
    features: sparse.csr_matrix, converted: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Rows with the same features and outcome collapsed: (distinct features, their outcome, class of each row).

    The likelihood only sees a row through its features and outcome, so the classes' summed weights are
    sufficient statistics: the same likelihood on 5x fewer rows in the simulated worlds. Exact: rows are
    compared by their column indices and values bit for bit, grouped by their number of entries.
    """
    from scipy import sparse

    z = sparse.csr_matrix(features, copy=True)
    z.sum_duplicates()
    z.sort_indices()
    entries = np.diff(z.indptr)
    row_class = np.empty(z.shape[0], dtype=np.int64)
    representative, classes = [], 0
    for length in np.unique(entries):
        rows = np.flatnonzero(entries == length)
        at = z.indptr[rows][:, None] + np.arange(length)[None, :]
        signature = np.column_stack(
            [converted[rows].astype(np.int64), z.indices[at].astype(np.int64), z.data[at].view(np.int64)]
        )
        _, first, inverse = np.unique(signature, axis=0, return_index=True, return_inverse=True)
        row_class[rows] = classes + inverse.ravel()
        representative.append(rows[first])
        classes += len(first)
    kept = np.concatenate(representative) if representative else np.zeros(0, dtype=np.int64)
    return z[kept], np.asarray(converted, dtype=bool)[kept], row_class


def fit_hazards(design: Design, counts: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Maximum likelihood own/carry hazards for journeys weighted by `counts` per key (>= 0).

    The likelihood is summed over distinct rows (`distinct_rows`) and the BLAS runs on one thread
    (`one_blas_thread`): the same optimum as over every session, in a fraction of the time.
    """
    if design.n_params == 0 or not design.converted.any():
        return np.zeros(design.n_params)  # nothing converted: no cause to estimate
    row_weight = design.row_weight(counts)
    z, y, row_class = design.distinct
    weight = np.bincount(row_class, weights=row_weight, minlength=z.shape[0])
    zt = z.T.tocsr()
    scale = max(float(weight.sum()), 1.0)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        eta = np.maximum(z @ w, MIN_HAZARD)
        loglik = np.where(y, np.log(-np.expm1(-eta)), -eta)
        d_eta = np.where(y, 1.0 / np.expm1(eta), -1.0)
        value = -(weight @ loglik) + RIDGE * (w @ w)
        grad = -(zt @ (weight * d_eta)) + 2 * RIDGE * w
        return value / scale, grad / scale

    if start is None:
        rate = float((weight * y).sum() / max(weight.sum(), 1.0))
        n = len(design.channels)
        start = np.concatenate([np.full(n, max(rate, 1e-4)), np.zeros(design.n_params - n)])
    bounds = [(0.0, None)] * design.n_params
    from scipy.optimize import minimize  # loaded by the first run, not with the catalog

    options = {"maxiter": 5000, "gtol": GRADIENT_TOLERANCE, "ftol": DECREASE_TOLERANCE}
    with one_blas_thread():
        result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    return np.maximum(result.x, 0.0)


def log_likelihood(design: Design, counts: np.ndarray, hazards: np.ndarray) -> float:
    """The sessions' log-likelihood at `hazards` (rows outside the likelihood, `Design.observed`, excluded)."""
    eta = np.maximum(design.features @ hazards, MIN_HAZARD)
    return float(design.row_weight(counts) @ np.where(design.converted, np.log(-np.expm1(-eta)), -eta))


def profile_dilution(
    design: Design, counts: np.ndarray, grid: tuple[float, ...] = DILUTIONS
) -> tuple[float, Design, np.ndarray, dict[float, float]]:
    """The dilution of the grid with the largest likelihood (same sessions, same parameters, so the
    likelihoods compare): (dilution, diluted design, its hazards, log-likelihood per dilution)."""
    best, profile, start = None, {}, None
    for dilution in grid:
        candidate = design.diluted(dilution)
        hazards = fit_hazards(candidate, counts, start)
        profile[dilution] = log_likelihood(candidate, counts, hazards)
        start = hazards
        if best is None or profile[dilution] > profile[best[0]]:
            best = (dilution, candidate, hazards)
    return (*best, profile)


def channel_hazards(design: Design, hazards: np.ndarray, converting_only: bool = False) -> np.ndarray:
    """Per key: each channel's part of the hazard of the key's last session (own effect plus carry of its touches).

    `converting_only`: rows for `design.converting_keys` only.
    """
    last = design.converting_last_features if converting_only else design.last_features
    return np.asarray(last @ (design.channel_of_param * hazards[:, None]))


def key_credit(design: Design, hazards: np.ndarray, rule: str = "removal", converting_only: bool = False) -> np.ndarray:
    """Per key: each channel's credit at the key's last session, summing to 1 (rows of zeros for none).

    rule "removal": the drop in the session's conversion probability when the channel's touches vanish,
    normalised. Rule "shapley": the Shapley value of the channel in the game v(S) = 1 - exp(-sum of S's
    hazards), exactly, through its multilinear extension (Owen 1972): phi_c = (1 - x_c) * integral over t of
    prod_{j != c} (1 - t (1 - x_j)), x_j = exp(-hazard_j); Gauss-Legendre with 8 nodes is exact for paths of
    up to 16 channels. Both are Shao & Li's counterfactual reading; they differ where hazards are large.
    """
    per_channel = channel_hazards(design, hazards, converting_only)
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
    equal = design.equal_credit[design.converting_keys] if converting_only else design.equal_credit
    return np.where(total > 1e-15, effect / np.where(total > 1e-15, total, 1.0), equal)


def hazard_covariance(design: Design, counts: np.ndarray, hazards: np.ndarray, robust: bool = False) -> np.ndarray:
    """Covariance of the hazards; 0 for those held at their bound (0) by the data.

    Model-based: the inverse observed information H^-1, right when the model is. Robust (Huber 1967, White
    1982): the sandwich H^-1 J H^-1 with J the outer product of the scores summed per journey, the covariance
    of the estimate around the best the model can do when the model is wrong (and sessions of one journey are
    not independent).
    """
    from scipy import sparse

    weight = design.row_weight(counts)
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
    if design.observed is not None:
        d_eta = d_eta * design.observed  # rows outside the likelihood have no score
    n_keys = len(design.last_row)
    rows = np.arange(z.shape[0])
    per_key = sparse.csr_matrix((np.ones(z.shape[0]), (design.key_of_row, rows)), shape=(n_keys, z.shape[0]))
    scores = (per_key @ z.multiply(d_eta[:, None]).tocsr()).tocsc()[:, np.flatnonzero(free)]  # keys x free
    meat = np.asarray((scores.T @ scores.multiply(counts.astype(float)[:, None])).todense())
    covariance[np.ix_(free, free)] = inverse @ meat @ inverse
    return covariance
