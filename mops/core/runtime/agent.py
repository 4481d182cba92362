"""What an agent is: a manifest (what it reads, writes, decides) and a pure function.

The function gets typed frames (one per declared read), the run context and its parameters, and
returns frames (one per declared write) and decisions with confidence. It never opens a
connection, reads the environment or imports Prefect: the runner does all I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field, model_validator

from mops.core.base import StrictModel
from mops.core.runtime.context import RunContext


class FailurePolicy(StrictModel):
    """What the workflow engine does when the agent fails (a workflow spec may override it)."""

    on_failure: Literal["retry", "skip", "halt"] = "halt"
    retries: int = Field(default=0, ge=0, le=10)
    retry_delay_seconds: float = Field(default=1.0, ge=0)


class Read(StrictModel):
    """One input: a dbt model (mart) or another agent's output table.

    version: the contract version read; None reads the latest (unpinned).
    columns / key: what the agent relies on; the input gate checks both on the data read, and a mart read
    with columns fetches only those (with key, window and freshness columns): nothing else is read.
    window_column: read only rows whose value falls in the run window, widened by lookback_days.
    max_age_days: freshness; the newest `freshness_column` value must be at most this many days
    before the window end.
    """

    name: str
    version: int | None = None
    columns: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    window_column: str | None = None
    lookback_days: int = 0
    freshness_column: str | None = None
    max_age_days: float | None = None
    min_rows: int = 1
    volume_tolerance: float = Field(default=0.5, gt=0, description="allowed relative deviation from the median")
    optional: bool = False  # a missing agent output is an empty frame, not an error (first run)

    @model_validator(mode="after")
    def _freshness(self) -> Read:
        if (self.max_age_days is None) != (self.freshness_column is None):
            raise ValueError(f"read {self.name}: freshness needs both freshness_column and max_age_days")
        return self


class Write(StrictModel):
    table: str
    version: int  # the contract version the function returns


class AgentManifest(StrictModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    owner: str
    description: str
    reads: tuple[Read, ...]
    writes: tuple[Write, ...]
    decisions: tuple[str, ...] = ()
    # decision kinds that move money (budgets, bids): a workflow must gate them with an approval rule
    money_decisions: tuple[str, ...] = ()
    needs_pii: bool = False
    failure_policy: FailurePolicy = FailurePolicy()


class Decision(StrictModel):
    """Something an agent decided or flagged, with how sure it is."""

    kind: str
    subject: str  # what it is about: a channel, campaign, segment
    action: str  # e.g. flag_underperforming, shift_budget, threshold_crossed
    value: float | None = None
    low: float | None = None  # interval of `value` where the agent has one
    high: float | None = None
    confidence: float = Field(ge=0, le=1)
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)


@dataclass
class AgentResult:
    outputs: dict[str, pd.DataFrame]  # table -> frame at the manifest's write version
    decisions: list[Decision] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)  # telemetry the agent reports about itself
    artifacts: dict[str, str] = field(default_factory=dict)  # file name -> text (reports); the runner saves them


AgentFunction = Callable[[dict[str, pd.DataFrame], RunContext, Any], AgentResult]
# (table, target version) -> function turning the latest version's frame into the older one
Downgrade = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Agent:
    manifest: AgentManifest
    function: AgentFunction
    parameters: type[BaseModel]
    downgrades: dict[tuple[str, int], Downgrade] = field(default_factory=dict)
    # modules the function imports when it first runs (scipy, statsmodels: seconds of CPU), not at catalog
    # load; a workflow run loads them while its dbt step runs in a child process and this one only waits
    preload: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.manifest.name

    def run(self, inputs: dict[str, pd.DataFrame], context: RunContext, parameters: BaseModel | None = None):
        return self.function(inputs, context, parameters or self.parameters())


def writers_of(agents: dict[str, Agent], table: str) -> list[str]:
    """The agents whose manifests write `table` (one, in a valid catalog)."""
    return [a.name for a in agents.values() if any(w.table == table for w in a.manifest.writes)]


def written_versions(agents: dict[str, Agent], table: str) -> list[int]:
    """The contract versions of `table` that its writers produce (shadows excluded)."""
    return sorted({w.version for a in agents.values() for w in a.manifest.writes if w.table == table})
