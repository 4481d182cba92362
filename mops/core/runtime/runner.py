"""Run one agent: gate its inputs, call its pure function, gate its outputs, write them atomically.

The data path of DESIGN.md, in code: read marts (resolved through dbt's manifest) and upstream
agent outputs (checked against the run context), hand typed frames to the agent, validate what
it returns against its contracts, add shadow versions for pinned consumers, stamp the run context
and replace the tables in one transaction. Every run, decision and read volume is logged in `ops`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from mops.core.availability import InputUnavailable, unavailable_reasons
from mops.core.base import utcnow
from mops.core.contracts import STAMP_COLUMNS, Contract, ContractVersion, load_contracts, validate_frame
from mops.core.errors import MopsError
from mops.core.ops import OpsLog
from mops.core.ops import writers as writer_conflicts
from mops.core.ops.volumes import ReadKind, comparable_volumes, record_reads
from mops.core.runtime.agent import Agent, AgentResult, Decision, Read, writers_of
from mops.core.runtime.context import ContextMismatch, RunContext
from mops.core.runtime.gates import (
    GateFailed,
    check_freshness,
    check_model_schema,
    check_read_expectations,
    check_volume,
)
from mops.core.runtime.isolation import run_isolated
from mops.core.runtime.provenance import Provenance
from mops.core.sqltypes import SQL_TYPES
from mops.core.warehouse.adapter import Warehouse, Window

AGENTS_SCHEMA = "agents"


class PermissionDenied(MopsError):
    """The run lacks a permission the agent needs (e.g. PII)."""


@dataclass
class AgentRun:
    agent: str
    context: RunContext
    status: str  # succeeded | gate_failed | failed | skipped (input unavailable)
    started_at: datetime
    duration_s: float
    compute_s: float = 0.0  # time inside the agent's pure function
    rows_written: dict[str, int] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)
    message: str = ""


class Runner:
    """Runs agents against one warehouse; holds the contracts and the clock used for deprecations."""

    def __init__(
        self,
        warehouse: Warehouse,
        today: date | None = None,
        allow_pii: bool = False,
        catalog: dict[str, Agent] | None = None,
        contracts: dict[str, Contract] | None = None,
        mode: str = "live",
        actor: str | None = None,
    ):
        self.warehouse = warehouse
        self.ops = OpsLog(warehouse)
        self.catalog = catalog or {}
        self.settings = warehouse.settings
        self.contracts = contracts if contracts is not None else load_contracts(self.settings.contracts_dir / "agents")
        self.today = today or datetime.now(UTC).date()
        self.allow_pii = allow_pii
        self.mode = mode  # live | backfill: the volume gate compares a read only with reads of the same mode
        self.notes: list[str] = []  # what the runner did that the run summary should mention
        self.actor = actor  # who the ledger records for each agent run (default: the resolved identity)
        self.sources: dict[str, tuple[str, int | None]] = {}  # read name -> (relation, version) last read
        self.written: dict[tuple[str, str], int] = {}  # (schema, table) -> contract version last written

    # --- inputs -------------------------------------------------------------------------------

    def _window(self, read: Read, context: RunContext) -> Window | None:
        if read.window_column is None:
            return None
        return Window(read.window_column, context.window_start - timedelta(days=read.lookback_days), context.window_end)

    def _history(self, agent: str, label: str, context: RunContext) -> list[int]:
        return comparable_volumes(self.ops, ReadKind(agent, label, self.mode, context.window_days))

    def _read_agent_table(self, agent: Agent, read: Read, context: RunContext) -> tuple[str, pd.DataFrame, list[str]]:
        contract = self.contracts[read.name]
        version = contract.version(read.version)
        label = f"{AGENTS_SCHEMA}.{contract.relation_name(version.version)}" + ("" if read.version else " (unpinned)")
        problems: list[str] = []
        if version.deprecation_date and self.today > version.deprecation_date and version is not contract.latest:
            problems.append(
                f"{label}: version: v{version.version} was deprecated on {version.deprecation_date} and is no longer "
                f"produced; agent {agent.name} still pins it: move it to v{contract.latest.version}"
            )
            return label, pd.DataFrame(), problems
        name = contract.relation_name(version.version)
        self.sources[read.name] = (f"{AGENTS_SCHEMA}.{name}", version.version)
        if not self.warehouse.exists(AGENTS_SCHEMA, name):
            if read.optional:
                return label, pd.DataFrame(columns=version.column_names), problems
            producers = writers_of(self.catalog, read.name)
            problems.append(
                f"{label}: relation: does not exist yet; run its producer first ({', '.join(producers) or 'unknown'})"
            )
            return label, pd.DataFrame(), problems
        window = self._window(read, context)
        frame = self.warehouse.read(AGENTS_SCHEMA, name, window=window, equals={"_mops_context_key": context.key})
        if frame.empty:
            newest = self.warehouse.query(
                f"select * from {AGENTS_SCHEMA}.{name} order by _mops_written_at desc limit 1"
            )
            if not newest.empty and read.name in context.stale_inputs:
                # the engine accepted a stale input (skip policy upstream): read the newest run's rows
                frame = self.warehouse.read(
                    AGENTS_SCHEMA,
                    name,
                    window=window,
                    equals={"_mops_context_key": newest["_mops_context_key"].iloc[0]},
                )
            elif not newest.empty and read.optional:
                self.notes.append(f"{label}: no rows for this run context; read as empty (optional input)")
                return label, pd.DataFrame(columns=version.column_names), problems
            elif not newest.empty:
                other = RunContext.from_stamp(newest.iloc[0].to_dict())
                self._record_mismatch(agent, read, label, context, other)
                raise ContextMismatch(
                    f"agent {agent.name} would read {label}, which holds no rows for this run context; its newest "
                    f"rows were written by {other.describe()}; this run is {context.describe()}"
                )
        frame = frame[[c for c in frame.columns if not c.startswith("_mops_")]]
        return label, frame, problems

    def _record_mismatch(self, agent: Agent, read: Read, label: str, context: RunContext, other: RunContext) -> None:
        """A read under another run context is a writer conflict: both sides and run ids in ops.conflicts."""
        producer = ", ".join(writers_of(self.catalog, read.name)) or "unknown"
        newest = {"run_id": other.run_id, "describe": other.describe()}
        row = writer_conflicts.context_mismatch(agent.name, context.run_id, label, context.describe(), newest, producer)
        if self.ops.query("conflicts", "conflict_id = ?", [row["conflict_id"]]).empty:  # once, however often refused
            self.ops.append("conflicts", [row])

    def _read_model(self, agent: Agent, read: Read, context: RunContext) -> tuple[str, pd.DataFrame, list[str]]:
        relation = self.warehouse.manifest.resolve(read.name, read.version)
        label = relation.label
        self.sources[read.name] = (f"{relation.schema}.{relation.name}", relation.version)
        actual = self.warehouse.columns(relation.schema, relation.name)
        if not actual:
            return label, pd.DataFrame(), [f"{label}: relation: not in the warehouse (run `mops build`)"]
        hidden = set(relation.pii_columns) if not (agent.manifest.needs_pii and self.allow_pii) else set()
        # a database role without PII privileges does not see those columns at all (PostgreSQL grants)
        unreadable = [c for c in relation.pii_columns if c not in hidden and c not in actual]
        hidden |= set(unreadable)
        expected = {c: t for c, t in relation.columns.items() if c not in hidden}
        problems = check_model_schema(label, expected, {c: t for c, t in actual.items() if c not in hidden})
        problems += [
            f"{label}: column {c}: PII: granted to this run but not readable by its database role "
            "(connect as the PII role, see `mops warehouse grants`)"
            for c in unreadable
        ]
        columns = [c for c in actual if c not in hidden and c in _relied_on(read, actual)]
        frame = self.warehouse.read(relation.schema, relation.name, columns, self._window(read, context))
        return label, frame, problems

    def read_inputs(self, agent: Agent, context: RunContext, record: bool = False) -> dict[str, pd.DataFrame]:
        """Every declared input, gated: schema, freshness, volume and the grain the reader assumes."""
        if agent.manifest.needs_pii and not self.allow_pii:
            raise PermissionDenied(f"agent {agent.name} needs PII and this run has no PII permission")
        unavailable = unavailable_reasons(self.warehouse, agent)
        if unavailable:  # its landing data was never loaded: skipped with the reason, not failed
            raise InputUnavailable(agent.name, unavailable)
        inputs: dict[str, pd.DataFrame] = {}
        problems: list[str] = []
        reads: list[dict] = []
        for read in agent.manifest.reads:
            reader = self._read_agent_table if read.name in self.contracts else self._read_model
            label, frame, found = reader(agent, read, context)
            problems += found
            if found:
                continue
            found = check_read_expectations(label, read, frame)
            if not (read.optional and frame.empty):
                found += check_volume(label, read, len(frame), self._history(agent.name, label, context))
                newest = frame[read.freshness_column].max() if read.freshness_column in frame else None
                found += check_freshness(label, read, newest, context.window_end)
            problems += found
            status = "gate_failed" if found else "passed"
            reads.append({"agent": agent.name, "input": label, "rows": len(frame), "is_optional": read.optional})
            reads[-1]["status"] = status
            inputs[read.name] = frame
        if record and reads:  # failed reads too: a lasting new level must be able to move the median
            record_reads(self.ops, context.run_id, context.key, reads, self.mode, context.window_days)
        if problems:
            raise GateFailed(agent.name, "input", problems)
        return inputs

    # --- outputs ------------------------------------------------------------------------------

    def _typed(self, frame: pd.DataFrame, version: ContractVersion, context: RunContext, written_at: datetime):
        stamped = frame[version.column_names].copy()
        for column, value in context.stamp().items():
            stamped[column] = value
        stamped["_mops_written_at"] = written_at
        types = {c.name: SQL_TYPES[c.type] for c in version.columns}
        types.update({name: SQL_TYPES[kind] for name, kind, _ in STAMP_COLUMNS})
        return stamped, types

    def output_tables(self, agent: Agent, result: AgentResult, context: RunContext) -> dict:
        """The tables to write (latest and shadow versions), each validated against its contract."""
        problems: list[str] = []
        tables = {}
        written_at = utcnow()
        for write in agent.manifest.writes:
            contract = self.contracts[write.table]
            version = contract.version(write.version)
            frame = result.outputs.get(write.table)
            if frame is None:
                problems.append(f"{write.table} v{write.version}: output: the agent returned no frame")
                continue
            found = validate_frame(frame, version, write.table) + _undeclared_pii(frame, version, write)
            problems += found
            if found:
                continue
            tables[(AGENTS_SCHEMA, contract.relation_name(version.version))] = self._typed(
                frame, version, context, written_at
            )
            self.written[(AGENTS_SCHEMA, contract.relation_name(version.version))] = version.version
            for (table, old), downgrade in agent.downgrades.items():
                if table != write.table:
                    continue
                shadow = contract.version(old)
                if shadow.deprecation_date and self.today > shadow.deprecation_date:
                    continue  # past its deprecation date: no longer produced
                shadow_frame = downgrade(frame)
                found = validate_frame(shadow_frame, shadow, f"{table} (shadow of v{version.version})")
                problems += found
                if not found:
                    tables[(AGENTS_SCHEMA, contract.relation_name(old))] = self._typed(
                        shadow_frame, shadow, context, written_at
                    )
                    self.written[(AGENTS_SCHEMA, contract.relation_name(old))] = old
        if problems:
            raise GateFailed(agent.name, "output", problems)
        return tables

    # --- one run --------------------------------------------------------------------------------

    def run(self, agent: Agent, context: RunContext, parameters: BaseModel | None = None) -> AgentRun:
        """Gate, run, validate and write; on any failure the previous outputs stay whole."""
        started = utcnow()
        clock = time.perf_counter()
        run = AgentRun(agent.name, context, "failed", started, 0.0)
        evidence = Provenance()
        try:
            try:
                inputs = self.read_inputs(agent, context, record=True)
            except InputUnavailable:
                run.status = "skipped"
                raise
            except (GateFailed, ContextMismatch, PermissionDenied) as exc:
                run.status = "gate_failed"
                raise exc
            for name, frame in inputs.items():
                evidence.read(*self.sources.get(name, (name, None)), frame)
            parameters = self._with_providers(agent, parameters)
            compute = time.perf_counter()
            result = run_isolated(agent, inputs, context, parameters, self.settings)
            run.compute_s = time.perf_counter() - compute
            try:
                tables = self.output_tables(agent, result, context)
            except GateFailed:
                run.status = "gate_failed"
                raise
            self.warehouse.replace_partitions(tables, "_mops_context_key", context.key)
            for (schema, name), (frame, _) in tables.items():
                evidence.wrote(f"{schema}.{name}", self.written[(schema, name)], frame)
            run.status = "succeeded"
            run.rows_written = {f"{schema}.{name}": len(frame) for (schema, name), (frame, _) in tables.items()}
            run.decisions = list(result.decisions)
            run.metrics = dict(result.metrics)
            run.artifacts = self._save_artifacts(agent, context, result)
            return run
        except Exception as exc:
            run.message = str(exc)
            raise
        finally:
            run.duration_s = time.perf_counter() - clock
            self._log(run)
            self._ledger(run, evidence)

    def _ledger(self, run: AgentRun, evidence: Provenance) -> None:
        """Governance: each agent run in the audit ledger, with what it read and wrote (rows, content hashes)."""
        from mops.core.governance.identity import resolve_actor
        from mops.core.governance.ledger import Ledger

        details = {"status": run.status, "context_key": run.context.key, "allow_pii": self.allow_pii}
        details |= {"mode": self.mode, "decisions": len(run.decisions), "message": run.message[:500]}
        details |= evidence.details()
        actor = self.actor or resolve_actor(self.settings)
        book = Ledger(self.warehouse, self.settings.audit_head_path)
        book.append(actor, "agent_run", f"agent:{run.agent}", details, run.context.run_id)

    def _with_providers(self, agent: Agent, parameters: BaseModel | None) -> BaseModel:
        """Hand I/O capabilities the agent may use (an LLM notes provider) in through its parameters."""
        parameters = parameters or agent.parameters()
        if "notes_provider" not in type(parameters).model_fields or getattr(parameters, "notes_provider", None):
            return parameters
        from mops.core.llm import notes_provider

        s = self.settings
        key = s.llm_api_key.get_secret_value() if s.llm_api_key else None
        provider = notes_provider(s.llm_base_url, s.llm_model, key)
        return parameters.model_copy(update={"notes_provider": provider}) if provider else parameters

    def _save_artifacts(self, agent: Agent, context: RunContext, result: AgentResult) -> dict[str, Path]:
        saved = {}
        if not result.artifacts:
            return saved
        folder = self.settings.var_path / "runs" / context.run_id / agent.name
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in result.artifacts.items():
            target = folder / Path(name).name
            partial = target.with_suffix(target.suffix + ".partial")
            partial.write_text(text)
            partial.replace(target)
            saved[name] = target
        return saved

    def _log(self, run: AgentRun) -> None:
        record = pd.DataFrame(
            [
                {
                    "run_id": run.context.run_id,
                    "agent": run.agent,
                    "status": run.status,
                    "started_at": run.started_at,
                    "finished_at": utcnow(),
                    "duration_s": run.duration_s,
                    "compute_s": run.compute_s,
                    "context_key": run.context.key,
                    "context": run.context.model_dump_json(),
                    "rows_written": json.dumps(run.rows_written),
                    "message": run.message[:4000],
                }
            ]
        )
        self.ops.append("agent_runs", record)
        if run.decisions:
            decisions = pd.DataFrame(
                [
                    {
                        "run_id": run.context.run_id,
                        "agent": run.agent,
                        **d.model_dump(exclude={"details"}),
                        "details": json.dumps(d.details, default=str),
                        "decided_at": utcnow(),
                    }
                    for d in run.decisions
                ]
            )
            self.ops.append("decisions", decisions)


def _relied_on(read: Read, actual: dict[str, str]) -> set[str]:
    """The columns a read fetches: those it declares it relies on (with its key, window and freshness
    columns), else every column; a mart's other columns are never read, hashed or held in memory."""
    if not read.columns:
        return set(actual)
    return {*read.columns, *read.key, *(c for c in (read.window_column, read.freshness_column) if c)}


def read_inputs(warehouse: Warehouse, agent: Agent, context: RunContext, **options) -> dict[str, pd.DataFrame]:
    """The agent's gated inputs (for tests and debugging; runs use `run_agent`)."""
    return Runner(warehouse, **options).read_inputs(agent, context)


def run_agent(
    warehouse: Warehouse, agent: Agent, context: RunContext, parameters: BaseModel | None = None, **options
) -> AgentRun:
    return Runner(warehouse, **options).run(agent, context, parameters)


def _undeclared_pii(frame: pd.DataFrame, version, write) -> list[str]:
    """Governance hook: text columns the contract does not declare PII must hold no e-mail or phone number."""
    from mops.core.governance.pii import pii_problems

    text = [c.name for c in version.columns if c.type == "varchar" and not c.pii]
    return pii_problems(frame, text, f"{write.table} v{write.version}")
