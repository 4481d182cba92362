"""Production mode runs only reviewed code: committed, on the protected branch; refusals name the file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from flows.plan import build_plan
from flows.review import require_reviewed, review_problems
from flows.spec import parse_spec
from mops.core.governance.production import UnreviewedCode, head_commit, unreviewed
from mops.core.settings import Settings
from tests.flow_agents import AGENTS

SPEC = "name: nightly\ndescription: d\nsteps:\n  - {id: build, dbt: {command: build}}\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "flows" / "workflows").mkdir(parents=True)
    (tmp_path / "flows" / "workflows" / "nightly.yml").write_text(SPEC)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "reviewed")
    return tmp_path


def spec_path(repo: Path) -> Path:
    return repo / "flows" / "workflows" / "nightly.yml"


def test_committed_code_on_the_protected_branch_may_run(repo):
    assert unreviewed(repo, [spec_path(repo)], "main") == []


def test_an_edited_spec_is_refused_naming_the_file(repo):
    spec_path(repo).write_text(SPEC + "# a change nobody reviewed\n")
    problems = unreviewed(repo, [spec_path(repo)], "main")
    assert problems == [
        "flows/workflows/nightly.yml has uncommitted changes: commit it and merge it through a reviewed pull request"
    ]


def test_an_untracked_spec_is_refused(repo):
    extra = repo / "flows" / "workflows" / "new.yml"
    extra.write_text(SPEC)
    assert "flows/workflows/new.yml is not committed (untracked)" in unreviewed(repo, [extra], "main")[0]


def test_a_commit_not_merged_to_the_protected_branch_is_refused(repo):
    git(repo, "checkout", "-q", "-b", "feature")
    spec_path(repo).write_text(SPEC + "# on a branch\n")
    git(repo, "commit", "-q", "-am", "unreviewed")
    problems = unreviewed(repo, [spec_path(repo)], "main")
    assert len(problems) == 1 and f"commit {head_commit(repo)[:12]} is not on main" in problems[0]
    assert "not found" in unreviewed(repo, [spec_path(repo)], "origin/nowhere")[0]


def test_outside_a_git_checkout_nothing_may_run(tmp_path):
    assert "is not a git checkout" in unreviewed(tmp_path, [], "main")[0]
    assert head_commit(tmp_path) is None


def test_require_reviewed_refuses_only_in_production_mode(repo):
    spec, digest = parse_spec(spec_path(repo).read_text(), "nightly.yml")
    plan = build_plan(spec, digest, {})
    settings = Settings(project_dir=repo, workflows_dir=Path("flows/workflows"), protected_ref="main")
    spec_path(repo).write_text(SPEC + "# dirty\n")
    require_reviewed(plan, settings)  # not production: no check
    with pytest.raises(UnreviewedCode, match="nightly.yml has uncommitted changes"):
        require_reviewed(plan, settings.model_copy(update={"production": True}))


CATALOG = {a.name: a for a in AGENTS}


def test_review_rules_over_specs():
    from mops.core.runtime.agent import Agent

    budget = CATALOG["t_budget"]
    money = Agent(
        budget.manifest.model_copy(update={"money_decisions": ("shift_budget",)}), budget.function, budget.parameters
    )
    spec, digest = parse_spec("name: w\ndescription: d\nsteps:\n  - {id: b, agent: t_budget}\n", "w.yml")
    problems = review_problems(build_plan(spec, digest, {"t_budget": money}))
    assert any("makes shift_budget decisions" in p and "no approval rule" in p for p in problems)
    assert any("step b: no failure policy" in p for p in problems)
    spec, digest = parse_spec(
        "name: w\ndescription: d\nsteps:\n  - id: b\n    agent: t_budget\n    policy: {on_failure: skip}\n"
        "    approval: {decision: shift_budget, above: 0.1}\n",
        "w.yml",
    )
    assert review_problems(build_plan(spec, digest, {"t_budget": money})) == []
