"""Attributed conversions and revenue per channel, from the attribution agent's outputs.

Two views, both stated in the report: attribution_credit v1 (pinned; one row per conversion, the
channel with the largest credit) gives whole conversions that add up to the conversions of the
window; attribution_channel_summary v1 gives the model's fractional credit with bootstrap intervals
(and ROAS/CPA on it). Intervals do not add up across channels, so totals carry none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.reporting.kpis import TOTAL_KEY

CREDIT_COLUMNS = ("conversion_id", "channel_id", "conversion_value")
SUMMARY_COLUMNS = (
    "channel_id",
    "is_paid",
    "attributed_conversions",
    "attributed_conversions_low",
    "attributed_conversions_high",
    "attributed_revenue",
    "attributed_revenue_low",
    "attributed_revenue_high",
    "spend",
    "roas",
    "roas_low",
    "roas_high",
    "cpa",
    "cpa_low",
    "cpa_high",
    "is_underperforming",
)
# metric in report_kpis -> (summary column of the point, with _low/_high for the interval)
MODEL_METRICS = {
    "model_conversions": "attributed_conversions",
    "model_revenue": "attributed_revenue",
    "model_roas": "roas",
    "model_cpa": "cpa",
}
# newer columns of the summary, used when present (a summary written before them lacks them)
SUMMARY_OPTIONAL = ("spend_through", "is_spend_stale")
STALE_SPEND_METRICS = ("model_roas", "model_cpa")  # figures that divide by spend
CREDIT_SOURCE = "attribution_credit_v1"
SUMMARY_SOURCE = "attribution_channel_summary_v1"


def attribution_by_channel(credit: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """One row per channel in either input: whole-conversion counts and the model's credit with intervals."""
    counts = (
        credit.assign(conversion_value=pd.to_numeric(credit.conversion_value).astype(float))
        .groupby("channel_id")
        .agg(attributed_conversions=("conversion_id", "size"), attributed_revenue=("conversion_value", "sum"))
        .reset_index()
    )
    summary = summary.assign(**{c: summary.get(c) for c in SUMMARY_OPTIONAL})
    summary["is_spend_stale"] = summary["is_spend_stale"].astype("boolean").fillna(False).astype(bool)
    model = summary[list(SUMMARY_COLUMNS + SUMMARY_OPTIONAL)].rename(
        columns={c: c.replace("attributed_", "model_") for c in SUMMARY_COLUMNS if c.startswith("attributed_")}
    )
    wide = counts.merge(model, on="channel_id", how="outer")
    wide["attributed_conversions"] = wide.attributed_conversions.fillna(0).astype("int64")
    wide["attributed_revenue"] = wide.attributed_revenue.fillna(0.0)
    order = wide.model_conversions.fillna(wide.attributed_conversions)
    return (
        wide.assign(_order=order)
        .sort_values(["_order", "channel_id"], ascending=[False, True])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def attribution_rows(wide: pd.DataFrame, has_credit: bool, has_summary: bool) -> pd.DataFrame:
    """report_kpis rows (without labels/periods) for the channel and total levels."""
    rows: list[dict] = []
    if has_credit:
        for metric in ("attributed_conversions", "attributed_revenue"):
            for channel, value in zip(wide.channel_id, wide[metric], strict=True):
                rows.append({"level": "channel", "key": channel, "metric": metric, "value": float(value)})
            rows.append({"level": "total", "key": TOTAL_KEY, "metric": metric, "value": float(wide[metric].sum())})
        for row in rows:
            row["source"] = CREDIT_SOURCE
    if has_summary:
        summary = wide[wide.model_conversions.notna()]
        for metric, column in MODEL_METRICS.items():
            point = column.replace("attributed_", "model_")
            for _, channel_row in summary.iterrows():
                rows.append(
                    {
                        "level": "channel",
                        "key": channel_row.channel_id,
                        "metric": metric,
                        "value": channel_row[point],
                        "value_low": channel_row[f"{point}_low"],
                        "value_high": channel_row[f"{point}_high"],
                        "source": SUMMARY_SOURCE,
                        "is_stale_spend": metric in STALE_SPEND_METRICS and bool(channel_row.is_spend_stale),
                    }
                )
        for metric in ("model_conversions", "model_revenue"):
            rows.append(
                {
                    "level": "total",
                    "key": TOTAL_KEY,
                    "metric": metric,
                    "value": float(summary[metric].sum()),
                    "source": SUMMARY_SOURCE,
                }
            )
    columns = ["level", "key", "metric", "value", "value_low", "value_high", "source", "is_stale_spend"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["is_stale_spend"] = frame.is_stale_spend.fillna(False).astype(bool)
    for column in ("value", "value_low", "value_high"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    frame.loc[~np.isfinite(frame.value), "value"] = np.nan
    return frame
