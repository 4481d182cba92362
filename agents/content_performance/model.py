"""Binomial GLMs of CTR and CVR on copy features, with campaign fixed effects, over ad totals.

Why this model: copy is constant within an ad, so its effect is identified between ads; campaign
fixed effects compare ads only with the other ads of their campaign (which share audience, bids and
placement). Ads vary beyond their copy (image, position, quality), which makes the counts
overdispersed; the default quasi-binomial standard errors scale the binomial ones by the Pearson
dispersion (never below 1), the alternative clusters them by campaign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.content_performance.features import FEATURES


@dataclass
class FittedMetric:
    metric: str
    effects: pd.DataFrame  # one row per estimable feature
    predicted: pd.Series  # predicted rate per ad (index of the ads frame)


def _design(ads: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    campaigns = pd.get_dummies(ads["campaign_key"], prefix="campaign", dtype=float)
    return pd.concat([ads[features].astype(float), campaigns], axis=1)


def estimable_features(ads: pd.DataFrame) -> list[str]:
    """Features that vary between ads of at least one campaign (otherwise the fixed effects absorb them)."""
    varying = ads.groupby("campaign_key")[list(FEATURES)].nunique().max()
    return [f for f in FEATURES if varying.get(f, 0) > 1]


def fit_metric(
    ads: pd.DataFrame,
    metric: str,
    successes: str,
    trials: str,
    confidence_level: float,
    standard_errors: str,
) -> FittedMetric:
    """Fit one binomial GLM: successes out of trials per ad, on features and campaign dummies."""
    data = ads[ads[trials] > 0]
    features = estimable_features(data)
    exog = _design(data, features)
    hits = np.minimum(data[successes].to_numpy(float), data[trials].to_numpy(float))
    endog = np.column_stack([hits, data[trials].to_numpy(float) - hits])
    import statsmodels.api as sm  # loaded by the first run, not with the catalog
    from scipy import stats

    glm = sm.GLM(endog, exog, family=sm.families.Binomial())
    if standard_errors == "cluster_campaign":
        groups = pd.factorize(data["campaign_key"])[0]
        result = glm.fit(cov_type="cluster", cov_kwds={"groups": groups})
    else:
        first = glm.fit()
        dispersion = max(1.0, float(first.pearson_chi2 / max(first.df_resid, 1)))
        result = glm.fit(scale=dispersion)
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    params = result.params[features]
    errors = result.bse[features]
    p_values = 2 * stats.norm.sf(np.abs(params / errors))
    effects = pd.DataFrame(
        {
            "feature": features,
            "metric": metric,
            "effect_type": "odds_ratio",
            "effect": np.exp(params.to_numpy()),
            "effect_low": np.exp((params - z * errors).to_numpy()),
            "effect_high": np.exp((params + z * errors).to_numpy()),
            "log_effect": params.to_numpy(),
            "std_error": errors.to_numpy(),
            "p_value": p_values,
            "is_significant": p_values < 1 - confidence_level,
            "confidence_level": confidence_level,
            "ads": len(data),
            "ads_with_feature": [int(data[f].sum()) for f in features],
            "standard_errors": "cluster_campaign" if standard_errors == "cluster_campaign" else "quasi_binomial",
        }
    )
    predicted = pd.Series(
        result.predict(_design(ads, features).reindex(columns=exog.columns, fill_value=0.0)), index=ads.index
    )
    # a campaign with no trials in the fit has no fixed effect: no prediction for its ads
    predicted[~ads["campaign_key"].isin(data["campaign_key"])] = np.nan
    return FittedMetric(metric, effects.reset_index(drop=True), predicted)
