"""The agent's function runs isolated from the warehouse: a connection it opens is refused and named.

Refused by DuckDB (a second connection to the open file with another configuration), by the file lock
(another process) or by the adapter (`connect_duckdb` / `connect_postgres` inside an agent step). The run
fails with the agent and the warehouse named, even when the agent caught the refusal and returned frames:
nothing it returned is written. See mops/core/warehouse/connections.py for the mechanism and its limits.
"""

from __future__ import annotations

from pydantic import BaseModel

from mops.core.errors import WarehouseBypass
from mops.core.runtime.agent import Agent, AgentResult
from mops.core.runtime.context import RunContext
from mops.core.settings import Settings
from mops.core.warehouse.connections import agent_step, is_bypass_refusal


def run_isolated(
    agent: Agent, inputs: dict, context: RunContext, parameters: BaseModel, settings: Settings
) -> AgentResult:
    with agent_step(agent.name) as attempts:
        try:
            result = agent.run(inputs, context, parameters)
        except Exception as exc:
            if not is_bypass_refusal(exc):
                raise
            attempts.append(str(exc))
    if attempts:
        where = "the PostgreSQL warehouse" if settings.warehouse_url else str(settings.warehouse_path)
        raise WarehouseBypass(
            f"agent {agent.name} opened its own connection to the warehouse {where} inside its step "
            f"({len(attempts)} attempt(s), refused): agents read and write only through the runtime; "
            "nothing it returned was written"
        )
    return result
