"""The counterfactual model's specifications: one gives the credit, all of them give the intervals.

The session-level conversion model (agents/attribution/counterfactual.py) rests on choices the data cannot
settle by likelihood alone: where a "recent" earlier touch ends, how far back a touch may still matter (a
shorter lookback changes the data the likelihood is computed on, so likelihoods do not compare), and whether a
conversion's credit is the channels' normalised removal effects or their Shapley values in the fitted model.
Sampling intervals of one specification say nothing about these choices, and in the simulated worlds the
choice moved a channel's share by more than its sampling interval was wide (DECISIONS: counterfactual
intervals). So the intervals pool every specification (a multiverse, after Steegen et al. 2016; a specification
curve, Simonsohn et al. 2020): bootstrap sample b uses specification b mod K, with the journeys resampled and
the hazards drawn from their robust (sandwich) covariance, and the interval is the quantiles of all samples.
The credit table and the point estimate stay the default specification's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.attribution.counterfactual import (
    Design,
    fit_hazards,
    hazard_covariance,
    key_credit,
    one_blas_thread,
    profile_dilution,
    session_design,
)
from agents.attribution.journeys import SEPARATOR


@dataclass(frozen=True)
class Specification:
    """One way to fit and read the model: recency split, lookback (None: the journey's own), whether an earlier
    channel's touches count by number or by presence, credit rule, and the history horizon (None: every touch
    of the journey counts; days: complete histories of that length only, `session_design(horizon_hours=)`)."""

    recent_hours: float
    lookback_days: float | None
    presence: bool
    rule: str
    horizon_days: float | None = None
    dilution: float | None = None  # carries' saturation; None: the default fit's, by profile likelihood

    @property
    def fit_key(self) -> tuple:
        return (self.recent_hours, self.lookback_days, self.presence, self.horizon_days, self.dilution)


# the first is the point estimate; the others vary one choice each, each read with both credit rules. The last
# two shorten the history horizon (how far back an earlier touch counts for a session) to 14 and 7 days: with
# the whole journey at risk (`lookback_hours`) the horizon is the lookback, else these are complete histories of
# that length within the capped paths (left truncation by delayed entry)
SPECIFICATIONS = tuple(
    Specification(hours, lookback, presence, rule, horizon)
    for hours, lookback, presence, horizon in (
        (96.0, None, True, None),
        (96.0, None, False, None),
        (192.0, None, True, None),
        (96.0, None, True, 14.0),
        (96.0, None, True, 7.0),
    )
    for rule in ("removal", "shapley")
)


UNCERTAINTY = ("exchangeable", "specifications", "centred", "sampling")
DEFAULT_DRAWS_ONLY = ("exchangeable", "centred")  # modes that draw the default's hazards only
_Fitted = tuple[Design, np.ndarray, np.ndarray]  # design, hazards, lower Cholesky factor of their covariance


@dataclass
class _Member:
    spec: Specification
    design: Design
    hazards: np.ndarray
    root: np.ndarray  # lower Cholesky factor of the hazards' covariance


class CounterfactualModel:
    """Fits every specification once on the observed counts; bootstrap samples cycle through them.

    A refit per bootstrap sample would cost a full maximum likelihood fit each; instead each sample's credit
    comes from hazards drawn from their asymptotic normal distribution (truncated at 0), applied to the
    resampled journey counts.

    uncertainty:
    - "specifications": sample b is a draw of specification b mod K itself (journeys resampled, its
      hazards from its robust covariance); the interval is the quantiles of the pooled draws, so it follows
      where the alternatives lie.
    - "exchangeable" (default): the truth is treated as one more specification, exchangeable with the K fitted ones (the
      statistically indistinguishable ensemble of Annan & Hargreaves 2010; the random-effects prediction
      interval of Higgins, Thompson & Spiegelhalter 2009). Sample b is a draw of the default specification
      (journeys resampled, robust hazards) plus a draw of where a further specification would lie relative to
      it: the specifications' mean deviation from the default plus a multivariate t (K - 1 degrees of freedom)
      with their covariance, scaled by sqrt(1 + 1/K), all on the same resampled journeys. The specification
      part does not shrink with the data: at large N the interval is the specifications' prediction interval.
    - "centred": every sample is a draw of the default specification plus, with alternating sign, the
      difference between specification b mod K and the default on the same resampled journeys: the sampling
      variance plus the specifications' mean squared deviation from the estimate (the law of total variance
      centred on the estimate, Draper 1995). Measured wider and covering less than "specifications"
      (DECISIONS), kept for comparison.
    - "sampling": the default specification only, model-based covariance (inverse information): the
      intervals before model uncertainty was carried.
    """

    def __init__(
        self,
        paths: list[str],
        converted: np.ndarray,
        channels: list[str],
        counts: np.ndarray,
        seed: int = 0,
        hours: list[str] | None = None,
        uncertainty: str = "exchangeable",
        specifications: tuple[Specification, ...] = SPECIFICATIONS,
        window_hours: float | None = None,
        lookback_hours: float | None = None,
    ):
        if uncertainty not in UNCERTAINTY:
            raise ValueError(f"unknown counterfactual uncertainty {uncertainty!r}")
        specs = specifications if uncertainty != "sampling" and hours is not None else specifications[:1]
        self.uncertainty = uncertainty
        # the journeys' lookback (a touch older than this before the end is not in the data); not given: the
        # oldest touch seen
        oldest = max((float(h) for key in hours or [] for h in key.split(SEPARATOR)), default=0.0)
        self.window_hours = float(window_hours) if window_hours is not None else oldest
        # with every session of the journey given (window_hours inf): how far back an earlier touch counts, the
        # horizon of the specifications that set none; None: every touch of the (capped) path counts
        self.lookback_hours = lookback_hours
        self.dilution: float | None = None  # learned on the first specification that leaves it open
        self.dilution_profile: dict[float, float] = {}
        self.converted = np.asarray(converted, dtype=bool)
        self._counts = np.asarray(counts, dtype=float)
        with one_blas_thread():  # 171 parameters: more BLAS threads only contend
            fits = self._fit(specs, paths, converted, channels, counts, hours)
        self.members = [_Member(spec, *fits[spec.fit_key]) for spec in specs]
        default = self.members[0]
        self.design, self.hazards = default.design, default.hazards
        self.credit = key_credit(default.design, default.hazards, default.spec.rule)
        # each specification's credit per key at its fitted hazards, less the default's
        self._deviation = [key_credit(m.design, m.hazards, m.spec.rule) - self.credit for m in self.members]
        self._rng = np.random.default_rng(seed)
        self._samples = 0

    def _fit(self, specs, paths, converted, channels, counts, hours) -> dict[tuple, _Fitted]:
        """One fit per distinct (recency, lookback, counting, horizon): design, hazards, root of their covariance."""
        fits: dict[tuple, _Fitted] = {}
        start = None
        for spec in specs:
            if spec.fit_key in fits:
                continue
            lookback = None if spec.lookback_days is None else spec.lookback_days * 24.0
            horizon = self.lookback_hours if spec.horizon_days is None else spec.horizon_days * 24.0
            horizon = None if horizon is None else min(horizon, self.window_hours)
            design = session_design(
                paths,
                converted,
                channels,
                hours,
                spec.recent_hours,
                lookback,
                spec.presence,
                horizon_hours=horizon,
                window_hours=self.window_hours if horizon is not None else None,
            )
            warm = start is not None and len(start) == design.n_params  # same columns: the default's fit is near
            if spec.dilution is None and self.dilution is None:  # the first: learn the carries' saturation
                self.dilution, design, hazards, self.dilution_profile = profile_dilution(design, counts)
            else:
                design = design.diluted(self.dilution if spec.dilution is None else spec.dilution)
                hazards = fit_hazards(design, counts, start if warm else None)
            root = np.zeros((len(hazards), len(hazards)))
            if start is None or self.uncertainty not in DEFAULT_DRAWS_ONLY:
                covariance = hazard_covariance(design, counts, hazards, robust=self.uncertainty != "sampling")
                root = np.linalg.cholesky(covariance + 1e-15 * np.eye(len(covariance)))
            start = hazards if start is None else start
            fits[spec.fit_key] = (design, hazards, root)
        return fits

    def conversions(self, counts: np.ndarray) -> np.ndarray:
        """Credited conversions per channel for journeys weighted by `counts`: one bootstrap sample (see the
        class docstring for how specifications enter)."""
        k = self._samples % len(self.members)
        sign = 1.0 if (self._samples // len(self.members)) % 2 == 0 else -1.0
        self._samples += 1
        member = self.members[0] if self.uncertainty in DEFAULT_DRAWS_ONLY else self.members[k]
        weights = counts * self.converted
        with one_blas_thread():
            draw = np.maximum(member.hazards + member.root @ self._rng.standard_normal(len(member.hazards)), 0.0)
            converting = member.design.converting_keys  # the other keys have no credit to give
            sample = weights[converting] @ key_credit(member.design, draw, member.spec.rule, converting_only=True)
        if self.uncertainty == "centred":
            sample = sample + sign * (weights @ self._deviation[k])
        elif self.uncertainty == "exchangeable":
            sample = sample + self._further_specification(np.array([weights @ d for d in self._deviation]))
        return sample

    def _further_specification(self, deviations: np.ndarray) -> np.ndarray:
        """A draw of a further specification's conversions less the default's, from the K specifications'
        deviations (K x channels; the default's row is 0): the predictive distribution of a new draw from a
        normal population with unknown mean and covariance, mean + sqrt(1 + 1/K) * t_{K-1}(covariance)."""
        k = len(deviations)
        mean = deviations.mean(axis=0)
        if k < 2:
            return mean
        normal = self._rng.standard_normal(k) @ (deviations - mean) / np.sqrt(k - 1)  # their sample covariance
        t_scale = np.sqrt((k - 1) / self._rng.chisquare(k - 1))
        return mean + np.sqrt(1.0 + 1.0 / k) * t_scale * normal

    def estimate(self, counts: np.ndarray) -> np.ndarray:
        """Credited conversions per channel under the default specification at its fitted hazards."""
        return (counts * self.converted) @ self.credit

    def specification_shares(self) -> dict[Specification, np.ndarray]:
        """Each specification's conversion shares at its fitted hazards (what the spread is made of)."""
        out = {}
        for member, deviation in zip(self.members, self._deviation, strict=True):
            total = (self._counts * self.converted) @ (self.credit + deviation)
            out[member.spec] = total / max(float(total.sum()), 1e-12)
        return out
