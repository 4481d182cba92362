"""Primitives every layer shares: the strict pydantic base and the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Unknown fields are errors (a typo in a spec or a contract must not pass silently); values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def utcnow() -> datetime:
    """Now in UTC, naive: how every `ops` and `_mops_*` timestamp is stored on DuckDB and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def load_yaml(text: str):
    """`yaml.safe_load` through libyaml when PyYAML has it (same safe constructor, ~8x less CPU), else pure Python."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
