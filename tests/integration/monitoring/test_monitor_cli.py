"""`mops monitor` on a small seeded warehouse: green when all is well, red (exit 1) naming what is wrong."""

from __future__ import annotations

import json
import re
from datetime import datetime
from statistics import median

import pytest
from typer.testing import CliRunner

from mops.app.cli import app
from mops.core.ops import OpsLog
from mops.core.settings import Settings
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.integration.monitoring.seed import AGENTS, _noise, seed_conflict, seed_mart, seed_runs, write_manifest

NOW = datetime(2026, 7, 1, 9, 0)


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    """Returns a function seeding the warehouse; the CLI then reads it through MOPS_* settings."""
    settings = Settings(project_dir=tmp_path, warehouse=str(tmp_path / "warehouse.duckdb"))
    write_manifest(settings.dbt_target_path)
    monkeypatch.setenv("MOPS_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("MOPS_WAREHOUSE", str(settings.warehouse_path))
    monkeypatch.setattr("mops.core.monitoring.check.utcnow", lambda: NOW)

    def seed(**faults):
        warehouse = DuckDBWarehouse(settings)
        log = OpsLog(warehouse)
        seed_runs(log, slow_last=faults.get("slow"), failed_last=faults.get("failed", False))
        seed_mart(log, spike=faults.get("spike", 1.0))
        if faults.get("conflict"):
            seed_conflict(log)
        warehouse.close()

    return seed


def _monitor(*args):
    result = CliRunner().invoke(app, ["monitor", *args])
    return result, (json.loads(result.output) if args[-1:] == ("json",) else None)


def test_a_clean_month_is_green(seeded):
    seeded()
    result, state = _monitor("--format", "json")
    assert result.exit_code == 0, result.output
    assert state["level"] == "green" and state["anomalies"] == [] and state["conflicts"] == []
    assert [r["run_id"] for r in state["last_runs"]][0] == "daily-2026-06-30"
    assert {a["agent"] for a in state["agents"]} == {"attribution", "pacing", "budget_optimizer"}
    assert state["notes"] == []  # the KPI checks ran against the mart
    assert state["impact"]["workflow_runs"] == 20 and state["impact"]["handoffs_automated"] == 60  # 3 agents x 20
    assert state["impact"]["analyst_hours_saved"] == 60 * 15 / 60


def test_slow_agent_spend_spike_and_conflict_are_red(seeded):
    seeded(slow="attribution", spike=5.0, conflict=True)
    result, state = _monitor("--format", "json")
    assert result.exit_code == 1
    messages = [a["message"] for a in state["anomalies"]]
    durations = [AGENTS["attribution"] * _noise(i) for i in range(20)]
    ratio = durations[-1] * 4.5 / median(durations[-15:-1])  # the seeded slow run against its last 14 runs
    assert f"attribution took {ratio:.1f}x its median of the last 14 runs" in messages[0]
    spend = re.fullmatch(r"meta_ads spend yesterday (\d+\.\d)x its Tuesday median \(.*\)", messages[1])
    assert spend and 4.5 <= float(spend.group(1)) <= 5.5  # a 5x spike on a Tuesday, against noisy Tuesdays
    assert len(messages) == 2  # nothing on google_ads, pacing or budget_optimizer
    [conflict] = state["conflicts"]
    assert state["impact"]["conflicts_per_run"] == 1 / 20 and state["impact"]["decisions_made"] == 2
    assert (conflict["rule"], conflict["a_run_id"], conflict["b_run_id"]) == (
        "increase_on_over_pacing",
        "daily-2026-06-30",
        "daily-2026-06-30",
    )


def test_failed_run_is_red_in_the_table_view(seeded):
    seeded(failed=True)
    result, _ = _monitor()
    assert result.exit_code == 1
    assert "RED" in result.output and "last run daily-2026-06-30 failed" in result.output
    assert "overhead trend" in result.output


def test_without_a_warehouse_the_error_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("MOPS_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    result, _ = _monitor()
    assert result.exit_code == 1 and "does not exist yet" in " ".join(result.output.split())  # wrapped


def test_bad_format_is_refused(seeded):
    seeded()
    result, _ = _monitor("--format", "xml")
    assert result.exit_code == 2 and "table or json" in result.output


def test_the_dashboard_carries_data(seeded, tmp_path):
    from html.parser import HTMLParser

    seeded(slow="attribution", conflict=True)
    page = tmp_path / "out" / "dashboard.html"
    result, _ = _monitor("--html", str(page))
    assert result.exit_code == 1 and "dashboard:" in result.output
    html = page.read_text()

    class Charts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.series, self.scripts = {}, 0

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            self.scripts += tag == "script"
            if tag == "g" and attrs.get("class") == "series":
                self.series[attrs["data-series"]] = int(attrs["data-points"])

    charts = Charts()
    charts.feed(html)
    assert charts.scripts == 0
    assert (
        charts.series["attribution"] == 20 and charts.series["daily"] == 20 and charts.series["fct_touchpoints"] == 20
    )
    assert "attribution took" in html and "increase_on_over_pacing" in html


def test_the_dashboard_escapes_what_the_records_say(seeded, tmp_path):
    from mops.core.monitoring.check import assess
    from mops.core.monitoring.dashboard import render

    seeded()
    with DuckDBWarehouse(Settings(project_dir=tmp_path, warehouse=str(tmp_path / "warehouse.duckdb"))) as warehouse:
        log = OpsLog(warehouse)
        state = assess(log, now=NOW).model_copy(update={"reasons": ["agent <script>alert(1)</script> failed"]})
        html = render(log, state)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
