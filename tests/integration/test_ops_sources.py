"""The ops tables as a dbt source: dbt parses the generated YAML, and its tables and columns are TABLES'."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from mops.core.ops.tables import OPS_SCHEMA, TABLES
from mops.core.settings import PROJECT_DIR
from mops.core.transform import dbt_executable


def test_dbt_parses_the_ops_source_with_every_table_and_column(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_DIR / "dbt_project", project, ignore=shutil.ignore_patterns("target*", "logs"))
    env = dict(
        os.environ,
        MOPS_WAREHOUSE_PATH=str(tmp_path / "scratch.duckdb"),
        DBT_PROFILES_DIR=str(project),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    parsed = subprocess.run([dbt_executable(), "parse"], cwd=project, env=env, capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    sources = json.loads((project / "target" / "manifest.json").read_text())["sources"]
    ops = {s["name"]: s for s in sources.values() if s["source_name"] == "ops"}
    assert set(ops) == set(TABLES)
    for table, columns in TABLES.items():
        node = ops[table]
        assert node["schema"] == OPS_SCHEMA and node["description"]
        assert {c: v["data_type"] for c, v in node["columns"].items()} == columns
        undescribed = [c for c, v in node["columns"].items() if not v["description"] or v["description"] == c]
        assert undescribed == [], f"ops.{table}: columns without a description: {undescribed}"
