"""Pacing parameters: the threshold that flags a channel and which days become decisions."""

from __future__ import annotations

from pydantic import Field

from mops.core.base import StrictModel


class PacingParameters(StrictModel):
    threshold: float = Field(default=0.8, gt=0, description="share of the daily budget that flags a channel")
    decision_days: int = Field(
        default=1, ge=0, description="crossings on the last N days of the window become decisions (1: daily runs)"
    )
