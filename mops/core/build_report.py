"""What a dbt build did, in the user's terms: marts built, built empty, skipped, and why tests failed.

dbt names a failed test; the user needs its cause. Read from dbt's artifacts after the child process
exits: `run_results.json` (what ran, what failed), `manifest.json` (each test's arguments and meta) and,
for tests stored with their failures, the failing rows' `problem` column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mops.core.availability import INPUTS_TEST, BuildPlan


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)  # marts built (latest relation names)
    empty: list[str] = field(default_factory=list)  # warnings: optional marts built empty, and why
    skipped: list[str] = field(default_factory=list)  # marts not built, and why
    problems: list[str] = field(default_factory=list)  # failed tests explained
    notes: list[str] = field(default_factory=list)  # warnings of tests (e.g. GA4 sessions made by the fallback)

    def lines(self) -> list[str]:
        return (
            [f"built empty: {line}" for line in self.empty]
            + [f"skipped: {line}" for line in self.skipped]
            + self.notes
            + self.problems
        )


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _explain(node: dict, stored_rows: list[str]) -> str:
    meta = node.get("config", {}).get("meta") or {}
    test = (node.get("test_metadata") or {}).get("name")
    if test == INPUTS_TEST:
        model = node.get("attached_node") or "model.?.?"  # model.<project>.<name>[.v<N>]
        inputs = ", ".join(node["test_metadata"].get("kwargs", {}).get("any_of", []))
        cause = meta.get("cause") or "a model between them dropped every row"
        return (
            f"{model.split('.')[2]} came out empty although its inputs ({inputs}) have rows: {cause} "
            f"(dbt test {node['name']})"
        )
    message = meta.get("message") or f"test {node['name']} failed"
    if stored_rows:
        return message + ":\n    " + "\n    ".join(stored_rows)
    return message


def build_report(settings, plan: BuildPlan, read_failures=None) -> BuildReport:
    """Compare the plan with what dbt ran; `read_failures(relation) -> list[str]` reads stored problems."""
    target = settings.dbt_target_path
    results = _load(target / "run_results.json").get("results", [])
    nodes = _load(target / "manifest.json").get("nodes", {})
    report = BuildReport()
    ran = {r["unique_id"]: r for r in results}
    for mart in plan.marts.values():
        mart_nodes = [uid for uid in ran if uid.startswith("model.") and uid.split(".")[2] == mart.mart]
        built = any(ran[uid]["status"] == "success" for uid in mart_nodes)
        if mart.state == "skipped":
            report.skipped.append(f"{mart.mart}: {mart.reason}")
        elif built:
            report.built.append(mart.mart)
            if mart.state == "empty":
                report.empty.append(f"{mart.mart}: {mart.reason}")
        elif not mart_nodes and plan.with_state("skipped"):
            names = ", ".join(m.mart for m in plan.with_state("skipped"))
            report.skipped.append(f"{mart.mart}: not built, it is made from a skipped mart ({names})")
    for uid, result in ran.items():
        if not uid.startswith("test.") or result["status"] not in ("fail", "error", "warn"):
            continue
        node = nodes.get(uid, {"name": uid.split(".")[-1]})
        rows = []
        relation = result.get("relation_name") or node.get("relation_name")
        if read_failures and relation:
            try:
                rows = read_failures(relation)
            except Exception:  # the stored failures are a courtesy; the test's name is still shown
                rows = []
        (report.notes if result["status"] == "warn" else report.problems).append(_explain(node, rows))
    return report


def stored_problems(settings):
    """A reader of stored test failures' `problem` column (opens the warehouse read-only once per call)."""
    from mops.core.warehouse.adapter import open_warehouse

    def read(relation: str) -> list[str]:
        with open_warehouse(settings, read_only=True) as warehouse:
            frame = warehouse.query(f"select * from {relation} order by 1, 2 limit 20")
        return [str(p) for p in frame["problem"]] if "problem" in frame else []

    return read
