"""The saturation curve's likelihood for statsmodels (imported by the first fit, not with the catalog)."""

from __future__ import annotations

import numpy as np
from statsmodels.base.model import GenericLikelihoodModel

HALF_PRIOR_SD = float(np.log(10.0))  # weakly informative: 95% of the prior within 100x of the highest spend
SHAPE_PRIOR_SD = 0.5  # Hill exponent within about [0.4, 2.7] a priori, when it is estimated


def _log_factorial(values: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return gammaln(values + 1.0)


class HillPoisson(GenericLikelihoodModel):
    """clicks ~ Poisson(max_clicks * hill(spend)); parameters log max_clicks, log half_saturation[, log shape].

    The log likelihood carries weakly informative priors (a penalised likelihood): log half_saturation
    ~ normal(log highest spend, HALF_PRIOR_SD) and log shape ~ normal(0, SHAPE_PRIOR_SD). Where the data
    identify the curve they change nothing; where the response is linear over the observed range they keep
    the half-saturation from running off to infinity (the fit of issue 16 reached 3.7e10).
    """

    def __init__(self, clicks, spend, fixed_shape: float | None, curve, **kwargs):
        self.fixed_shape = fixed_shape
        self.curve = curve  # curves.hill: share of the maximum reached at a spend
        names = ["log_max_clicks", "log_half_saturation"] + ([] if fixed_shape is not None else ["log_shape"])
        super().__init__(np.asarray(clicks, dtype=float), np.asarray(spend, dtype=float)[:, None], **kwargs)
        self.exog_names[:] = names
        self.k_extra = 0
        self.nparams = len(names)
        self.df_model = len(names)
        self.df_resid = len(clicks) - len(names)
        self.prior_centre = float(np.log(np.max(self.exog[:, 0])))

    def mean(self, params) -> np.ndarray:
        shape = self.fixed_shape if self.fixed_shape is not None else np.exp(np.clip(params[2], -5, 5))
        log_half = np.clip(params[1], -50.0, 50.0)
        with np.errstate(over="ignore", under="ignore"):
            return np.exp(np.clip(params[0], -50.0, 50.0)) * self.curve(self.exog[:, 0], np.exp(log_half), shape)

    def loglikeobs(self, params):
        mu = np.maximum(self.mean(params), 1e-12)
        return self.endog * np.log(mu) - mu - _log_factorial(self.endog)

    def log_prior(self, params) -> float:
        penalty = ((params[1] - self.prior_centre) / HALF_PRIOR_SD) ** 2
        if self.fixed_shape is None:
            penalty += (params[2] / SHAPE_PRIOR_SD) ** 2
        return -0.5 * float(penalty)

    def loglike(self, params):
        return float(np.sum(self.loglikeobs(params))) + self.log_prior(params)
