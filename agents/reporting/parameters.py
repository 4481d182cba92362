"""Parameters of the reporting agent (defaults suit the daily 28-day run)."""

from __future__ import annotations

from pydantic import Field

from mops.core.base import StrictModel

# The longest prior period the manifest reads before the window (fct_ad_performance_daily lookback).
MAX_PRIOR_DAYS = 91


class ReportingParameters(StrictModel):
    # days of the comparison period just before the window; None: as many as the window has
    prior_days: int | None = Field(default=None, ge=1, le=MAX_PRIOR_DAYS)
    # a channel or campaign whose daily spend grew by more than this while its ROAS fell is flagged
    alert_spend_increase: float = Field(default=0.30, ge=0)
    # ... and only when the ROAS fell by at least this share (0: any fall)
    alert_roas_decrease: float = Field(default=0.0, ge=0, le=1)
    # campaigns listed in the report (by spend); the report_kpis table holds all of them
    campaigns_shown: int = Field(default=25, ge=1)
