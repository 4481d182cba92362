"""Parameters of the budget optimization agent (validated before a run)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mops.core.base import StrictModel

HISTORY_LOOKBACK_DAYS = 364  # how far before the run window the runner reads history (manifest lookback)
SPEND_MAX_AGE_DAYS = 2.0  # spend older than this before the window end halts the agent (manifest freshness)


class BudgetParameters(StrictModel):
    total_daily_budget: float | None = Field(default=None, gt=0, description="None keeps the current total")
    objective: Literal["revenue", "conversions"] = "revenue"
    outcome_source: Literal["ga4_last_non_direct", "platform", "attribution"] = Field(
        default="ga4_last_non_direct",
        description="whose outcome the curves learn: GA4 purchases by last non-direct click, the platforms' reported"
        " conversions/value, or the attribution agent's credit (attribution_credit of this run context)",
    )
    extrapolation_cap: float = Field(
        default=1.25,
        ge=1.0,
        le=10.0,
        description="a curve whose saturation is not identified is not followed beyond this multiple of the"
        " channel's highest observed daily spend",
    )
    min_daily_spend: dict[str, float] = Field(default_factory=dict, description="channel -> floor per day")
    max_daily_spend: dict[str, float] = Field(default_factory=dict, description="channel -> cap per day")
    max_daily_change: float = Field(default=0.2, ge=0, le=1, description="largest relative change per channel")
    locked_channels: tuple[str, ...] = Field(default=(), description="committed: stay at current spend")
    history_days: int = Field(default=180, ge=28, le=HISTORY_LOOKBACK_DAYS, description="days the curves learn from")
    current_spend_days: int = Field(default=7, ge=1, le=28, description="days averaged into 'current daily spend'")
    confidence: float = Field(default=0.9, gt=0.5, lt=1, description="interval level; the risk quantile is 1 - it")
    seed: int = 0
    n_draws: int = Field(default=1000, ge=50, le=20_000, description="parameter draws carrying uncertainty")
    allocation_draws: int = Field(default=100, ge=10, le=1000, description="draws re-optimised for direction")
    hill_shape: float | None = Field(default=1.0, gt=0, description="fixed Hill exponent; None estimates it")
    attribution_lookback_days: int = Field(default=7, ge=1, le=90, description="last non-direct click window")
    outcome_settle_days: int = Field(default=1, ge=0, le=7, description="latest days whose outcome is incomplete")
    on_attribution_conflict: Literal["hold", "recommend"] = Field(
        default="hold",
        description="an increase on a channel attribution flags underperforming: hold it at current, or recommend it"
        " anyway; either way a conflict decision is recorded",
    )

    @model_validator(mode="after")
    def _consistent(self) -> BudgetParameters:
        for channel, floor in self.min_daily_spend.items():
            cap = self.max_daily_spend.get(channel)
            if floor < 0 or (cap is not None and cap < floor):
                raise ValueError(f"channel {channel}: min_daily_spend {floor} must be >= 0 and <= max {cap}")
        if any(cap < 0 for cap in self.max_daily_spend.values()):
            raise ValueError("max_daily_spend must be >= 0")
        return self
