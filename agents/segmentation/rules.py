"""The declared segment set and the rules that assign it (part of the output contract).

A customer's segment follows from two bands, both relative to the reference date (the run window's end):

- recency band of the last purchase: active (<= recent_days), lapsing (<= lapsing_days),
  dormant (<= lost_days), gone (older);
- frequency band: one order, repeat (2 .. frequent_orders - 1), frequent (>= frequent_orders).

|          | one           | repeat              | frequent   |
|----------|---------------|---------------------|------------|
| active   | new_customers | potential_loyalists | champions  |
| lapsing  | hibernating   | potential_loyalists | loyal      |
| dormant  | lost          | at_risk             | at_risk    |
| gone     | lost          | lost                | lost       |

A contact with no purchase by the reference date is a prospect. Monetary value does not move a
customer between segments (it mostly follows frequency); it ranks customers within one through the
RFM score. Adding or renaming a segment changes the contract's allowed values: a new version.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.segmentation.parameters import SegmentationParameters

SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new_customers",
    "at_risk",
    "hibernating",
    "lost",
    "prospects",
)


def segment_rules(p: SegmentationParameters) -> dict[str, str]:
    """Each segment's rule in words (written into segment_summary so a reader need not open the code)."""
    f = p.frequent_orders
    return {
        "champions": f"last order <= {p.recent_days} days ago and >= {f} orders",
        "loyal": f"last order {p.recent_days + 1}-{p.lapsing_days} days ago and >= {f} orders",
        "potential_loyalists": f"last order <= {p.lapsing_days} days ago and 2-{f - 1} orders",
        "new_customers": f"one order, <= {p.recent_days} days ago",
        "at_risk": f"last order {p.lapsing_days + 1}-{p.lost_days} days ago and >= 2 orders",
        "hibernating": f"one order, {p.recent_days + 1}-{p.lapsing_days} days ago",
        "lost": f"one order > {p.lapsing_days} days ago, or any order count > {p.lost_days} days ago",
        "prospects": "no order by the reference date",
    }


def assign_segments(recency_days: pd.Series, frequency: pd.Series, p: SegmentationParameters) -> pd.Series:
    """The segment of each customer from the recency (days, NaN for no purchase) and order count."""
    r = recency_days.to_numpy(dtype=float)
    f = frequency.to_numpy(dtype=float)
    active = r <= p.recent_days
    lapsing = (r > p.recent_days) & (r <= p.lapsing_days)
    dormant = (r > p.lapsing_days) & (r <= p.lost_days)
    one, frequent = f == 1, f >= p.frequent_orders
    repeat = (f >= 2) & ~frequent
    conditions = [
        f <= 0,
        active & frequent,
        lapsing & frequent,
        (active | lapsing) & repeat,
        active & one,
        dormant & (f >= 2),
        lapsing & one,
    ]
    choices = ["prospects", "champions", "loyal", "potential_loyalists", "new_customers", "at_risk", "hibernating"]
    return pd.Series(np.select(conditions, choices, default="lost"), index=recency_days.index, dtype=object)
