"""Allocate a daily budget across channels on their response curves, under bounds and the budget total.

scipy.optimize.minimize with SLSQP: the problem is a smooth objective in a handful of variables with box
bounds (min/max, maximum daily change, locks) and one linear equality (the total), which is exactly what
SLSQP solves, with analytic gradients. Risk: the objective is a lower quantile of the uplift over the current
allocation under the parameter draws (normal approximation: mean - z * sd), so money moves only as far as
the curves' uncertainty supports; with z = 0 it is the expected outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mops.core.errors import MopsError


class InfeasibleBudget(MopsError):
    """The total budget cannot be met within the channels' bounds."""


@dataclass(frozen=True)
class Curves:
    """Draws x channels parameters of outcome(x) = max_outcome * x^shape / (x^shape + half^shape)."""

    max_outcome: np.ndarray  # (draws, channels)
    half_saturation: np.ndarray
    shape: np.ndarray

    def outcome(self, spend: np.ndarray) -> np.ndarray:
        """(draws, channels) outcome per day at `spend` (channels,)."""
        x = np.maximum(spend, 0.0)[None, :]
        ratio = (x / self.half_saturation) ** self.shape
        return self.max_outcome * ratio / (1.0 + ratio)

    def marginal(self, spend: np.ndarray) -> np.ndarray:
        x = np.maximum(spend, 1e-9)[None, :]
        ratio = (x / self.half_saturation) ** self.shape
        return self.max_outcome * self.shape * ratio / (x * (1.0 + ratio) ** 2)

    def draw(self, index: int) -> Curves:
        return Curves(
            self.max_outcome[index : index + 1], self.half_saturation[index : index + 1], self.shape[index : index + 1]
        )


def spend_bounds(
    current: np.ndarray,
    minimum: np.ndarray,
    maximum: np.ndarray,
    max_daily_change: float,
    locked: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel [lower, upper]: min/max clipped into the day's allowed change; locked channels stay put."""
    low_change = current * (1.0 - max_daily_change)
    high_change = current * (1.0 + max_daily_change)
    lower = np.clip(minimum, low_change, high_change)
    upper = np.clip(maximum, low_change, high_change)
    lower = np.where(locked, current, lower)
    upper = np.where(locked, current, upper)
    return lower, upper


def feasible_start(current: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float) -> np.ndarray:
    """The allocation closest to current in proportion that meets the total within bounds."""
    if total < lower.sum() - 1e-6 or total > upper.sum() + 1e-6:
        raise InfeasibleBudget(
            f"total daily budget {total:,.2f} is outside what the channel bounds allow "
            f"[{lower.sum():,.2f}, {upper.sum():,.2f}] (min/max, max daily change, locks)"
        )
    low, high = 0.0, 1.0
    # x(t) = lower + t * (upper - lower) moves every channel proportionally within its range
    base = np.clip(current, lower, upper)
    if abs(base.sum() - total) < 1e-9:
        return base
    target_up = total > base.sum()
    for _ in range(100):
        t = (low + high) / 2
        x = base + t * ((upper if target_up else lower) - base)
        if (x.sum() < total) == target_up:
            low = t
        else:
            high = t
    return base + high * ((upper if target_up else lower) - base)


def risk_objective(curves: Curves, current: np.ndarray, z: float):
    """Negative (mean - z * sd) of the total uplift over current, with its gradient, for minimize."""
    base = curves.outcome(current).sum(axis=1)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        uplift = curves.outcome(x).sum(axis=1) - base
        marginal = curves.marginal(x)
        mean, grad = uplift.mean(), marginal.mean(axis=0)
        if z > 0 and len(uplift) > 1:
            sd = uplift.std()
            if sd > 1e-12:
                centred = uplift - mean
                mean -= z * sd
                grad = grad - z * (centred[:, None] * marginal).mean(axis=0) / sd
        return -float(mean), -grad

    return objective


def _solve(objective, start: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float) -> np.ndarray:
    """SLSQP on a problem scaled to order 1: each channel's spend by its own size, the objective by its slope.

    Channels whose spends differ by orders of magnitude (a 20,000 a day channel next to a 300 a day one) leave
    one common scale ill-conditioned: the line search stops after a fraction of the move.
    """
    scale = np.maximum(np.maximum(np.abs(start), upper - lower), 1e-6)
    scale = np.where(np.isfinite(scale), scale, np.maximum(np.abs(start), 1.0))
    _, grad0 = objective(start)
    f_scale = max(float(np.abs(grad0 * scale).max()), 1e-12)

    def scaled(y):
        value, grad = objective(y * scale)
        return value / f_scale, grad * scale / f_scale

    from scipy.optimize import minimize  # loaded by the first run, not with the catalog

    result = minimize(
        scaled,
        start / scale,
        jac=True,
        method="SLSQP",
        bounds=list(zip(lower / scale, upper / scale, strict=True)),
        constraints=[{"type": "eq", "fun": lambda y: (y * scale).sum() / total - 1.0, "jac": lambda y: scale / total}],
        options={"maxiter": 500, "ftol": 1e-12},
    )
    if not np.all(np.isfinite(result.x)):
        return start  # a failed solve moves nothing rather than writing a non-finite allocation
    x = np.clip(result.x * scale, lower, upper)
    return x if objective(x)[0] <= objective(start)[0] else start


def allocate(
    curves: Curves,
    current: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    total: float,
    z: float = 0.0,
) -> np.ndarray:
    """The allocation maximising the lower quantile (mean - z sd) of the uplift over current spend."""
    start = feasible_start(current, lower, upper, total)
    expected = _solve(risk_objective(curves, current, 0.0), start, lower, upper, total)
    if z <= 0:
        return expected
    objective = risk_objective(curves, current, z)
    # candidates: the risk optimum from the expected optimum, and points on the segment start -> expected
    candidates = [_solve(objective, expected, lower, upper, total)]
    candidates += [start + t * (expected - start) for t in np.linspace(0.0, 1.0, 21)]
    values = [objective(x)[0] for x in candidates]
    return candidates[int(np.argmin(values))]


def allocation_draws(
    curves: Curves, current: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float, draws: int
) -> np.ndarray:
    """The expected-optimal allocation under each of the first `draws` parameter draws (draws x channels)."""
    start = feasible_start(current, lower, upper, total)
    n = min(draws, curves.max_outcome.shape[0])
    return np.array(
        [_solve(risk_objective(curves.draw(i), current, 0.0), start, lower, upper, total) for i in range(n)]
    )
