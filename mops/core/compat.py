"""`mops contracts check`: classify every contract change against a base git ref.

Agent contracts are compared version by version with Confluent Schema Registry's semantics
(BACKWARD / FORWARD / FULL, else BREAKING). An edit to an existing version must satisfy the
contract's declared mode; a breaking change must ship as a new version, and a version that
consumers still pin must keep being produced (a downgrade) until its deprecation date.
Contracted dbt marts are checked by dbt itself (state:modified against the base manifest).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from mops.core.catalog import Catalog
from mops.core.compatibility import classify, mode_of, satisfies
from mops.core.contracts import Contract, ContractError, parse_contract
from mops.core.errors import MopsError

CONTRACTS_PATH = "contracts/agents"


@dataclass
class Finding:
    table: str
    version: int | None
    change: str  # edited | new version | new contract | removed version | removed contract | deprecated | unchanged
    mode: str
    ok: bool
    details: list[str] = field(default_factory=list)
    breaks: list[str] = field(default_factory=list)  # consumers that would break

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _git(project_dir: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=project_dir, capture_output=True, text=True)
    if result.returncode != 0:
        raise MopsError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def contracts_at(project_dir: Path, ref: str) -> dict[str, Contract]:
    """The agent contracts as they are at a git ref (empty if the folder did not exist there)."""
    _git(project_dir, "rev-parse", "--verify", f"{ref}^{{commit}}")
    listing = (
        _git(project_dir, "ls-tree", "--name-only", f"{ref}:{CONTRACTS_PATH}") if _has_path(project_dir, ref) else ""
    )
    contracts = {}
    for name in listing.split():
        if name.endswith(".yml"):
            text = _git(project_dir, "show", f"{ref}:{CONTRACTS_PATH}/{name}")
            contract = parse_contract(text, f"{ref}:{CONTRACTS_PATH}/{name}")
            contracts[contract.table] = contract
    return contracts


def _has_path(project_dir: Path, ref: str) -> bool:
    result = subprocess.run(
        ["git", "cat-file", "-e", f"{ref}:{CONTRACTS_PATH}"], cwd=project_dir, capture_output=True, text=True
    )
    return result.returncode == 0


def _consumers(catalog: Catalog, table: str, version: int, latest: int) -> list[str]:
    names = []
    for agent in catalog.agents.values():
        for read in agent.manifest.reads:
            if read.name == table and (read.version == version or (read.version is None and version == latest)):
                names.append(f"{agent.name} ({'pinned to' if read.version else 'unpinned, reads'} v{version})")
    return names


def _shadowed(catalog: Catalog, table: str, version: int) -> bool:
    return any((table, version) in agent.downgrades for agent in catalog.agents.values())


def compare(base: dict[str, Contract], catalog: Catalog, today: date) -> list[Finding]:
    """Every change from `base` to the catalog's contracts, classified and judged."""
    head = catalog.contracts
    findings: list[Finding] = []
    for table in sorted(base.keys() - head.keys()):
        readers = [name for name, _ in catalog.consumers(table)] if table in head else []
        readers += [a.name for a in catalog.agents.values() if any(r.name == table for r in a.manifest.reads)]
        findings.append(Finding(table, None, "removed contract", "BREAKING", not readers, breaks=sorted(set(readers))))
    for table, contract in sorted(head.items()):
        latest = contract.latest.version
        old = base.get(table)
        if old is None:
            findings.append(Finding(table, None, "new contract", "NEW", True))
        else:
            old_versions = {v.version: v for v in old.versions}
            new_versions = {v.version: v for v in contract.versions}
            for number in sorted(old_versions.keys() - new_versions.keys()):
                pinned = _consumers(catalog, table, number, latest)
                findings.append(Finding(table, number, "removed version", "BREAKING", not pinned, breaks=pinned))
            for number in sorted(new_versions):
                version = new_versions[number]
                if number in old_versions:
                    changes = classify(old_versions[number], version)
                    mode = mode_of(changes)
                    if mode == "UNCHANGED":
                        continue
                    ok = satisfies(mode, contract.compatibility)
                    findings.append(
                        Finding(
                            table,
                            number,
                            "edited",
                            mode,
                            ok,
                            [c.text for c in changes]
                            + (
                                [] if ok else [f"an in-place edit must be {contract.compatibility}: ship a new version"]
                            ),
                            [] if ok else _consumers(catalog, table, number, latest),
                        )
                    )
                else:
                    previous = max((n for n in new_versions if n < number), default=None)
                    changes = classify(new_versions[previous], version) if previous is not None else []
                    findings.append(
                        Finding(
                            table,
                            number,
                            "new version",
                            mode_of(changes) if previous is not None else "NEW",
                            True,
                            [f"vs v{previous}: {c.text}" for c in changes],
                        )
                    )
        for version in contract.versions[:-1]:
            pinned = _consumers(catalog, table, version.version, latest)
            if not pinned:
                continue
            if version.deprecation_date and today > version.deprecation_date:
                findings.append(
                    Finding(
                        table,
                        version.version,
                        "deprecated",
                        "BREAKING",
                        False,
                        [f"v{version.version} was deprecated on {version.deprecation_date} and is no longer produced"],
                        pinned,
                    )
                )
            elif not _shadowed(catalog, table, version.version):
                findings.append(
                    Finding(
                        table,
                        version.version,
                        "not produced",
                        "BREAKING",
                        False,
                        [f"consumers pin v{version.version} but no agent declares a downgrade to produce it"],
                        pinned,
                    )
                )
    return findings


@dataclass
class DbtCheck:
    ok: bool
    output: str


def dbt_state_check(project_dir: Path, ref: str, dbt: str) -> DbtCheck:
    """dbt's own breaking-change detection for contracted models, against the manifest at `ref`."""
    with tempfile.TemporaryDirectory(prefix="mops-contracts-") as tmp:
        base = Path(tmp) / "base"
        _git(project_dir, "worktree", "add", "--detach", str(base), ref)
        try:
            env = dict(
                {k: v for k, v in os.environ.items() if k != "DBT_TARGET_PATH"},  # both parses in their own target/
                MOPS_WAREHOUSE_PATH=str(Path(tmp) / "scratch.duckdb"),
                DBT_SEND_ANONYMOUS_USAGE_STATS="false",
                DBT_USE_COLORS="false",
            )
            parse = subprocess.run(
                [dbt, "parse"],
                cwd=base / "dbt_project",
                env=env | {"DBT_PROFILES_DIR": str(base / "dbt_project")},
                capture_output=True,
                text=True,
            )
            if parse.returncode != 0:
                return DbtCheck(False, f"dbt parse at {ref} failed:\n{parse.stdout[-2000:]}")
            head = subprocess.run(
                [
                    dbt,
                    "ls",
                    "--resource-type",
                    "model",
                    "--select",
                    "state:modified",
                    "--state",
                    str(base / "dbt_project" / "target"),
                ],
                cwd=project_dir / "dbt_project",
                env=env | {"DBT_PROFILES_DIR": str(project_dir / "dbt_project")},
                capture_output=True,
                text=True,
            )
            return DbtCheck(head.returncode == 0, head.stdout)
        finally:
            _git(project_dir, "worktree", "remove", "--force", str(base))
            shutil.rmtree(base, ignore_errors=True)


def default_ref(project_dir: Path) -> str:
    for candidate in ("origin/main", "main", "HEAD"):
        if (
            subprocess.run(
                ["git", "rev-parse", "--verify", "-q", candidate], cwd=project_dir, capture_output=True
            ).returncode
            == 0
        ):
            return candidate
    raise ContractError("no git ref to compare against: pass --against")
