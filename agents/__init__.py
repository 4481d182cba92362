"""The marketing agents. Each sub-package exports AGENT (manifest + pure function + parameters).

Agents import only pandas/numpy/statsmodels/scipy and `mops.runtime.agent` / `mops.runtime.context`;
they never open a connection, read the environment or import Prefect.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from mops.errors import MopsError
from mops.runtime.agent import Agent


@cache
def all_agents() -> dict[str, Agent]:
    """Every agent package under agents/, keyed by manifest name."""
    found: dict[str, Agent] = {}
    for module in pkgutil.iter_modules(__path__):
        if not module.ispkg:
            continue
        agent = getattr(importlib.import_module(f"{__name__}.{module.name}"), "AGENT", None)
        if isinstance(agent, Agent):
            found[agent.name] = agent
    return dict(sorted(found.items()))


def get_agent(name: str) -> Agent:
    agents = all_agents()
    if name not in agents:
        raise MopsError(f"unknown agent {name!r}; known agents: {', '.join(agents) or 'none'}")
    return agents[name]
