"""KPI alerts: spend growing fast while return on it falls (a common sign of buying worse traffic).

Confidence is how sure the data is that conversions per unit of spend really fell: given the
conversions of both periods, under no change each conversion falls in the window with probability
spend_now / (spend_now + spend_before) (a conditional Poisson rate comparison); confidence is one
minus the one-sided binomial p-value. Platform ROAS has no interval of its own; this is its
volume-driven part (order values assumed unchanged).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from mops.runtime.agent import Decision


def rate_fell_confidence(conversions_now: float, spend_now: float, conversions_before: float, spend_before: float):
    """1 - p of the one-sided test that conversions per spend are lower now than before."""
    k = round(conversions_now)
    n = k + round(conversions_before)
    if n == 0 or spend_now <= 0 or spend_before <= 0:
        return 0.0
    p = spend_now / (spend_now + spend_before)
    return float(1.0 - binomtest(k, n, p, alternative="less").pvalue)


def kpi_alerts(
    kpis: pd.DataFrame, labels: dict[tuple[str, str], str], spend_increase: float, roas_decrease: float
) -> list[Decision]:
    """A kpi_alert for each channel or campaign whose daily spend rose by more than `spend_increase`
    while its ROAS fell by more than `roas_decrease` (shares)."""
    wide = kpis[kpis.level.isin(["channel", "campaign"])].pivot_table(
        index=["level", "key"], columns="metric", values=["value", "prior_value", "change_share"], dropna=False
    )
    decisions: list[Decision] = []
    for (level, key), row in wide.iterrows():
        spend_change = row[("change_share", "spend")]
        roas_change = row[("change_share", "roas")]
        if not (np.isfinite(spend_change) and np.isfinite(roas_change)):
            continue
        if spend_change <= spend_increase or roas_change >= -roas_decrease:
            continue
        confidence = rate_fell_confidence(
            row[("value", "conversions")],
            row[("value", "spend")],
            row[("prior_value", "conversions")],
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
                    f"{level} {name}: daily spend {spend_change:+.0%} against the prior period while ROAS "
                    f"{roas_change:+.0%} ({row[('prior_value', 'roas')]:.2f} -> {row[('value', 'roas')]:.2f}); "
                    f"confidence that conversions per unit of spend fell: {confidence:.0%}"
                ),
                details={
                    "level": level,
                    "key": key,
                    "spend_change_share": float(spend_change),
                    "roas_change_share": float(roas_change),
                    "roas": float(row[("value", "roas")]),
                    "roas_prior": float(row[("prior_value", "roas")]),
                },
            )
        )
    return decisions
