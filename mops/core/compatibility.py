"""Change classification between two versions of an agent contract (Confluent Schema Registry's modes).

BACKWARD: a reader of the new version can read data written as the old; FORWARD: a reader of the old
version can read data written as the new; FULL: both; else BREAKING. A grain (key) change or a changed
semantic check is BREAKING.
"""

from __future__ import annotations

from mops.core.base import StrictModel
from mops.core.contracts import ContractVersion

WIDENINGS = {("bigint", "double")}


class Change(StrictModel):
    """One difference between two versions and which readers it leaves working."""

    text: str
    backward: bool  # a reader of the new version can read data written as the old
    forward: bool  # a reader of the old version can read data written as the new


def mode_of(changes: list[Change]) -> str:
    if not changes:
        return "UNCHANGED"
    backward = all(c.backward for c in changes)
    forward = all(c.forward for c in changes)
    if backward and forward:
        return "FULL"
    if backward:
        return "BACKWARD"
    if forward:
        return "FORWARD"
    return "BREAKING"


def satisfies(mode: str, required: str) -> bool:
    return mode in ("UNCHANGED", "FULL") or mode == required


def classify(old: ContractVersion, new: ContractVersion) -> list[Change]:
    """The changes from `old` to `new`, each with Confluent's backward/forward semantics."""
    changes: list[Change] = []
    if tuple(old.key) != tuple(new.key):
        changes.append(
            Change(text=f"key {list(old.key)} -> {list(new.key)} (grain changed)", backward=False, forward=False)
        )
    old_cols = {c.name: c for c in old.columns}
    new_cols = {c.name: c for c in new.columns}
    for name, col in old_cols.items():
        if name not in new_cols:
            changes.append(Change(text=f"column {name} removed", backward=True, forward=col.nullable))
    for name, col in new_cols.items():
        if name not in old_cols:
            changes.append(
                Change(
                    text=f"column {name} added ({'nullable' if col.nullable else 'not null'})",
                    backward=col.nullable,
                    forward=True,
                )
            )
            continue
        before = old_cols[name]
        if before.type != col.type:
            widening = (before.type, col.type) in WIDENINGS
            changes.append(
                Change(text=f"column {name} type {before.type} -> {col.type}", backward=widening, forward=False)
            )
        if before.nullable != col.nullable:
            changes.append(
                Change(
                    text=f"column {name} {'now nullable' if col.nullable else 'now not null'}",
                    backward=col.nullable,
                    forward=not col.nullable,
                )
            )
        if before.allowed_values != col.allowed_values:
            old_set = set(before.allowed_values or ())
            new_set = set(col.allowed_values or ())
            if before.allowed_values is None or col.allowed_values is None:
                widened = col.allowed_values is None
                changes.append(
                    Change(
                        text=f"column {name} allowed values {'removed' if widened else 'added'}",
                        backward=widened,
                        forward=not widened,
                    )
                )
            else:
                if new_set - old_set:
                    changes.append(
                        Change(
                            text=f"column {name} allows new values {sorted(new_set - old_set)}",
                            backward=True,
                            forward=False,
                        )
                    )
                if old_set - new_set:
                    changes.append(
                        Change(
                            text=f"column {name} no longer allows {sorted(old_set - new_set)}",
                            backward=False,
                            forward=True,
                        )
                    )
    old_checks = {c.name: c for c in old.checks}
    new_checks = {c.name: c for c in new.checks}
    for name in old_checks.keys() - new_checks.keys():
        changes.append(Change(text=f"check {name} removed", backward=True, forward=False))
    for name in new_checks.keys() - old_checks.keys():
        changes.append(Change(text=f"check {name} added", backward=False, forward=True))
    for name in old_checks.keys() & new_checks.keys():
        if old_checks[name] != new_checks[name]:
            changes.append(Change(text=f"check {name} changed", backward=False, forward=False))
    return changes


# --- generated representations ----------------------------------------------------------------
