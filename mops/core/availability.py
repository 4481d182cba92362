"""Running on partial data: which landing sources each mart needs, and what follows when one is missing.

Each mart declares its landing inputs once, as the arguments of its `not_empty_from_inputs` dbt test
(models/marts/**/<mart>.yml): `any_of` (landing tables, `source.table`) and `required`. From that one
declaration follow the build plan (a required mart whose inputs are all empty is not built; an optional
one is built empty, with a warning naming the landing folder to fill), `mops check` (read from the
landing folder, no warehouse) and the agents' input gate (an agent whose mart is unavailable is
skipped with that reason, not failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mops.core.base import load_yaml
from mops.core.errors import MopsError, RefusedFile

RAW_SCHEMA = "raw"
INPUTS_TEST = "not_empty_from_inputs"


class InputUnavailable(MopsError):
    """An agent's input cannot exist yet: the landing data it is made from was never loaded."""

    def __init__(self, agent: str, reasons: list[str]):
        self.agent = agent
        self.reasons = reasons
        super().__init__(f"agent {agent} skipped, input unavailable: " + "; ".join(reasons))


@dataclass(frozen=True)
class MartInputs:
    mart: str
    any_of: tuple[str, ...]  # landing tables as source.table; the mart has data when one has rows
    required: bool  # False: built empty (with a warning) when none has rows


@dataclass(frozen=True)
class MartState:
    mart: str
    state: str  # ready | empty | skipped
    reason: str = ""


@dataclass
class BuildPlan:
    marts: dict[str, MartState]
    present: set[str] = field(default_factory=set)  # landing tables with data

    def with_state(self, state: str) -> list[MartState]:
        return [m for m in self.marts.values() if m.state == state]

    def exclude_args(self) -> list[str]:
        """dbt arguments leaving out marts whose required inputs are missing (and what is built on them)."""
        skipped = [f"{m.mart}+" for m in self.with_state("skipped")]
        return ["--exclude", *skipped] if skipped else []


def folder(landing_dir: Path | str, qualified: str) -> str:
    source, table = qualified.split(".", 1)
    return f"{Path(landing_dir) / source / table}/"


def mart_inputs(dbt_project_dir: Path) -> dict[str, MartInputs]:
    """Every mart's declared landing inputs, read from its YAML (no dbt parse needed)."""
    found: dict[str, MartInputs] = {}
    for path in sorted((dbt_project_dir / "models" / "marts").rglob("*.yml")):
        for model in (load_yaml(path.read_text()) or {}).get("models", []):
            for test in model.get("data_tests", []) or []:
                if isinstance(test, dict) and INPUTS_TEST in test:
                    arguments = (test[INPUTS_TEST] or {}).get("arguments", {})
                    found[model["name"]] = MartInputs(
                        model["name"], tuple(arguments["any_of"]), bool(arguments.get("required", True))
                    )
    return found


def landing_presence(registry, landing_dir: Path) -> dict[str, list[Path]]:
    """Landing table (source.table) -> its files in the landing folder; unknown folders are left out."""
    from mops.core.ingest import landing_files, resolve_table

    present: dict[str, list[Path]] = {}
    if not landing_dir.is_dir():
        return present
    for path in landing_files(landing_dir):
        try:
            table = resolve_table(registry, landing_dir, path)
        except RefusedFile:
            continue
        present.setdefault(table.qualified_name, []).append(path)
    return present


def raw_row_counts(warehouse, qualified_tables) -> dict[str, int]:
    """Rows loaded per landing table (0 when its raw table does not exist yet)."""
    counts = {}
    for qualified in sorted(set(qualified_tables)):
        name = qualified.replace(".", "__", 1)
        if not warehouse.exists(RAW_SCHEMA, name):
            counts[qualified] = 0
            continue
        counts[qualified] = int(warehouse.query(f'select count(*) as n from {RAW_SCHEMA}."{name}"')["n"].iloc[0])
    return counts


