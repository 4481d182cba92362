"""Run on partial data: a landing folder holding only Google Ads and GA4 files builds and runs daily.

The demo's exports minus every other source: `mops build` exits 0 and names the marts built empty
(budget plan, creatives, CRM) with the folder to fill; `mops run daily` runs every agent whose inputs
exist and skips the others with that reason (not failed).
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from tests.conftest import DEMO_END_DATE, FX_SEED, make_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def minimal_landing(tmp_path, monkeypatch):
    from demo import generate
    from demo.world import DemoConfig

    full = tmp_path / "full"
    generate(DemoConfig(end_date=DEMO_END_DATE, scale=0.2, users=3_000), full, FX_SEED)
    settings = make_settings(tmp_path)
    for table in ("google_ads/campaign_stats", "ga4/events"):
        shutil.copytree(full / table, settings.landing_path / table)
    for name, value in {
        "MOPS_WAREHOUSE": str(settings.warehouse_path),
        "MOPS_VAR_DIR": str(settings.var_path),
        "MOPS_LANDING_DIR": str(settings.landing_path),
        "COLUMNS": "250",
    }.items():
        monkeypatch.setenv(name, value)
    return settings


def test_google_ads_and_ga4_alone_build_and_run_daily(minimal_landing, prefect_server):
    from mops.app.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["ingest"]).exit_code == 0

    build = runner.invoke(app, ["build"])
    assert build.exit_code == 0, build.output
    text = " ".join(build.output.split())
    for mart, folder in [
        ("fct_budget_plan_daily", "plan/budget_plan/"),
        ("fct_ad_creative_daily", "google_ads/ad_group_ad_stats/"),
        ("dim_customers", "hubspot/contacts/"),
    ]:
        assert f"built empty: {mart}" in text and folder in text, text
    assert "dbt build passed" in text

    daily = runner.invoke(
        app, ["run", "daily", "--date", DEMO_END_DATE, "--approvals", "defer", "--as-of", "2026-07-01T09:00:00"]
    )
    assert daily.exit_code == 0, daily.output
    text = " ".join(daily.output.split())
    assert "skipped content_performance: agent content_performance skipped, input unavailable" in text
    assert "skipped segmentation: agent segmentation skipped, input unavailable: dim_customers is empty" in text
    with duckdb.connect(str(minimal_landing.warehouse_path), read_only=True) as con:
        steps = dict(con.execute("select step, status from ops.workflow_steps").fetchall())
        agent_runs = dict(con.execute("select agent, status from ops.agent_runs").fetchall())
        marts = {
            m: con.execute(f"select count(*) from marts.{m}_v1").fetchone()[0]
            for m in ("fct_ad_performance_daily", "fct_touchpoints", "fct_budget_plan_daily", "fct_ad_creative_daily")
        }
    assert steps == {
        "build": "succeeded",
        "attribution": "succeeded",
        "content_performance": "skipped",
        "segmentation": "skipped",
        "budget_optimizer": "succeeded",
        "reporting": "succeeded",
    }
    assert agent_runs["content_performance"] == "skipped" and agent_runs["segmentation"] == "skipped"
    assert marts["fct_ad_performance_daily"] > 0 and marts["fct_touchpoints"] > 0
    assert marts["fct_budget_plan_daily"] == 0 and marts["fct_ad_creative_daily"] == 0
