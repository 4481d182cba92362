"""Review rules over workflow specs themselves, run by `mops workflows validate` and in CI.

A spec can be valid and still unsafe to merge: these rules say what every reviewed workflow must
declare. Each problem names the workflow, the step and the rule.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from flows.plan import Plan
from mops.core.governance.production import UnreviewedCode, unreviewed
from mops.core.settings import Settings


def review_problems(plan: Plan) -> list[str]:
    """What the spec must add before it may run: approvals on money decisions, explicit failure
    policies, and no PII agents (workflows never grant PII; `mops agent run --allow-pii` does, audited)."""
    problems = []
    for step in plan.steps.values():
        agent = step.agent
        if agent is None:
            continue
        where = f"workflow {plan.spec.name}, step {step.id}"
        manifest = agent.manifest
        gated = {step.step.approval.decision} if step.step.approval else set()
        for kind in manifest.money_decisions:
            if kind not in gated:
                problems.append(
                    f"{where}: agent {agent.name} makes {kind} decisions (they move money) and the step has no "
                    f"approval rule for them: add `approval: {{decision: {kind}, above: ...}}`"
                )
        if step.step.policy is None and "failure_policy" not in manifest.model_fields_set:
            problems.append(
                f"{where}: no failure policy: declare `policy: {{on_failure: retry|skip|halt}}` in the step "
                f"(or a failure_policy in agent {agent.name}'s manifest)"
            )
        if manifest.needs_pii:
            problems.append(
                f"{where}: agent {agent.name} needs PII, which workflows do not grant; run it with "
                "`mops agent run --allow-pii` under a role that may read PII"
            )
    return problems


def reviewed_paths(plan: Plan, settings: Settings) -> list[Path]:
    """What a run of the plan executes or obeys: its spec, its agents' code and their output contracts."""
    paths = [settings.workflows_path / f"{plan.spec.name}.yml"]
    for step in plan.steps.values():
        if step.agent is None:
            continue
        source = inspect.getsourcefile(step.agent.function)
        if source:
            paths.append(Path(source).parent)
        paths += [settings.contracts_dir / "agents" / f"{w.table}.yml" for w in step.agent.manifest.writes]
    policy = settings.project_dir / "governance" / "policy.yml"
    return [*dict.fromkeys(paths), *([policy] if policy.exists() else [])]


def require_reviewed(plan: Plan, settings: Settings) -> None:
    """In production mode, refuse a run whose spec, agent code or contracts are not reviewed."""
    if not settings.production:
        return
    problems = unreviewed(settings.project_dir, reviewed_paths(plan, settings), settings.protected_ref)
    if problems:
        raise UnreviewedCode(f"production mode: workflow {plan.spec.name} refused:\n  - " + "\n  - ".join(problems))