def plan_marts(inputs: dict[str, MartInputs], present: set[str], landing_dir: Path | str) -> BuildPlan:
    """Each mart ready, built empty (optional inputs missing) or skipped (required inputs missing)."""
    marts = {}
    for mart, declared in inputs.items():
        if any(q in present for q in declared.any_of):
            marts[mart] = MartState(mart, "ready")
            continue
        where = " or ".join(folder(landing_dir, q) for q in declared.any_of)
        if declared.required:
            reason = f"required input missing: no data from {where}; drop the export there and run `mops ingest`"
            marts[mart] = MartState(mart, "skipped", reason)
        else:
            reason = f"optional input, no data from {where}; to fill it, drop the export there and run `mops ingest`"
            marts[mart] = MartState(mart, "empty", reason)
    return BuildPlan(marts, set(present))


def agent_states(agents: dict, plan: BuildPlan) -> dict[str, MartState]:
    """Which agents can run on this data: an agent needing a mart that is skipped or empty cannot,
    nor one needing (not optionally) the output of an agent that cannot."""
    states: dict[str, MartState] = {}

    def state(name: str, seen: tuple[str, ...] = ()) -> MartState:
        if name in states:
            return states[name]
        reasons = []
        for read in agents[name].manifest.reads:
            if read.optional:
                continue
            mart = plan.marts.get(read.name)
            if mart is not None and mart.state != "ready":
                reasons.append(f"{read.name} is {'not built' if mart.state == 'skipped' else 'empty'} ({mart.reason})")
                continue
            producers = [
                other
                for other, agent in agents.items()
                if other != name and other not in seen and any(w.table == read.name for w in agent.manifest.writes)
            ]
            for producer in producers:
                if state(producer, (*seen, name)).state != "ready":
                    reasons.append(f"{read.name} comes from agent {producer}, which cannot run")
        result = MartState(name, "skipped", "; ".join(reasons)) if reasons else MartState(name, "ready")
        states[name] = result
        return result

    for name in agents:
        state(name)
    return states


def unavailable_reasons(warehouse, agent) -> list[str]:
    """The runner's hook: the agent's (non-optional) marts that are empty because their landing inputs are.

    A mart that has rows is available whatever its inputs say (a last good build); a mart empty although
    its inputs have rows is not "unavailable" but wrong, and the normal gates fail on it.
    """
    declared = mart_inputs(warehouse.settings.dbt_project_dir)
    reasons = []
    for read in agent.manifest.reads:
        if read.optional or read.name not in declared:
            continue
        try:
            relation = warehouse.manifest.resolve(read.name, read.version)
        except MopsError:
            continue
        if warehouse.exists(relation.schema, relation.name):
            rows = warehouse.query(f'select count(*) as n from "{relation.schema}"."{relation.name}"')["n"].iloc[0]
            if rows:
                continue
        counts = raw_row_counts(warehouse, declared[read.name].any_of)
        if not any(counts.values()):
            where = " or ".join(folder(warehouse.settings.landing_dir, q) for q in declared[read.name].any_of)
            reasons.append(f"{read.name} is empty: no data loaded from {where}")
    return reasons


def prepare_build(settings, args: list[str]) -> tuple[list[str], BuildPlan]:
    """The dbt build arguments for the data loaded so far, and the plan they follow.

    Opens the warehouse read-only and closes it before dbt starts (dbt needs the DuckDB file alone).
    """
    from mops.core.warehouse.adapter import open_warehouse

    inputs = mart_inputs(settings.dbt_project_dir)
    tables = {q for m in inputs.values() for q in m.any_of}
    if settings.warehouse_url or settings.warehouse_path.exists():
        with open_warehouse(settings, read_only=True) as warehouse:
            counts = raw_row_counts(warehouse, tables)
    else:
        counts = dict.fromkeys(tables, 0)
    plan = plan_marts(inputs, {q for q, n in counts.items() if n}, settings.landing_dir)
    if args and args[0] == "build":
        args = [*args, *plan.exclude_args()]
    return args, plan
