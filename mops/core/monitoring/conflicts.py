"""Contradictory decisions across agents, from one table of rules.

A rule relates two sides: the decision that would act (side a) and the signal it contradicts (side b),
each an agent, decision kinds and actions, and a key naming what both are about (a channel). Two
decisions conflict when a rule matches both, their keys agree, and they were made within `lookback` of
each other (one run, or recent runs). Each conflict carries both sides, their run ids, and what was done
with side a (held, applied, pending approval...) from `ops.applied_decisions`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from mops.core.base import StrictModel

COMMITMENTS = "commitments"  # the pseudo-agent whose "decisions" are stakeholder commitments


def _subject(decision) -> str | None:
    return decision.subject


def _campaign_channel(decision) -> str | None:
    """A creative's channel: campaign_key is `platform:campaign_id` and a paid channel_id is its platform."""
    campaign = (decision.details or {}).get("campaign_key")
    return str(campaign).split(":", 1)[0] if campaign else None


@dataclass(frozen=True)
class Side:
    agent: str
    kinds: tuple[str, ...]
    actions: tuple[str, ...] | None = None  # None: any action of those kinds
    key: Callable = _subject

    def matches(self, decision) -> bool:
        return (
            decision.agent == self.agent
            and decision.kind in self.kinds
            and (self.actions is None or decision.action in self.actions)
        )


@dataclass(frozen=True)
class ConflictRule:
    name: str
    a: Side
    b: Side
    message: str  # formatted with subject, a (side a's decision) and b


RAISE = Side("budget_optimizer", ("shift_budget",), ("increase_spend",))
RAISE_OR_HELD = Side(
    "budget_optimizer",
    ("shift_budget", "conflict"),
    ("increase_spend", "held_at_current_spend", "recommended_increase_anyway"),
)

RULES: tuple[ConflictRule, ...] = (
    ConflictRule(
        "increase_on_underperforming",
        RAISE_OR_HELD,
        Side("attribution", ("flag_underperforming",)),
        "budget_optimizer wants more spend on {subject}, which attribution flags as underperforming",
    ),
    ConflictRule(
        "increase_on_over_pacing",
        RAISE,
        Side("pacing", ("threshold_crossed",), ("flag_over_pacing",)),
        "budget_optimizer raises {subject}, which pacing reports as over-pacing",
    ),
    ConflictRule(
        "pause_creative_in_scaled_campaign",
        Side("content_performance", ("creative",), ("pause_creative",), _campaign_channel),
        RAISE,
        "content_performance says to pause creative {a.subject} in campaign {a.details[campaign_key]}, "
        "while budget_optimizer raises its channel {subject}",
    ),
    ConflictRule(
        "shift_against_locked_commitment",
        Side("budget_optimizer", ("shift_budget",)),
        Side(COMMITMENTS, ("locked_commitment",)),
        "budget_optimizer shifts {subject} ({a.action}) against a locked commitment: {b.reason}",
    ),
)


class Conflict(StrictModel):
    conflict_id: str
    rule: str
    subject: str
    a_agent: str
    a_kind: str
    a_action: str
    a_run_id: str | None
    a_reason: str | None
    b_agent: str
    b_kind: str
    b_action: str
    b_run_id: str | None
    b_reason: str | None
    outcome: str
    message: str


def commitment_decisions(commitments: dict[str, str]) -> pd.DataFrame:
    """Stakeholder commitments (channel -> what was promised) as the decisions side b of a rule reads."""
    return pd.DataFrame(
        [
            {
                "run_id": None,
                "agent": COMMITMENTS,
                "kind": "locked_commitment",
                "subject": channel,
                "action": "locked",
                "reason": note,
                "details": {},
                "decided_at": pd.NaT,
            }
            for channel, note in commitments.items()
        ]
    )


def _outcome(decision, applied: pd.DataFrame) -> str:
    if decision.action == "held_at_current_spend":
        return "held"
    if applied is not None and not applied.empty:
        match = applied[(applied.run_id == decision.run_id) & (applied.subject == decision.subject)]
        if not match.empty:
            return str(match.status.iloc[-1])
    return "recorded"


def _close(a, b, lookback: timedelta) -> bool:
    """Within `lookback` of each other: by the days their runs were about when both are known (a backfill
    decides many days at once), else by when they were decided."""
    day_a, day_b = getattr(a, "day", None), getattr(b, "day", None)
    if day_a is not None and day_b is not None and not pd.isna(day_a) and not pd.isna(day_b):
        return abs(pd.Timestamp(day_a) - pd.Timestamp(day_b)) <= lookback
    if pd.isna(a.decided_at) or pd.isna(b.decided_at):
        return True  # a standing commitment has no time
    return abs(pd.Timestamp(a.decided_at) - pd.Timestamp(b.decided_at)) <= lookback


def find_conflicts(
    decisions: pd.DataFrame,
    applied: pd.DataFrame | None = None,
    commitments: dict[str, str] | None = None,
    rules: tuple[ConflictRule, ...] = RULES,
    lookback: timedelta = timedelta(days=2),
) -> list[Conflict]:
    """Every pair of decisions a rule says contradict each other (details already parsed into dicts)."""
    frames = [f for f in (decisions, commitment_decisions(commitments or {})) if not f.empty]
    rows = list(pd.concat(frames, ignore_index=True).itertuples()) if frames else []
    found: dict[str, Conflict] = {}
    for rule in rules:
        sides_a = [d for d in rows if rule.a.matches(d)]
        sides_b = [d for d in rows if rule.b.matches(d)]
        for a in sides_a:
            key = rule.a.key(a)
            for b in sides_b:
                if key is None or key != rule.b.key(b) or not _close(a, b, lookback):
                    continue
                conflict_id = hashlib.sha256(f"{rule.name}|{key}|{a.run_id}|{b.run_id}".encode()).hexdigest()[:16]
                found.setdefault(conflict_id, _conflict(conflict_id, rule, key, a, b, applied))
    return list(found.values())


def _conflict(conflict_id, rule, key, a, b, applied) -> Conflict:
    def text(value):
        return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)

    return Conflict(
        conflict_id=conflict_id,
        rule=rule.name,
        subject=key,
        a_agent=a.agent,
        a_kind=a.kind,
        a_action=a.action,
        a_run_id=text(a.run_id),
        a_reason=text(a.reason),
        b_agent=b.agent,
        b_kind=b.kind,
        b_action=b.action,
        b_run_id=text(b.run_id),
        b_reason=text(b.reason),
        outcome=_outcome(a, applied),
        message=rule.message.format(subject=key, a=a, b=b),
    )
