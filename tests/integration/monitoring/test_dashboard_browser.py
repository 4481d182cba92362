"""The operations dashboard in a real headless Chromium (Debian's, driven by Playwright).

The page renders without console errors or network requests, its charts exist and carry the ops
records (one dot per agent run with its duration, one per workflow run with its overhead share, one
bar per source with its freshness lag), and what the records say is shown as text, never as markup.
A screenshot is written to the test's tmp dir (MOPS_SCREENSHOT_DIR=docs/screenshots keeps one).
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from mops.core.ingest import FILES_COLUMNS
from mops.core.monitoring.check import MonitorConfig, assess, record
from mops.core.monitoring.dashboard import write
from mops.core.ops import OpsLog, writers
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.integration.monitoring.seed import MART, seed_conflict, seed_mart, seed_runs

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOW = datetime(2026, 7, 1, 9, 0)
HOSTILE = '<img src=x onerror="document.title=1">meta</b>'


def _seed(log: OpsLog) -> None:
    seed_runs(log, slow_last="attribution")
    seed_mart(log, spike=5.0)
    seed_conflict(log)
    log.append(  # a decision whose reason is markup: the page must show it as text
        "decisions",
        [
            {
                "run_id": "daily-2026-06-30",
                "agent": "attribution",
                "kind": "flag_underperforming",
                "subject": "google_ads",
                "action": "flag",
                "reason": HOSTILE,
                "details": "{}",
                "decided_at": datetime(2026, 7, 1, 6, 4),
            }
        ],
    )
    meeting = writers.lock_meeting(
        "refused",
        "warehouse /tmp/w.duckdb",
        {"run_id": "backfill-1", "workflow": "backfill", "what": "run backfill-1 of backfill", "pid": 11, "host": "h"},
        {"run_id": "daily-2026-06-30", "workflow": "daily", "what": "run daily-2026-06-30 of daily", "pid": 10},
        5.0,
        5.0,
        at=NOW - timedelta(hours=2),
    )
    log.append("conflicts", [meeting])
    files = [
        {
            "file_path": f"google_ads/{i}.csv",
            "source": "google_ads",
            "row_count": 100,
            "loaded_at": NOW - timedelta(hours=h),
        }
        for i, h in enumerate((50, 6))
    ] + [{"file_path": "meta_ads/0.csv", "source": "meta_ads", "row_count": 40, "loaded_at": NOW - timedelta(hours=80)}]
    frame = pd.DataFrame(files)
    for column in FILES_COLUMNS:
        frame[column] = frame.get(column)
    types = {c: t.replace(" primary key", "") for c, t in FILES_COLUMNS.items()}
    log.warehouse.append_rows("raw", "_mops_files", frame[list(FILES_COLUMNS)], types)


def test_the_dashboard_renders_its_charts_with_the_records(settings, tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Chromium is missing: run `make browser` (Debian package chromium)"
    warehouse = DuckDBWarehouse(settings)
    log = OpsLog(warehouse)
    _seed(log)
    config = MonitorConfig(kpi_relation=".".join(MART))
    state = assess(log, config, NOW)
    record(log, state, "daily-2026-06-30", config)
    page_path = write(tmp_path / "dashboard.html", log, state)
    durations = log.query("agent_runs")
    overhead = log.query("workflow_runs")
    warehouse.close()

    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1200})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri(), wait_until="load")
        charts = page.locator("svg.chart")
        drawn = {
            name: page.locator(f'g.series[data-series="{name}"] circle.point').evaluate_all(
                "els => els.map(e => [e.dataset.at, Number(e.dataset.value)])"
            )
            for name in ("attribution", "pacing", "budget_optimizer", "daily")
        }
        bars = dict(
            page.locator("rect.bar").evaluate_all("els => els.map(e => [e.dataset.series, Number(e.dataset.value)])")
        )
        visible = {
            "level": page.locator(".level").inner_text(),
            "conflicts": page.locator("table.conflicts").inner_text(),
            "images": page.locator("img").count(),
            "title": page.title(),
            "box": charts.first.bounding_box(),
        }
        chart_count = charts.count()
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()

    assert errors == [] and requests == [page_path.as_uri()]  # nothing fetched: self-contained
    assert chart_count >= 6 and visible["box"]["width"] > 300 and visible["box"]["height"] > 100
    for agent in ("attribution", "pacing", "budget_optimizer"):
        expected = durations[durations.agent == agent].sort_values("started_at")
        assert [round(v, 6) for _, v in drawn[agent]] == [round(v, 6) for v in expected.duration_s]
        assert [pd.Timestamp(t) for t, _ in drawn[agent]] == list(pd.to_datetime(expected.started_at))
    assert [round(v, 6) for _, v in drawn["daily"]] == [round(v * 100, 6) for v in overhead.overhead_share]
    assert bars["google_ads"] == pytest.approx(6.0) and bars["meta_ads"] == pytest.approx(80.0)  # newest file lag
    assert visible["level"] == "RED"  # the slow agent and the spend spike
    assert "increase_on_over_pacing" in visible["conflicts"] and "concurrent_write" in visible["conflicts"]
    assert "backfill-1" in visible["conflicts"] and "daily-2026-06-30" in visible["conflicts"]
    assert HOSTILE in visible["conflicts"] and visible["images"] == 0 and visible["title"] == "mops operations"
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("MOPS_SCREENSHOT_DIR")
    if keep:
        shutil.copyfile(shot, Path(keep) / "dashboard.png")
