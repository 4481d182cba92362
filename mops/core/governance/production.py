"""Production mode: only reviewed code runs. A workflow spec, agent code or contract must be committed,
at a commit reachable from the protected branch (merged through a reviewed pull request), else the run
is refused naming the file. The commit is recorded with every run."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mops.core.errors import MopsError


class UnreviewedCode(MopsError):
    """Production mode refused a run whose code or specs are not reviewed (committed and merged)."""


def _git(project_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True, check=False)


def head_commit(project_dir: Path) -> str | None:
    """The checked-out commit, or None outside a git checkout."""
    result = _git(project_dir, "rev-parse", "HEAD")
    return result.stdout.strip() if result.returncode == 0 else None


def unreviewed(project_dir: Path, paths: list[Path], protected_ref: str) -> list[str]:
    """Why these files may not run in production (empty: they may). Each problem names the file or commit."""
    head = head_commit(project_dir)
    if head is None:
        return [f"{project_dir} is not a git checkout: production mode runs only code committed to git"]
    problems = []
    relative = []
    for path in paths:
        try:
            relative.append(str(Path(path).resolve().relative_to(project_dir.resolve())))
        except ValueError:
            problems.append(f"{path}: outside the project repository, so it cannot have been reviewed")
    if relative:
        status = _git(project_dir, "status", "--porcelain", "--untracked-files=all", "--", *relative)
        for line in status.stdout.splitlines():
            state, name = line[:2], line[3:]
            what = "is not committed (untracked)" if state == "??" else "has uncommitted changes"
            problems.append(f"{name} {what}: commit it and merge it through a reviewed pull request")
    if _git(project_dir, "rev-parse", "--verify", "--quiet", protected_ref).returncode != 0:
        problems.append(f"protected branch {protected_ref} not found: fetch it (git fetch) or set MOPS_PROTECTED_REF")
    elif _git(project_dir, "merge-base", "--is-ancestor", head, protected_ref).returncode != 0:
        problems.append(
            f"commit {head[:12]} is not on {protected_ref}: production runs only commits merged there (reviewed)"
        )
    return problems
