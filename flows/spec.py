"""Workflow specs: what `flows/workflows/*.yml` may say, validated by pydantic.

A spec names its trigger (cron schedule with time zone, event, or manual), its steps (a dbt
command or an agent), explicit order where the derived dependencies are not enough, a failure
policy per step (defaulting to the agent manifest's), deadlines, approval rules and concurrency.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, field_validator, model_validator

from mops.core.base import StrictModel, load_yaml
from mops.core.errors import MopsError
from mops.core.monitoring.holds import HOLDABLE

STEP_ID = r"^[a-z][a-z0-9_]*$"


class SpecError(MopsError):
    """A workflow spec that cannot run; the message names the file, the step and the rule."""


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class Schedule(StrictModel):
    cron: str
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from datetime import datetime

        from cronsim import CronSim, CronSimError

        try:
            CronSim(value, datetime(2026, 1, 1))
        except CronSimError as exc:
            raise ValueError(f"bad cron expression {value!r}: {exc}") from exc
        return value

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _zone(v)))


class Trigger(StrictModel):
    """Exactly one of schedule / event; neither means manual only."""

    schedule: Schedule | None = None
    event: str | None = Field(default=None, pattern=r"^[a-z0-9_.]+$")
    max_depth: int = Field(default=3, ge=1, le=10)  # longest causal chain of events that may start this workflow
    cooldown_minutes: float = Field(default=30, ge=0)  # an event-triggered run at most this often

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        if self.schedule and self.event:
            raise ValueError("a trigger is a schedule or an event, not both")
        return self


class StepPolicy(StrictModel):
    on_failure: Literal["retry", "skip", "halt"]
    retries: int = Field(default=0, ge=0, le=10)
    retry_delay_seconds: float = Field(default=1.0, ge=0)
    fallback: Literal["skip", "halt"] = "halt"  # what a retry policy does once retries are exhausted


class Deadline(StrictModel):
    """Finish before HH:MM in a time zone; `account` = the earliest of the ad accounts' zones."""

    before: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "account"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return value if value == "account" else _zone(value)


class Approval(StrictModel):
    """Decisions of `decision` kind whose |value| exceeds `above` wait for a human."""

    decision: str
    above: float = Field(ge=0)
    timeout_minutes: float = Field(default=60, gt=0)
    poll_seconds: float = Field(default=2.0, gt=0)
    # who may approve (governance/policy.yml): a member holding this role in the decision's scope; None = any approver
    approver_role: str | None = None
    # above this |value| two different members must approve (None: one is enough)
    second_approver_above: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _limits(self) -> Approval:
        if self.second_approver_above is not None and self.second_approver_above < self.above:
            raise ValueError(
                f"approval of {self.decision}: second_approver_above ({self.second_approver_above}) "
                f"is below above ({self.above})"
            )
        return self

    def approvals_needed(self, value: float | None) -> int:
        limit = self.second_approver_above
        return 2 if limit is not None and value is not None and abs(value) > limit else 1


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FullRefresh = Literal["never", "always", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class DbtStep(StrictModel):
    command: Literal["build", "run", "test", "seed"] = "build"
    select: str | None = None
    # which runs rebuild incremental models from every raw row (dbt --full-refresh): never, every run,
    # or the runs starting (UTC) on one weekday, e.g. `sunday` for a weekly rebuild
    full_refresh: FullRefresh = "never"
    # build only the models downstream of sources with new data and of changed code (no select given)
    changed_only: bool = True

    @model_validator(mode="after")
    def _refreshable(self) -> DbtStep:
        if self.full_refresh != "never" and self.command == "test":
            raise ValueError("full_refresh applies to dbt build, run and seed, not test")
        return self

    def is_full_refresh(self, day: date) -> bool:
        return self.full_refresh == "always" or self.full_refresh == WEEKDAYS[day.weekday()]


class Step(StrictModel):
    id: str = Field(pattern=STEP_ID)
    agent: str | None = None
    dbt: DbtStep | None = None
    after: tuple[str, ...] = ()
    policy: StepPolicy | None = None
    deadline: Deadline | None = None
    approval: Approval | None = None
    parameters: dict[str, object] = Field(default_factory=dict)
    # anomalies on the step's inputs that hold its money decisions (recorded as held, not applied):
    # KPIs of the ad performance mart (spend, clicks, conversions) or input_rows (the volume of its reads)
    hold_on_anomalies: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _kind(self) -> Step:
        if (self.agent is None) == (self.dbt is None):
            raise ValueError(f"step {self.id}: give exactly one of `agent` or `dbt`")
        if self.dbt and (self.approval or self.parameters or self.hold_on_anomalies):
            raise ValueError(f"step {self.id}: approvals, parameters and hold_on_anomalies apply to agent steps only")
        unknown = [h for h in self.hold_on_anomalies if h not in HOLDABLE]
        if unknown:
            raise ValueError(
                f"step {self.id}: hold_on_anomalies names {', '.join(map(repr, unknown))}, which no detector "
                f"watches (known: {', '.join(HOLDABLE)})"
            )
        return self

    @property
    def kind(self) -> str:
        return "agent" if self.agent else "dbt"


class ContextSpec(StrictModel):
    window_days: int = Field(default=28, ge=1, le=400)
    attribution_model: str = "counterfactual"
    attribution_version: int = 2
    timezone: str = "UTC"


class Concurrency(StrictModel):
    max_parallel: int = Field(default=2, ge=1, le=16)


class WorkflowSpec(StrictModel):
    name: str = Field(pattern=STEP_ID)
    description: str
    trigger: Trigger = Trigger()
    context: ContextSpec = ContextSpec()
    steps: tuple[Step, ...] = Field(min_length=1)
    concurrency: Concurrency = Concurrency()

    @model_validator(mode="after")
    def _unique_steps(self) -> WorkflowSpec:
        ids = [s.id for s in self.steps]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate step ids {duplicates}")
        for step in self.steps:
            unknown = [a for a in step.after if a not in ids]
            if unknown:
                raise ValueError(f"step {step.id}: `after` names unknown steps {unknown}")
        return self


def _clean(exc: Exception) -> str:
    return re.sub(r"\s+For further information visit \S+", "", str(exc))


def parse_spec(text: str, origin: str) -> tuple[WorkflowSpec, str]:
    """The spec and its hash (recorded with every run)."""
    try:
        spec = WorkflowSpec.model_validate(load_yaml(text))
    except yaml.YAMLError as exc:
        raise SpecError(f"workflow {origin}: not valid YAML: {exc}") from exc
    except ValueError as exc:
        raise SpecError(f"workflow {origin}: {_clean(exc)}") from exc
    return spec, hashlib.sha256(text.encode()).hexdigest()[:16]


def load_specs(directory: Path) -> dict[str, tuple[WorkflowSpec, str]]:
    specs: dict[str, tuple[WorkflowSpec, str]] = {}
    for path in sorted(directory.glob("*.yml")):
        spec, digest = parse_spec(path.read_text(), str(path))
        if spec.name != path.stem:
            raise SpecError(f"workflow {path}: name {spec.name!r} must match the file name ({path.stem})")
        specs[spec.name] = (spec, digest)
    return specs
