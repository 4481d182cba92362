"""Build only what changed: a daily dbt build selects what new data and changed code reach, nothing else.

The plan compares the warehouse now with its last successful build:
- every source's data marker: for raw tables the ingest log (`raw._mops_files`: files, rows and newest
  load per source table), for agent outputs their row count and newest `_mops_written_at`. A source
  whose marker moved selects `source:<source>.<table>+` (the models downstream of it, and their tests);
- the dbt project's files: when they changed, dbt's `state:modified+` against the manifest that build
  left under `var/build_state/` selects the changed models and what reads them;
- the dbt vars and target: a changed var can change any model, so everything is built.
An unchanged day starts no dbt process and says so. The state counts only while the warehouse's
`ops.dbt_builds` holds its build id, so a recreated or swapped warehouse is built whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mops.core import transform
from mops.core.availability import BuildPlan as MartPlan
from mops.core.availability import prepare_build
from mops.core.base import utcnow
from mops.core.build_report import BuildReport, build_report, stored_problems
from mops.core.settings import Settings

PROJECT_FOLDERS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
PROJECT_FILES = ("dbt_project.yml", "packages.yml", "dependencies.yml", "selectors.yml")
INGEST_LOG = ("raw", "_mops_files")
BUILT = ("model.", "seed.", "snapshot.")
MARKER_COUNTS = re.compile(r"(-?\d+) (?:files|rows),")


@dataclass(frozen=True)
class BuildPlan:
    """What one build selects and why. mode: all | changed | nothing | selected (by the caller)."""

    mode: str
    select: str | None
    reasons: tuple[str, ...]
    markers: dict[str, str] = field(default_factory=dict)
    code: str = ""
    vars: str = ""
    use_state: bool = False

    @property
    def records_state(self) -> bool:
        """A caller's selection may leave changed models unbuilt, so it never becomes the baseline."""
        return self.mode in ("all", "changed")


@dataclass
class BuildOutcome:
    plan: BuildPlan
    result: transform.DbtResult | None
    nodes: list[str]
    tests: int
    message: str
    marts: MartPlan | None = None  # which marts the loaded landing data can feed (mops.core.availability)

    @property
    def ok(self) -> bool:
        return self.result is None or self.result.ok

    def report(self, settings: Settings) -> BuildReport:
        """What the build left empty or skipped, and failed tests by their cause (empty when nothing ran)."""
        if self.result is None or self.marts is None:
            return BuildReport()
        return build_report(settings, self.marts, stored_problems(settings))


def state_dir(settings: Settings) -> Path:
    return settings.var_path / "build_state"


