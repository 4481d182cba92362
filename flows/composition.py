"""Where the engine gets its agent catalog: the application (the composition root) plugs a provider in.

A module of its own, without the engine's imports, so wiring the catalog costs a command nothing
until a command actually plans or runs a workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mops.core.errors import MopsError

if TYPE_CHECKING:
    from mops.core.catalog import Catalog
    from mops.core.runtime.agent import Agent
    from mops.core.settings import Settings

_catalog_provider: Callable[[Settings], Catalog] | None = None


def use_catalog(provider: Callable[[Settings], Catalog]) -> None:
    """Called once by the application (the composition root), which alone knows where agents live."""
    global _catalog_provider
    _catalog_provider = provider


def catalog(settings: Settings) -> dict[str, Agent]:
    if _catalog_provider is None:
        raise MopsError("no agent catalog: the application builds it (mops.app.catalog.compose()) before runs")
    return _catalog_provider(settings).agents
