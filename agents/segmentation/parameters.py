"""Segmentation parameters: the recency and frequency bands (ordered, validated)."""

from __future__ import annotations

from pydantic import Field, model_validator

from mops.core.base import StrictModel


class SegmentationParameters(StrictModel):
    recent_days: int = Field(default=30, ge=0, description="last purchase at most this many days ago: active")
    lapsing_days: int = Field(default=90, ge=0, description="... at most this many: lapsing")
    lost_days: int = Field(default=180, ge=0, description="... at most this many: dormant; older: gone")
    frequent_orders: int = Field(default=3, ge=3, description="orders from which a customer is frequent")

    @model_validator(mode="after")
    def _ordered(self) -> SegmentationParameters:
        if not self.recent_days <= self.lapsing_days <= self.lost_days:
            raise ValueError("recent_days <= lapsing_days <= lost_days must hold")
        return self
