"""dbt's breaking-change detection on contracted marts, as CI runs it against the base branch."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mops.core.settings import PROJECT_DIR
from mops.core.transform import dbt_executable

pytestmark = pytest.mark.slow

UNVERSIONED_SQL = "select cast(1 as bigint) as id, cast('a' as varchar) as label\n"
UNVERSIONED_YML = """version: 2
models:
  - name: tmp_unversioned_mart
    config: {contract: {enforced: true}, materialized: table}
    columns:
      - {name: id, data_type: bigint}
      - {name: label, data_type: varchar}
"""


def dbt(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        MOPS_WAREHOUSE_PATH=str(project.parent / "scratch.duckdb"),
        DBT_PROFILES_DIR=str(project),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return subprocess.run([dbt_executable(), *args], cwd=project, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("contracts")
    project = root / "base"
    shutil.copytree(PROJECT_DIR / "dbt_project", project, ignore=shutil.ignore_patterns("target*", "logs"))
    (project / "models/marts/tmp_unversioned_mart.sql").write_text(UNVERSIONED_SQL)
    (project / "models/marts/tmp_unversioned_mart.yml").write_text(UNVERSIONED_YML)
    assert dbt(project, "parse").returncode == 0
    return project


def changed_copy(base: Path, name: str) -> Path:
    head = base.parent / name
    shutil.copytree(base, head, ignore=shutil.ignore_patterns("target*", "logs"))
    return head


def test_removing_a_column_of_a_versioned_mart_fails_the_check(base):
    head = changed_copy(base, "head_versioned")
    yml = head / "models/marts/web/fct_conversions.yml"
    yml.write_text(yml.read_text().replace("      - name: duplicate_events_removed\n        data_type: bigint\n", ""))
    sql = head / "models/marts/web/fct_conversions_v1.sql"
    sql.write_text(
        sql.read_text().replace(
            ",\n        cast(purchases.duplicate_event_count - 1 as bigint) as duplicate_events_removed", ""
        )
    )
    result = dbt(head, "ls", "--select", "state:modified", "--state", str(base / "target"))
    assert result.returncode != 0
    assert "duplicate_events_removed" in result.stdout and "breaking change" in result.stdout.lower()


def test_an_unversioned_breaking_change_is_an_error_not_a_warning(base):
    head = changed_copy(base, "head_unversioned")
    (head / "models/marts/tmp_unversioned_mart.sql").write_text("select cast(1 as bigint) as id\n")
    (head / "models/marts/tmp_unversioned_mart.yml").write_text(
        UNVERSIONED_YML.replace("      - {name: label, data_type: varchar}\n", "")
    )
    result = dbt(head, "ls", "--select", "state:modified", "--state", str(base / "target"))
    assert result.returncode != 0, result.stdout
    assert "tmp_unversioned_mart" in result.stdout


def test_an_additive_change_passes(base):
    head = changed_copy(base, "head_additive")
    (head / "models/marts/tmp_unversioned_mart.sql").write_text(
        UNVERSIONED_SQL.replace(" as label", " as label, cast(2 as bigint) as extra")
    )
    (head / "models/marts/tmp_unversioned_mart.yml").write_text(
        UNVERSIONED_YML + "      - {name: extra, data_type: bigint}\n"
    )
    result = dbt(head, "ls", "--select", "state:modified", "--state", str(base / "target"))
    assert result.returncode == 0, result.stdout
    assert "tmp_unversioned_mart" in result.stdout
