"""The composition root: the one catalog of agents and contracts, built from settings.

Agents are discovered in the sub-packages of `MOPS_AGENT_PACKAGES` (default: the `agents` package)
and in `MOPS_AGENT_MODULES` (modules exporting `AGENT` or `AGENTS`); contracts come from
`contracts/agents/`. Every command and every workflow run uses this catalog, and it is validated
whole (one writer per table, known versions, no cycle), so an external agent cannot bypass the
checks by running in a workflow that does not contain its rivals.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from mops.core.errors import MopsError

if TYPE_CHECKING:  # the catalog's modules (pandas among them) load when a command first needs the catalog
    from mops.core.catalog import Catalog
    from mops.core.runtime.agent import Agent
    from mops.core.settings import Settings


def _import(name: str, setting: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise MopsError(f"agent module {name!r} ({setting}) cannot be imported: {exc}") from exc


@cache
def discover_agents(packages: tuple[str, ...] = ("agents",), extra_modules: tuple[str, ...] = ()) -> dict[str, Agent]:
    """Every agent sub-package of `packages` and every module in `extra_modules` (AGENT or AGENTS), by name."""
    from mops.core.runtime.agent import Agent

    found: dict[str, Agent] = {}
    modules = []
    for package in packages:
        root = _import(package, "MOPS_AGENT_PACKAGES")
        modules += [f"{package}.{m.name}" for m in pkgutil.iter_modules(root.__path__) if m.ispkg]
    for name in [*modules, *extra_modules]:
        module = _import(name, "MOPS_AGENT_MODULES")
        for agent in [getattr(module, "AGENT", None), *getattr(module, "AGENTS", ())]:
            if isinstance(agent, Agent):
                if agent.name in found and found[agent.name] is not agent:
                    raise MopsError(f"two agents are named {agent.name!r} (second one in {name})")
                found[agent.name] = agent
    return dict(sorted(found.items()))


@cache
def _catalog(contracts_dir: Path, packages: tuple[str, ...], extra_modules: tuple[str, ...]) -> Catalog:
    from mops.core.catalog import Catalog
    from mops.core.contracts import load_contracts

    catalog = Catalog(discover_agents(packages, extra_modules), load_contracts(contracts_dir / "agents"))
    catalog.validate()
    return catalog


def build_catalog(settings: Settings) -> Catalog:
    """The validated catalog the settings describe (cached: agents are modules, loaded once)."""
    return _catalog(settings.contracts_dir, tuple(settings.agent_packages), tuple(settings.agent_modules))


def get_agent(settings: Settings, name: str) -> Agent:
    agents = build_catalog(settings).agents
    if name not in agents:
        raise MopsError(f"unknown agent {name!r}; known agents: {', '.join(agents) or 'none'}")
    return agents[name]


def compose() -> None:
    """Wire the catalog into the engine: workflow runs (CLI, served or on a worker) use this one."""
    from flows.composition import use_catalog

    use_catalog(build_catalog)
