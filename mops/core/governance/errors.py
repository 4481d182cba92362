"""Governance errors: each names who, what and on which object, so the message alone says what to change."""

from __future__ import annotations

from mops.core.errors import MopsError


class PolicyError(MopsError):
    """governance/policy.yml cannot be used (unknown role or action, bad scope, bad YAML)."""


class LedgerError(MopsError):
    """The audit ledger cannot be appended to (its chain is broken, or its head file disagrees)."""


class PermissionRefused(MopsError):
    """An actor tried an action the policy does not give them (or separation of duties forbids)."""

    def __init__(self, actor: str, action: str, object: str, needed: str):
        self.actor = actor
        self.action = action
        self.object = object
        self.needed = needed
        super().__init__(f"{actor!r} may not {action} on {object}: {needed}")
