"""Shared fixtures: settings isolated under tmp paths, and one demo warehouse built once per session."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from mops.core.settings import PROJECT_DIR, Settings

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# CLI commands check the governance policy: tests act as `tester` under the test policy (tests/policy.yml);
# governance tests set their own policy and identities
os.environ.setdefault("MOPS_POLICY_FILE", str(Path(__file__).parent / "policy.yml"))
os.environ.setdefault("MOPS_ACTOR", "tester")
# parallel workers (pytest-xdist) build the same checkout's dbt project: each keeps its own dbt target folder
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("MOPS_DBT_TARGET_FOLDER", f"target-{os.environ['PYTEST_XDIST_WORKER']}")
    # a worker inherits COLUMNS=80, which the CLI's console would keep: tests set the width they read output at
    os.environ.pop("COLUMNS", None)

DEMO_END_DATE = "2026-06-30"  # fixed, so tests are deterministic whatever today is
FX_SEED = PROJECT_DIR / "dbt_project" / "seeds" / "fx_rates.csv"


def make_settings(root: Path, **overrides) -> Settings:
    return Settings(
        project_dir=PROJECT_DIR,
        warehouse=str(root / "warehouse.duckdb"),
        landing_dir=root / "landing",
        var_dir=root / "var",
        **overrides,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@dataclass
class BuiltWarehouse:
    settings: Settings
    truth_path: Path

    @property
    def landing(self) -> Path:
        return self.settings.landing_path


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> BuiltWarehouse:
    """Demo exports -> ingest -> dbt build, once: the real pipeline on a real DuckDB file."""
    from demo import generate
    from demo.world import DemoConfig
    from mops.core.ingest import ingest
    from mops.core.landing import load_registry
    from mops.core.transform import run_dbt
    from mops.core.warehouse.connections import connect_duckdb

    root = tmp_path_factory.mktemp("built")
    settings = make_settings(root)
    truth = generate(DemoConfig(end_date=DEMO_END_DATE, scale=0.5, users=12_000), settings.landing_path, FX_SEED)
    with connect_duckdb(settings.warehouse_path) as con:
        results = ingest(con, load_registry(settings.contracts_dir / "landing"), settings.landing_path)
    refused = [r for r in results if r.status == "refused"]
    assert not refused, refused
    result = run_dbt(settings, ["build"])
    assert result.ok, f"dbt build failed: {result.failures} (log {result.log_path})"
    return BuiltWarehouse(settings, truth)


# the application is the composition root: it wires the one agent catalog into the engine
from mops.app.catalog import compose  # noqa: E402

compose()
