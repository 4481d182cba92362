"""The marketing agents. Each sub-package exports AGENT (manifest + pure function + parameters).

Agents import only pandas/numpy/statsmodels/scipy and `mops.core.runtime.agent` / `mops.core.runtime.context`;
they never open a connection, read the environment or import Prefect.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from mops.core.errors import MopsError
from mops.core.runtime.agent import Agent


@cache
def all_agents(extra_modules: tuple[str, ...] = ()) -> dict[str, Agent]:
    """Every agent package under agents/ and in `extra_modules` (AGENT or AGENTS), keyed by name."""
    found: dict[str, Agent] = {}
    modules = [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if m.ispkg]
    for name in [*modules, *extra_modules]:
        module = importlib.import_module(name)
        candidates = [getattr(module, "AGENT", None), *getattr(module, "AGENTS", ())]
        for agent in candidates:
            if isinstance(agent, Agent):
                if agent.name in found and found[agent.name] is not agent:
                    raise MopsError(f"two agents are named {agent.name!r} (second one in {name})")
                found[agent.name] = agent
    return dict(sorted(found.items()))


def get_agent(name: str, extra_modules: tuple[str, ...] = ()) -> Agent:
    agents = all_agents(extra_modules)
    if name not in agents:
        raise MopsError(f"unknown agent {name!r}; known agents: {', '.join(agents) or 'none'}")
    return agents[name]
