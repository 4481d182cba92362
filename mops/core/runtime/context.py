"""The run context: one object per run, stamped on every output row set."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mops.core.errors import MopsError

ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
    "counterfactual",
)


# the agent output whose contract version `RunContext.attribution_version` names
ATTRIBUTION_OUTPUT = "attribution_credit"


class ContextMismatch(MopsError):
    """An output read by a consumer was written under another run context."""


class RunContext(BaseModel):
    """What every agent of one run agrees on; outputs carry it, consumers check it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    window_start: date
    window_end: date
    # the model with the smallest worst-case error against causal truth across the simulated worlds
    # (bench/attribution_worlds.py; DECISIONS): the counterfactual session-level model
    attribution_model: str = "counterfactual"
    attribution_version: int = 2  # the ATTRIBUTION_OUTPUT contract version the run produces
    reporting_currency: str = "USD"
    timezone: str = "UTC"
    # inputs the workflow engine let this step read from an earlier run (an upstream step failed
    # under the skip policy); agents show them, e.g. the report marks those numbers as stale
    stale_inputs: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> RunContext:
        if self.window_end < self.window_start:
            raise ValueError(f"window_end {self.window_end} is before window_start {self.window_start}")
        if self.attribution_model not in ATTRIBUTION_MODELS:
            raise ValueError(f"attribution_model {self.attribution_model!r} not in {ATTRIBUTION_MODELS}")
        return self

    @classmethod
    def for_day(cls, day: date, window_days: int = 28, **values) -> RunContext:
        """The context of a run on `day`: the window is the `window_days` days ending that day."""
        return cls(window_start=day - timedelta(days=window_days - 1), window_end=day, **values)

    @property
    def window_days(self) -> int:
        return (self.window_end - self.window_start).days + 1

    def agreement(self) -> dict[str, str]:
        """The fields two runs must share for one to read the other's outputs (run id excluded)."""
        return {
            "window": f"{self.window_start}..{self.window_end}",
            "attribution": f"{self.attribution_model} v{self.attribution_version}",
            "currency": self.reporting_currency,
            "timezone": self.timezone,
        }

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.agreement(), sort_keys=True).encode()).hexdigest()[:16]

    def describe(self) -> str:
        a = self.agreement()
        return f"run {self.run_id}: window {a['window']}, {a['attribution']}, {a['currency']}, {a['timezone']}"

    def stamp(self) -> dict[str, object]:
        return {
            "_mops_run_id": self.run_id,
            "_mops_context_key": self.key,
            "_mops_window_start": self.window_start,
            "_mops_window_end": self.window_end,
            "_mops_attribution_model": self.attribution_model,
            "_mops_attribution_version": self.attribution_version,
            "_mops_reporting_currency": self.reporting_currency,
            "_mops_timezone": self.timezone,
        }

    @classmethod
    def from_stamp(cls, row: dict) -> RunContext:
        return cls(
            run_id=str(row["_mops_run_id"]),
            window_start=row["_mops_window_start"],
            window_end=row["_mops_window_end"],
            attribution_model=str(row["_mops_attribution_model"]),
            attribution_version=int(row["_mops_attribution_version"]),
            reporting_currency=str(row["_mops_reporting_currency"]),
            timezone=str(row["_mops_timezone"]),
        )
