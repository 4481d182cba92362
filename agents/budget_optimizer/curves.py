"""Per-channel response curves: Hill saturation of clicks in spend, adstocked value per click.

Revenue (or conversions) per day at a steady daily spend x is

    outcome(x) = value_per_click * max_clicks * x^shape / (x^shape + half_saturation^shape)

fitted in two stages, each on the data that identifies it best:

1. saturation: daily clicks ~ Poisson(max_clicks * hill(spend)), a quasi-Poisson penalised maximum likelihood
   fit (statsmodels GenericLikelihoodModel, log parameters, weakly informative priors on the half-saturation and
   the exponent so the fit cannot diverge, covariance scaled by the Pearson dispersion);
2. carry-over: the daily outcome attributed to the channel ~ value_per_click * adstock(clicks, decay), WLS per
   decay on a grid (statsmodels WLS, variance proportional to the mean) and the decay chosen by profile
   likelihood, whose likelihood ratio interval is the decay's interval.

Uncertainty is carried as draws (a parametric bootstrap from the asymptotic distributions), so every quantity
derived from the curve (outcome at a spend, marginal return, an allocation's uplift) gets an interval from
the same draws.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from mops.core.errors import MopsError

DECAY_GRID = np.round(np.arange(0.0, 0.951, 0.05), 2)
HALF_BOUND_MULTIPLE = 100.0  # draws of the half-saturation are kept within [lowest / 100, highest x 100]


class CurveFitError(MopsError):
    """A channel's history cannot identify a response curve."""


