"""Build only what changed: an unchanged day rebuilds nothing, a new file rebuilds only what it reaches.

The demo is landed as in the incremental test (history, then one file at a time); every build goes through
`mops.core.build_plan.build`. What dbt ran is read from its run_results.json and compared with the models
downstream of the changed source in dbt's own manifest; at the end the marts equal a full refresh.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from demo import generate
from mops.core.build_plan import build, plan_build
from mops.core.settings import PROJECT_DIR, Settings
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import FX_SEED
from tests.integration.test_incremental_builds import DEMO, GOOGLE_STATS, _land, _relations, write_steps

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def steps(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("changed")
    generate(DEMO, root / "demo", FX_SEED)
    write_steps(root / "demo", root / "steps")
    return root / "steps"


@pytest.fixture
def settings(tmp_path) -> Settings:
    """A private copy of the dbt project (this test edits a model) next to the repository's contracts."""
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR / "dbt_project", project / "dbt_project", ignore=shutil.ignore_patterns("target*", "logs")
    )
    (project / "contracts").symlink_to(PROJECT_DIR / "contracts")
    return Settings(
        project_dir=project,
        warehouse=str(tmp_path / "warehouse.duckdb"),
        landing_dir=tmp_path / "landing",
        var_dir=tmp_path / "var",
    )


def _only(step: Path, keep: Path, into: Path) -> Path:
    """A landing step holding only the files under `keep` (a platform folder)."""
    for path in (step / keep).rglob("*"):
        if path.is_file():
            target = into / path.relative_to(step)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    return into


def _downstream(settings: Settings, source: str) -> set[str]:
    """Models, seeds and snapshots reachable from a source in dbt's manifest (its child map)."""
    manifest = json.loads((settings.dbt_target_path / "manifest.json").read_text())
    start = next(uid for uid, s in manifest["sources"].items() if f"{s['source_name']}.{s['name']}" == source)
    seen, todo = set(), [start]
    while todo:
        for child in manifest["child_map"][todo.pop()]:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return {n for n in seen if n.startswith(("model.", "seed.", "snapshot."))}


def _last_build(settings: Settings) -> dict:
    with DuckDBWarehouse(settings, read_only=True) as warehouse:
        rows = warehouse.query("select * from ops.dbt_builds order by finished_at desc limit 1")
    return rows.iloc[0].to_dict()


def test_only_what_changed_is_rebuilt_and_the_marts_equal_a_full_build(steps, settings, tmp_path, monkeypatch):
    _land(settings, steps / "0")
    first = build(settings)
    assert first.ok, first.result.failures
    assert first.plan.mode == "all" and "no successful build" in first.plan.reasons[0]
    every_model = {n for n in first.nodes if n.startswith("model.")}
    assert len(every_model) > 30

    # nothing new: no dbt process, and the CLI and the ops record say so
    again = build(settings)
    assert again.plan.mode == "nothing" and again.result is None and again.nodes == []
    assert "no model rebuilt" in again.message
    assert _last_build(settings)["mode"] == "nothing"
    import mops.app.cli
    import mops.app.cli.data

    monkeypatch.setattr(mops.app.cli.data, "get_settings", lambda: settings)
    shown = CliRunner().invoke(mops.app.cli.app, ["build"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "nothing to rebuild" in shown.output and "no model rebuilt" in shown.output

    # one new Google Ads file: only what reads google_ads.campaign_stats is rebuilt
    _land(settings, _only(steps / "1", GOOGLE_STATS, tmp_path / "google"))
    google = build(settings)
    assert google.ok, google.result.failures
    assert google.plan.select == "source:google_ads.campaign_stats+"
    assert google.nodes and set(google.nodes) <= _downstream(settings, "google_ads.campaign_stats")
    assert "model.mops.stg_ga4__events" not in google.nodes
    assert len(google.nodes) < len(every_model)

    # one new GA4 day: the web path is rebuilt, the ad platforms' staging is not
    _land(settings, _only(steps / "1", Path("ga4"), tmp_path / "ga4"))
    web = build(settings)
    assert web.ok, web.result.failures
    assert web.plan.select == "source:ga4.events+"
    assert "model.mops.stg_ga4__events" in web.nodes
    assert set(web.nodes) <= _downstream(settings, "ga4.events")
    assert not any("google_ads" in n for n in web.nodes)

    # a changed model: it and what reads it (dbt's state:modified+ against the last build's manifest)
    model = next((settings.dbt_project_dir / "models").rglob("int_ad_performance_unioned.sql"))
    model.write_text(model.read_text() + "\n-- a comment is a change of the model's code\n")
    edited = build(settings)
    assert edited.ok, edited.result.failures
    assert edited.plan.select == "state:modified+"
    assert "model.mops.int_ad_performance_unioned" in edited.nodes
    assert "model.mops.stg_ga4__events" not in edited.nodes
    assert build(settings).plan.mode == "nothing"

    changed_only = _relations(settings)
    full = build(settings, changed_only=False, full_refresh=True)
    assert full.ok and full.plan.mode == "all"
    rebuilt = _relations(settings)
    assert sorted(changed_only) == sorted(rebuilt) and len(rebuilt) > 10
    for name, frame in rebuilt.items():
        pd.testing.assert_frame_equal(changed_only[name], frame, obj=name)

    # a new warehouse under the same var/ is built whole: the state file alone is not trusted
    settings.warehouse_path.unlink()
    _land(settings, steps / "0")
    plan = plan_build(settings)
    assert plan.mode == "all" and "no record of build" in plan.reasons[0]
