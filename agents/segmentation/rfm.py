"""Recency, frequency and monetary value per customer as of the reference date, and the RFM score."""

from __future__ import annotations

from datetime import date

import pandas as pd


def local_dates(timestamps: pd.Series, timezone: str) -> pd.Series:
    """UTC timestamps (naive, as the warehouse stores them) as dates in the run's time zone."""
    stamps = pd.to_datetime(timestamps)
    if timezone != "UTC":
        stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
    return stamps.dt.normalize()


def conversions_as_of(conversions: pd.DataFrame, reference: date, timezone: str) -> pd.DataFrame:
    """Conversions of known customers on or before the reference date (in the run's time zone)."""
    known = conversions[conversions.customer_id.notna()].reset_index(drop=True)
    day = local_dates(known.converted_at, timezone)
    keep = (day <= pd.Timestamp(reference)).to_numpy()
    out = known[keep].copy()
    out["conversion_day"] = day[keep].to_numpy()
    out["revenue"] = pd.to_numeric(out.revenue_in_reporting_currency, errors="coerce").astype(float).fillna(0.0)
    return out


def customers_as_of(customers: pd.DataFrame, reference: date, timezone: str) -> pd.DataFrame:
    """Contacts that existed on the reference date (created on or before it, or of unknown creation)."""
    created = local_dates(customers.created_at, timezone)
    keep = created.isna() | (created <= pd.Timestamp(reference))
    return customers[keep.to_numpy()]


def rfm_table(customers: pd.DataFrame, conversions: pd.DataFrame, reference: date) -> pd.DataFrame:
    """One row per customer: recency_days, frequency, monetary and 0-1 scores (percentile ranks among buyers).

    `conversions` are already cut at the reference date (conversions_as_of). The RFM score is the mean
    of the three percentile ranks; ties share their average rank, so equal customers score equally.
    """
    per_customer = conversions.groupby("customer_id").agg(
        frequency=("conversion_id", "size"),
        monetary=("revenue", "sum"),
        first_converted_at=("converted_at", "min"),
        last_converted_at=("converted_at", "max"),
        last_day=("conversion_day", "max"),
    )
    out = customers[["customer_id", "lifecycle_stage"]].drop_duplicates("customer_id").set_index("customer_id")
    out = out.join(per_customer, how="left")
    out["frequency"] = out.frequency.fillna(0).astype("int64")
    out["monetary"] = out.monetary.fillna(0.0).astype(float)
    out["recency_days"] = (pd.Timestamp(reference) - out.pop("last_day")).dt.days.astype("Int64")
    buyers = out.frequency > 0
    out["recency_score"] = (-out.recency_days[buyers].astype(float)).rank(pct=True)
    out["frequency_score"] = out.frequency[buyers].rank(pct=True)
    out["monetary_score"] = out.monetary[buyers].rank(pct=True)
    out["score"] = out[["recency_score", "frequency_score", "monetary_score"]].mean(axis=1).fillna(0.0)
    out["average_order_value"] = (out.monetary / out.frequency).where(buyers)
    return out.reset_index()
