"""The agent catalog: every agent and contract of the system, and the dependencies derived from them.

B depends on A when B reads a table A writes; nothing here is hand-written. The application builds
the one catalog from settings (mops.app.catalog); generated views of it are in mops.app.generate_agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

from mops.core.contracts import Contract
from mops.core.errors import MopsError
from mops.core.runtime.agent import Agent, writers_of


class CatalogError(MopsError):
    """Manifests that cannot form one system: a cycle, two writers, an unknown table or version."""


@dataclass(frozen=True)
class Catalog:
    agents: dict[str, Agent]
    contracts: dict[str, Contract]

    def writer_of(self, table: str) -> str | None:
        found = writers_of(self.agents, table)
        return found[0] if found else None

    def upstream(self, name: str) -> list[str]:
        found = []
        for read in self.agents[name].manifest.reads:
            writer = self.writer_of(read.name)
            if writer and writer != name and writer not in found:
                found.append(writer)
        return found

    def downstream(self, name: str) -> list[str]:
        return [other for other in self.agents if name in self.upstream(other)]

    def consumers(self, table: str, version: int | None = None) -> list[tuple[str, int | None]]:
        """Agents reading `table` (pinned version or None for latest); filtered to one version if given."""
        latest = self.contracts[table].latest.version if table in self.contracts else None
        found = []
        for agent in self.agents.values():
            for read in agent.manifest.reads:
                if read.name != table:
                    continue
                effective = read.version if read.version is not None else latest
                if version is None or effective == version:
                    found.append((agent.name, read.version))
        return found

    def validate(self) -> None:
        """Refuse two writers of a table, writes without a contract, unknown versions and cycles."""
        problems = []
        writers: dict[str, list[str]] = {}
        for agent in self.agents.values():
            for write in agent.manifest.writes:
                writers.setdefault(write.table, []).append(agent.name)
                contract = self.contracts.get(write.table)
                if contract is None:
                    problems.append(
                        f"agent {agent.name} writes {write.table}: no contract contracts/agents/{write.table}.yml"
                    )
                elif write.version not in [v.version for v in contract.versions]:
                    problems.append(
                        f"agent {agent.name} writes {write.table} v{write.version}: the contract has no such version"
                    )
            for read in agent.manifest.reads:
                contract = self.contracts.get(read.name)
                if contract and read.version is not None and read.version not in [v.version for v in contract.versions]:
                    problems.append(
                        f"agent {agent.name} reads {read.name} v{read.version}: the contract has no such version"
                    )
            for table, version in agent.downgrades:
                if table in self.contracts and version not in [v.version for v in self.contracts[table].versions]:
                    problems.append(f"agent {agent.name} downgrades {table} to v{version}: no such contract version")
        for table, names in writers.items():
            if len(names) > 1:
                problems.append(
                    f"table {table} is written by {len(names)} agents ({', '.join(names)}): one writer per table"
                )
        if problems:
            raise CatalogError("agent manifests refused:\n  - " + "\n  - ".join(problems))
        self.order()

    def order(self) -> list[str]:
        """Agents in dependency order; a cycle is refused, naming the agents on it."""
        graph = {name: set(self.upstream(name)) for name in self.agents}
        try:
            return list(TopologicalSorter(graph).static_order())
        except CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise CatalogError(f"agent dependency cycle: {cycle} (each reads a table the next one writes)") from exc

    def inventory(self) -> list[dict]:
        rows = []
        for name in self.order():
            manifest = self.agents[name].manifest
            rows.append(
                {
                    "name": name,
                    "owner": manifest.owner,
                    "description": manifest.description,
                    "reads": [
                        {
                            "name": r.name,
                            "version": r.version,
                            "kind": "agent_output" if r.name in self.contracts else "dbt_model",
                            "producer": self.writer_of(r.name),
                        }
                        for r in manifest.reads
                    ],
                    "writes": [
                        {"table": w.table, "version": w.version, "relation": f"agents.{w.table}_v{w.version}"}
                        for w in manifest.writes
                    ],
                    "shadow_versions": [
                        {"table": t, "version": v, "relation": f"agents.{t}_v{v}"}
                        for (t, v) in self.agents[name].downgrades
                    ],
                    "decisions": list(manifest.decisions),
                    "needs_pii": manifest.needs_pii,
                    "failure_policy": manifest.failure_policy.model_dump(),
                    "depends_on": self.upstream(name),
                    "depended_on_by": self.downstream(name),
                }
            )
        return rows