def hill(spend: np.ndarray, half_saturation: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Share of the maximum reached at `spend` (broadcasts parameter draws against spends)."""
    spend = np.maximum(np.asarray(spend, dtype=float), 0.0)
    ratio = (spend / half_saturation) ** shape
    return ratio / (1.0 + ratio)


def hill_derivative(spend: np.ndarray, half_saturation: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """d hill / d spend."""
    spend = np.maximum(np.asarray(spend, dtype=float), 1e-9)
    ratio = (spend / half_saturation) ** shape
    return shape * ratio / (spend * (1.0 + ratio) ** 2)


def adstock(values: np.ndarray, decay: float) -> np.ndarray:
    """Geometric adstock with weights (1 - decay) * decay^k summing to 1; the first day seeds the carry-over."""
    out = np.empty(len(values), dtype=float)
    carried = float(values[0]) if len(values) else 0.0
    for i, value in enumerate(values):
        carried = decay * carried + (1.0 - decay) * value
        out[i] = carried
    return out


@dataclass(frozen=True)
class SaturationFit:
    params: np.ndarray  # log max_clicks, log half_saturation, log shape
    covariance: np.ndarray  # of params (zero row/column for a fixed shape)
    dispersion: float
    pseudo_r2: float  # 1 - deviance / null deviance
    log_half_bounds: tuple[float, float] = (-np.inf, np.inf)  # draws of log half_saturation are clipped here


def fit_saturation(spend: np.ndarray, clicks: np.ndarray, shape: float | None = 1.0) -> SaturationFit:
    """Quasi-Poisson ML fit of clicks on same-day spend; `shape` None estimates the Hill exponent too."""
    spend = np.asarray(spend, dtype=float)
    clicks = np.asarray(clicks, dtype=float)
    positive = spend > 0
    if positive.sum() < 10 or clicks.sum() <= 0:
        raise CurveFitError(f"{positive.sum()} days with spend and {clicks.sum():.0f} clicks: too few to fit a curve")
    if np.ptp(np.log(spend[positive])) < 0.1:
        raise CurveFitError("daily spend hardly varies (log range < 0.1): saturation is not identifiable")
    from agents.budget_optimizer.likelihood import HillPoisson  # statsmodels loads with the first fit

    model = HillPoisson(clicks, spend, shape, curve=hill)
    ratio = clicks[positive].mean() / spend[positive].mean()
    # start: half saturation at the median spend, so the start curve passes through the data
    start_k = float(np.median(spend[positive]))
    start = [np.log(2.0 * ratio * start_k), np.log(start_k)] + ([] if shape is not None else [0.0])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter: the result is checked below
        try:
            result = model.fit(start_params=np.array(start), method="bfgs", maxiter=2000, disp=False)
            result = model.fit(start_params=result.params, method="newton", maxiter=100, disp=False)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            raise CurveFitError(f"the saturation fit did not converge ({exc})") from exc
    if not np.all(np.isfinite(result.params)):
        raise CurveFitError("the saturation fit did not converge (non-finite parameters)")
    mu = np.maximum(model.mean(result.params), 1e-12)
    n, k = len(clicks), len(start)
    dispersion = max(1.0, float(np.sum((clicks - mu) ** 2 / mu) / max(n - k, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cov = np.asarray(result.cov_params()) * dispersion
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        raise CurveFitError("the saturation fit has no finite covariance (flat likelihood)")
    full = np.zeros((3, 3))
    full[:k, :k] = cov
    params = np.append(result.params, [] if shape is None else [np.log(shape)])
    null_mu = clicks.mean()
    deviance = 2 * np.sum(_xlogy(clicks, clicks / mu) - (clicks - mu))
    null_deviance = 2 * np.sum(_xlogy(clicks, clicks / null_mu) - (clicks - null_mu))
    bounds = (
        float(np.log(spend[positive].min() / HALF_BOUND_MULTIPLE)),
        float(np.log(spend.max() * HALF_BOUND_MULTIPLE)),
    )
    pseudo_r2 = float(1 - deviance / null_deviance) if null_deviance > 0 else 0.0
    return SaturationFit(params, full, dispersion, pseudo_r2 if np.isfinite(pseudo_r2) else 0.0, bounds)


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.log(np.where(x > 0, y, 1.0)), 0.0)


@dataclass(frozen=True)
class CarryoverFit:
    decays: np.ndarray  # the grid
    loglik: np.ndarray  # profile log likelihood per decay
    value: np.ndarray  # value per click per decay
    value_se: np.ndarray
    decay: float  # maximum of the profile
    decay_low: float
    decay_high: float
    r2: float  # of the outcome on adstocked clicks at the chosen decay (uncentred: no intercept)


def fit_carryover(clicks: np.ndarray, outcome: np.ndarray, confidence: float, burn_in: int) -> CarryoverFit:
    """Outcome per day = value_per_click * adstock(clicks, decay); decay by profile likelihood."""
    from scipy.stats import chi2
    from statsmodels.api import WLS

    clicks = np.asarray(clicks, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    if outcome.sum() <= 0:
        raise CurveFitError("no outcome was attributed to the channel in the history: value per click is unknown")
    loglik, value, value_se, r2 = [], [], [], []
    for decay in DECAY_GRID:
        carried = adstock(clicks, decay)[burn_in:]
        y = outcome[burn_in:]
        # variance proportional to the mean (counts x order values): weights 1 / expected, floored
        weights = 1.0 / np.maximum(carried, max(1e-6, 0.05 * carried.mean()))
        fit = WLS(y, carried[:, None], weights=weights).fit()
        loglik.append(fit.llf)
        value.append(fit.params[0])
        value_se.append(fit.bse[0])
        r2.append(fit.rsquared)
    loglik = np.array(loglik)
    finite = np.isfinite(loglik) & np.isfinite(value) & np.isfinite(value_se)
    if not finite.any():
        raise CurveFitError("the carry-over fit has no finite likelihood (outcome and clicks do not line up)")
    loglik = np.where(finite, loglik, -np.inf)
    value = np.where(finite, value, 0.0)
    value_se = np.where(finite, value_se, 0.0)
    best = int(np.argmax(loglik))
    inside = DECAY_GRID[2 * (loglik[best] - loglik) <= chi2.ppf(confidence, 1)]
    return CarryoverFit(
        DECAY_GRID,
        loglik,
        value,
        value_se,
        float(DECAY_GRID[best]),
        float(inside.min()),
        float(inside.max()),
        float(r2[best]),
    )


@dataclass(frozen=True)
class CurveDraws:
    """Joint draws of one channel's parameters; index 0 is the point estimate."""

    max_clicks: np.ndarray
    half_saturation: np.ndarray
    shape: np.ndarray
    value_per_click: np.ndarray
    decay: np.ndarray

    @property
    def max_outcome(self) -> np.ndarray:
        return self.max_clicks * self.value_per_click

    def outcome(self, spend) -> np.ndarray:
        """Steady-state outcome per day, draws x spends."""
        spend = np.atleast_1d(np.asarray(spend, dtype=float))
        return self.max_outcome[:, None] * hill(spend[None, :], self.half_saturation[:, None], self.shape[:, None])

    def marginal(self, spend) -> np.ndarray:
        spend = np.atleast_1d(np.asarray(spend, dtype=float))
        return self.max_outcome[:, None] * hill_derivative(
            spend[None, :], self.half_saturation[:, None], self.shape[:, None]
        )


def draw_curves(saturation: SaturationFit, carryover: CarryoverFit, n_draws: int, rng: np.random.Generator):
    """Parametric bootstrap: log parameters ~ normal(estimate, covariance); decay ~ profile likelihood."""
    logs = rng.multivariate_normal(saturation.params, saturation.covariance, size=n_draws, method="svd")
    logs[0] = saturation.params
    low, high = saturation.log_half_bounds
    clipped = np.clip(logs[:, 1], low, high)
    logs[:, 0] += clipped - logs[:, 1]  # keep the slope below saturation (max / half) when a draw is clipped
    logs[:, 1] = clipped
    logs[:, 0] = np.clip(logs[:, 0], -50.0, 50.0)
    logs[:, 2] = np.clip(logs[:, 2], -5.0, 5.0)
    weights = np.exp(carryover.loglik - carryover.loglik.max())
    index = rng.choice(len(carryover.decays), size=n_draws, p=weights / weights.sum())
    index[0] = int(np.argmax(carryover.loglik))
    value = carryover.value[index] + carryover.value_se[index] * rng.standard_normal(n_draws)
    value[0] = carryover.value[index[0]]
    return CurveDraws(
        max_clicks=np.exp(logs[:, 0]),
        half_saturation=np.exp(logs[:, 1]),
        shape=np.exp(logs[:, 2]),
        value_per_click=np.maximum(value, 0.0),
        decay=carryover.decays[index],
    )
