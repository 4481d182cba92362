"""Tunables of the attribution agent (one pydantic model; the workflow spec may override any)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mops.core.base import StrictModel


class AttributionParameters(StrictModel):
    # touches older than this many days before the journey's end are dropped (the path mart keeps whole
    # journeys unless dbt var mops_attribution_path_history_days caps them); for the counterfactual model, how
    # far back an earlier touch still counts for a session
    lookback_days: int = Field(default=30, ge=1, le=365)
    # channels dropped from a journey that has other channels: GA4's convention for direct visits,
    # which are mostly returns to finish a purchase another channel started (kept on direct-only paths)
    passive_channels: tuple[str, ...] = ("direct",)
    # time decay: a touch this many days before the conversion gets half the weight of one at it
    time_decay_half_life_days: float = Field(default=7.0, gt=0)
    # position based: share of the first and last touch; the rest is spread over the middle touches
    position_first_weight: float = Field(default=0.4, ge=0, le=1)
    position_last_weight: float = Field(default=0.4, ge=0, le=1)
    # Markov chain order (states are the last `markov_order` channels)
    markov_order: int = Field(default=1, ge=1, le=4)
    # Shapley coalition worth: conversions of paths within the coalition (stable; the simplified
    # Shapley value) or their conversion rate counting non-converting journeys (noisier)
    shapley_worth: Literal["conversions", "conversion_rate"] = "conversions"
    # bootstrap over journeys for the channel summary intervals
    bootstrap_samples: int = Field(default=200, ge=20, le=5000)
    seed: int = 20260101
    # counterfactual model: intervals carry the spread of its specifications (recency split, lookback, counting,
    # complete histories, credit rule). "exchangeable": the truth as one more specification (a prediction
    # interval over them, plus the default's sampling draws); "specifications": the pooled draws of every
    # specification; "centred": their spread around the estimate; "sampling": one specification, model-based
    # draws (no model uncertainty, the intervals before)
    # how far back before a conversion the path mart keeps its journey's touches; None (fct_conversion_paths
    # today): every touch since the user's previous conversion. The counterfactual model needs the whole journey:
    # a cap drops sessions that did not convert and so selects sessions by their outcome (DECISIONS: attribution
    # lag); given a cap it can only correct the earlier touches' histories (complete histories, delayed entry)
    path_history_days: int | None = Field(default=None, ge=1)
    counterfactual_uncertainty: Literal["exchangeable", "specifications", "centred", "sampling"] = "exchangeable"
    confidence_level: float = Field(default=0.95, gt=0.5, lt=1)
    # a paid channel is underperforming when its ROAS interval lies entirely below target_roas or
    # its CPA interval entirely above its target CPA (when one is given for it)
    target_roas: float = Field(default=1.0, ge=0)
    target_cpa: dict[str, float] = Field(default_factory=dict)
    # a paid channel whose newest spend day is more than this many days before the window end has stale
    # spend: its ROAS and CPA are withheld (null) and marked (is_spend_stale), never computed on missing days
    spend_max_age_days: float = Field(default=2.0, ge=0)

    @model_validator(mode="after")
    def _positions(self) -> AttributionParameters:
        if self.position_first_weight + self.position_last_weight > 1:
            raise ValueError("position_first_weight + position_last_weight must be at most 1")
        return self
