"""One way to write each number, shared by the HTML and the Markdown so both show the same figures."""

from __future__ import annotations

import math

MONEY = {"spend", "revenue", "cpa", "attributed_revenue", "model_revenue", "model_cpa", "site_revenue"}
COUNTS = {"impressions", "clicks", "conversions", "attributed_conversions", "model_conversions", "site_conversions"}
RATIOS = {"roas", "model_roas", "site_roas"}
PERCENTS = {"ctr"}
LABELS = {
    "spend": "Spend",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "ctr": "CTR",
    "conversions": "Conversions (platform)",
    "revenue": "Revenue (platform)",
    "cpa": "CPA",
    "roas": "ROAS",
    "site_conversions": "Purchases (site)",
    "site_revenue": "Revenue (site)",
    "site_roas": "Site ROAS",
    "attributed_conversions": "Attributed conversions",
    "attributed_revenue": "Attributed revenue",
    "model_conversions": "Model credit (conversions)",
    "model_revenue": "Model credit (revenue)",
    "model_roas": "Model ROAS",
    "model_cpa": "Model CPA",
}
MISSING = "n/a"


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def money(value: float | None, currency: str, decimals: int = 0) -> str:
    return f"{currency} {value:,.{decimals}f}" if is_number(value) else MISSING


def count(value: float | None) -> str:
    if not is_number(value):
        return MISSING
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 or abs(value) >= 1000 else f"{value:,.1f}"


def percent(value: float | None, decimals: int = 2) -> str:
    return f"{value:.{decimals}%}" if is_number(value) else MISSING


def change(value: float | None) -> str:
    """A relative change: +12.3%; n/a when there is nothing to compare with."""
    return f"{value:+.1%}" if is_number(value) else MISSING


def metric(name: str, value: float | None, currency: str) -> str:
    if name in MONEY:
        return money(value, currency, 2 if name.endswith("cpa") else 0)
    if name in RATIOS:
        return f"{value:.2f}" if is_number(value) else MISSING
    if name in PERCENTS:
        return percent(value)
    if name == "model_conversions":  # fractional credit: always one decimal
        return f"{value:,.1f}" if is_number(value) else MISSING
    return count(value)


def interval(name: str, low: float | None, high: float | None, currency: str) -> str:
    if not (is_number(low) and is_number(high)):
        return ""
    return f"[{metric(name, low, currency)} – {metric(name, high, currency)}]"
