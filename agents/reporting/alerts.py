"""KPI alerts: a paid channel's spend growing fast while the return on it falls (buying worse traffic).

Return is site ROAS (purchases dated by purchase, credited to the purchase session's channel), not the
platforms' ROAS: platforms date conversions by click and keep adding them for weeks, so the window's
platform ROAS is always low against the prior period's and would flag every channel that grew.
Confidence is how sure the data is that conversions per unit of spend really fell: given the
conversions of both periods, under no change each conversion falls in the window with probability
spend_now / (spend_now + spend_before) (a conditional Poisson rate comparison); confidence is one
minus the one-sided binomial p-value (the volume-driven part of ROAS; order values assumed unchanged).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mops.core.runtime.agent import Decision


def rate_fell_confidence(conversions_now: float, spend_now: float, conversions_before: float, spend_before: float):
    """1 - p of the one-sided test that conversions per spend are lower now than before."""
    k = round(conversions_now)
    n = k + round(conversions_before)
    if n == 0 or spend_now <= 0 or spend_before <= 0:
        return 0.0
    p = spend_now / (spend_now + spend_before)
    from scipy.stats import binomtest  # loaded by the first run, not with the catalog

    return float(1.0 - binomtest(k, n, p, alternative="less").pvalue)


def kpi_alerts(
    kpis: pd.DataFrame, labels: dict[tuple[str, str], str], spend_increase: float, roas_decrease: float
) -> list[Decision]:
    """A kpi_alert for each channel whose daily spend rose by more than `spend_increase` while its site
    ROAS fell by more than `roas_decrease` (shares)."""
    rows = kpis[(kpis.level == "channel") & kpis.metric.isin(["spend", "site_roas", "site_conversions"])]
    if "site_roas" not in set(rows.metric):
        return []
    wide = rows.pivot_table(
        index=["level", "key"], columns="metric", values=["value", "prior_value", "change_share"], dropna=False
    )
    decisions: list[Decision] = []
    for (level, key), row in wide.iterrows():
        spend_change = row[("change_share", "spend")]
        roas_change = row[("change_share", "site_roas")]
        if not (np.isfinite(spend_change) and np.isfinite(roas_change)):
            continue
        if spend_change <= spend_increase or roas_change >= -roas_decrease:
            continue
        confidence = rate_fell_confidence(
            row[("value", "site_conversions")],
            row[("value", "spend")],
            row[("prior_value", "site_conversions")],
            row[("prior_value", "spend")],
        )
        name = labels.get((level, key), key)
        decisions.append(
            Decision(
                kind="kpi_alert",
                subject=f"{level}:{key}",
                action="spend_up_roas_down",
                value=float(roas_change),
                confidence=round(confidence, 4),
                reason=(
                    f"{name}: daily spend {spend_change:+.0%} against the prior period while site ROAS "
                    f"{roas_change:+.0%} ({row[('prior_value', 'site_roas')]:.2f} -> "
                    f"{row[('value', 'site_roas')]:.2f}); confidence that purchases per unit of spend fell: "
                    f"{confidence:.0%}"
                ),
                details={
                    "level": level,
                    "key": key,
                    "spend_change_share": float(spend_change),
                    "roas_change_share": float(roas_change),
                    "site_roas": float(row[("value", "site_roas")]),
                    "site_roas_prior": float(row[("prior_value", "site_roas")]),
                },
            )
        )
    return decisions