def project_fingerprint(project: Path) -> str:
    """A hash of every file dbt parses: equal hashes mean no model, macro, seed or test changed."""
    paths = [project / name for name in PROJECT_FILES if (project / name).is_file()]
    for folder in PROJECT_FOLDERS:
        if (project / folder).is_dir():
            paths += sorted(p for p in (project / folder).rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{path.relative_to(project)}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def vars_fingerprint(settings: Settings) -> str:
    target = "postgres" if settings.warehouse_url else "duckdb"
    return hashlib.sha256(json.dumps([target, settings.dbt_vars()], sort_keys=True).encode()).hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def manifest_sources(manifest_path: Path) -> dict[str, dict]:
    """`source.table` -> the manifest's source node (schema, identifier, loaded_at_field)."""
    if not manifest_path.is_file():
        return {}
    sources = json.loads(manifest_path.read_text()).get("sources", {})
    return {f"{s['source_name']}.{s['name']}": s for s in sources.values()}


def source_markers(warehouse, sources: dict[str, dict]) -> dict[str, str]:
    """Each source's data marker: it moves whenever rows are loaded into (or replaced in) the source."""
    markers: dict[str, str] = {}
    if warehouse.exists(*INGEST_LOG):
        rows = warehouse.query(
            "select source, table_name, count(*) as files, sum(row_count) as row_total, "
            f"max(loaded_at) as newest from {INGEST_LOG[0]}.{INGEST_LOG[1]} group by source, table_name"
        )
        for row in rows.itertuples(index=False):
            rows_loaded = int(row.row_total or 0)
            markers[f"{row.source}.{row.table_name}"] = f"{row.files} files, {rows_loaded} rows, loaded {row.newest}"
    for key, node in sources.items():
        column = node.get("loaded_at_field")
        if key in markers or node["schema"] == INGEST_LOG[0] or not column:
            continue
        relation = node.get("identifier") or node["name"]
        if warehouse.exists(node["schema"], relation):
            row = warehouse.query(
                f"select count(*) as n, max({_quote(column)}) as newest "
                f"from {_quote(node['schema'])}.{_quote(relation)}"
            ).iloc[0]
            markers[key] = f"{row['n']} rows, written {row['newest']}"
    return markers


def _load_state(settings: Settings) -> dict | None:
    path = state_dir(settings) / "state.json"
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    manifest = state_dir(settings) / "manifest.json"
    return state if isinstance(state, dict) and "build_id" in state and manifest.is_file() else None


def _warehouse_exists(settings: Settings) -> bool:
    return bool(settings.warehouse_url) or settings.warehouse_path.is_file()


def _recorded(warehouse, build_id: str) -> bool:
    if not warehouse.exists("ops", "dbt_builds"):
        return False
    rows = warehouse.query(
        "select count(*) as n from ops.dbt_builds where build_id = ? and status = 'succeeded'", [build_id]
    )
    return int(rows["n"].iloc[0]) > 0


def _news(key: str, before: str | None, now: str | None) -> str:
    """What moved a source's marker, in a few words: files and rows loaded, or rows rewritten."""
    if now is None:
        return f"{key} emptied"
    counts = [[int(n) for n in MARKER_COUNTS.findall(m or "")] for m in (before, now)]
    if len(counts[1]) == 2:  # the ingest log: files, rows
        old_files, old_rows = counts[0] if len(counts[0]) == 2 else (0, 0)
        return f"new data in {key}: {counts[1][0] - old_files:+d} files, {counts[1][1] - old_rows:+d} rows"
    return f"new data in {key}: {now}"


def plan_build(
    settings: Settings, select: str | None = None, changed_only: bool = True, full_refresh: bool = False
) -> BuildPlan:
    """Compare the warehouse and the project with the last successful build; select what they reach."""
    if select:
        return BuildPlan("selected", select, (f"selected by the caller: {select}",))
    from mops.core.warehouse.adapter import open_warehouse

    code, dbt_vars = project_fingerprint(settings.dbt_project_dir), vars_fingerprint(settings)
    state = _load_state(settings)
    manifest = state_dir(settings) / "manifest.json" if state else settings.dbt_target_path / "manifest.json"
    sources = manifest_sources(manifest)
    markers: dict[str, str] = {}
    recorded = False
    if _warehouse_exists(settings):
        with open_warehouse(settings, read_only=True) as warehouse:
            markers = source_markers(warehouse, sources)
            recorded = bool(state) and _recorded(warehouse, state["build_id"])

    def everything(reason: str) -> BuildPlan:
        return BuildPlan("all", None, (reason,), markers, code, dbt_vars)

    if full_refresh:
        return everything("full refresh: every model rebuilt from every raw row")
    if not changed_only:
        return everything("asked for a whole build (--all)")
    if state is None:
        return everything(f"no successful build recorded under {state_dir(settings)}")
    if not recorded:
        return everything(f"the warehouse has no record of build {state['build_id']} (new or replaced warehouse)")
    if state.get("vars") != dbt_vars:
        return everything("dbt vars or target changed since the last build")
    parts, reasons = [], []
    for key in sorted(set(markers) | set(state.get("markers", {}))):
        if key in sources and markers.get(key) != state["markers"].get(key):
            parts.append(f"source:{key}+")
            reasons.append(_news(key, state["markers"].get(key), markers.get(key)))
    if state.get("code") != code:
        parts.append("state:modified+")
        reasons.append("dbt project files changed: models whose code changed, and what reads them")
    if not parts:
        since = state.get("finished_at", "?")
        return BuildPlan(
            "nothing",
            "",
            (f"no new data and no code change since the last build ({since} UTC)",),
            markers,
            code,
            dbt_vars,
        )
    return BuildPlan("changed", " ".join(parts), tuple(reasons), markers, code, dbt_vars, "state:modified+" in parts)


def executed_nodes(settings: Settings) -> tuple[list[str], int]:
    """Models, seeds and snapshots dbt's last invocation built (run_results.json), and its test count."""
    path = settings.dbt_target_path / "run_results.json"
    try:
        results = json.loads(path.read_text()).get("results", [])
    except (OSError, ValueError):
        return [], 0
    nodes = sorted(r["unique_id"] for r in results if r["unique_id"].startswith(BUILT) and r["status"] == "success")
    tests = sum(r["unique_id"].startswith(("test.", "unit_test.")) for r in results)
    return nodes, tests


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def _save_state(settings: Settings, plan: BuildPlan, build_id: str, finished_at) -> None:
    """The new baseline: the manifest this build parsed and the markers seen when it was planned."""
    folder = state_dir(settings)
    _copy(settings.dbt_target_path / "manifest.json", folder / "manifest.json")
    state = {
        "build_id": build_id,
        "finished_at": f"{finished_at:%Y-%m-%d %H:%M:%S}",
        "code": plan.code,
        "vars": plan.vars,
        "markers": plan.markers,
    }
    partial = folder / "state.json.partial"
    partial.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(partial, folder / "state.json")


def _message(plan: BuildPlan, nodes: list[str], tests: int, command: str) -> str:
    models = sum(n.startswith("model.") for n in nodes)
    if plan.mode == "nothing":
        return f"nothing to rebuild: {plan.reasons[0]}; no model rebuilt"
    what = f"dbt {command}: {models} models, {len(nodes) - models} seeds/snapshots, {tests} tests"
    return f"{what} ({'; '.join(plan.reasons)})"


def _record(settings: Settings, row: dict) -> None:
    from mops.core.ops.records import OpsLog
    from mops.core.warehouse.adapter import open_warehouse

    with open_warehouse(settings) as warehouse:
        OpsLog(warehouse).append("dbt_builds", [row])


def build(
    settings: Settings,
    command: str = "build",
    select: str | None = None,
    changed_only: bool = True,
    full_refresh: bool = False,
    on_progress: Callable[[int, int, str, str], None] | None = None,
) -> BuildOutcome:
    """Plan, run dbt on the selection (none at all on an unchanged day), record it in ops.dbt_builds."""
    started = utcnow()
    if command in ("build", "run"):
        plan = plan_build(settings, select, changed_only, full_refresh)
    else:  # dbt test or seed builds no model: never the baseline of what is built
        plan = BuildPlan("selected", select, (f"dbt {command}" + (f" --select {select}" if select else ""),))
    build_id = uuid.uuid4().hex
    result = None
    nodes: list[str] = []
    tests = 0
    if plan.mode == "nothing":
        # agents resolve marts through target/manifest.json: make it this warehouse's last build's
        _copy(state_dir(settings) / "manifest.json", settings.dbt_target_path / "manifest.json")
    else:
        args = transform.dbt_args(command, plan.select, full_refresh)
        if plan.use_state:
            args += ["--state", str(state_dir(settings))]
        args, marts = prepare_build(settings, args)  # marts whose required landing data is missing are left out
        result = transform.run_dbt(settings, args, on_progress=on_progress)
        if result.ok:
            nodes, tests = executed_nodes(settings)
    outcome = BuildOutcome(
        plan, result, nodes, tests, _message(plan, nodes, tests, command), marts if result is not None else None
    )
    finished = utcnow()
    _record(
        settings,
        {
            "build_id": build_id,
            "command": command,
            "mode": plan.mode,
            "selector": plan.select,
            "reasons": json.dumps(list(plan.reasons)),
            "status": "succeeded" if outcome.ok else "failed",
            "nodes": len(nodes),
            "started_at": started,
            "finished_at": finished,
            "message": outcome.message if outcome.ok else "; ".join(result.failures[:5]),
        },
    )
    if outcome.ok and plan.records_state:
        _save_state(settings, plan, build_id, finished)
    return outcome
