"""Content-performance parameters: model settings, action thresholds and the optional notes provider."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from agents.content_performance.notes import NotesProvider
from mops.core.base import StrictModel


class ContentPerformanceParameters(StrictModel):
    model_config = StrictModel.model_config | ConfigDict(arbitrary_types_allowed=True)

    # level of the effect intervals, the score intervals and the significance test
    confidence_level: float = Field(default=0.95, gt=0.5, lt=1)
    # quasi_binomial: binomial SEs scaled by the Pearson dispersion; cluster_campaign: clustered by campaign
    standard_errors: Literal["quasi_binomial", "cluster_campaign"] = "quasi_binomial"
    # body (Google descriptions / Meta primary text) longer than this many characters is long copy
    long_copy_min_chars: int = Field(default=140, ge=1)
    # an ad with fewer impressions, or fewer expected conversions at its campaign's rate, is 'test'
    min_impressions: int = Field(default=1000, ge=0)
    min_expected_conversions: float = Field(default=5.0, gt=0)
    # optional language model for qualitative notes, injected by the runtime (see mops.core.llm)
    notes_provider: NotesProvider | None = None
