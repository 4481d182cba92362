"""Done when (issue 12): the daily workflow day after day over a simulated month, with injected faults.

The month is June of the demo world (the session's demo warehouse, built from the simulator's exports).
Data faults go through the real path: an export edited, re-ingested (`mops ingest`'s code) and built
(dbt, changed models only). Agent faults are parameters of the test agents (tests/month_agents.py) that
make the daily workflow's decisions. Each day is one real Prefect flow run of the workflow, followed by
the engine's monitoring pass, alerting to a real HTTP receiver through apprise. Asserted: each fault is
detected, alerted once, held where the spec says so, shown by `mops monitor --format json` and on the
dashboard; the same month without faults alerts nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from flows.local import run_once
from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import open_warehouse
from tests.flows.conftest import write_spec
from tests.integration.monitoring.test_alerts import Receiver

pytestmark = pytest.mark.slow

FIRST = date(2026, 6, 18)
DAYS = [FIRST + timedelta(days=i) for i in range(13)]  # June 18..30: the month's last 13 days run for real
SPIKE_DAY, CONTRA_DAY, SLOW_DAY, PACING_DAY = date(2026, 6, 19), date(2026, 6, 23), date(2026, 6, 25), date(2026, 6, 28)
STALE_FROM = date(2026, 6, 26)  # tiktok_ads delivers nothing from this day on
SPIKE_FACTOR = 4.0

SPEC = """
steps:
  - id: attribution
    agent: attribution
    parameters: {attribution}
    policy: {{on_failure: skip}}
  - id: pacing
    agent: pacing
    parameters: {pacing}
    policy: {{on_failure: skip}}
  - id: budget_optimizer
    agent: budget_optimizer
    after: [attribution, pacing]
    parameters: {{}}
    approval: {{decision: shift_budget, above: 0.15}}
    hold_on_anomalies: [spend, conversions]
    policy: {{on_failure: skip}}
concurrency: {{max_parallel: 2}}
"""


@pytest.fixture
def month(engine, monkeypatch):
    settings, specs = engine
    monkeypatch.setenv("MOPS_AGENT_MODULES", json.dumps(["tests.month_agents"]))
    monkeypatch.setenv("MOPS_MONITOR_RUNTIME_MIN_CHANGE_S", "3")  # the test agents run in well under a second
    # ...so Prefect's own time is most of each run's wall time: the overhead rule is not under test here
    monkeypatch.setenv("MOPS_MONITOR_OVERHEAD_THRESHOLD", "0.95")
    from mops.core.settings import get_settings

    return get_settings(), specs


def _edit_jsonl(path: Path, edit) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in (edit(r) for r in rows) if r is not None]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _inject_export_faults(settings, built_landing: Path) -> None:
    """A spend spike in one Meta account's export, TikTok's files withheld from STALE_FROM; ingest and build."""
    from mops.app.cli.data import run_build, run_ingest

    landing = settings.landing_path
    shutil.copytree(built_landing, landing, dirs_exist_ok=True)

    def spike(row):
        if row["date_start"] == SPIKE_DAY.isoformat():
            row["spend"] = f"{float(row['spend']) * SPIKE_FACTOR:.2f}"
        return row

    _edit_jsonl(next((landing / "meta_ads" / "insights").glob("*_2026-06.jsonl")), spike)
    _edit_jsonl(
        next((landing / "tiktok_ads" / "campaign_report").glob("*_2026-06.jsonl")),
        lambda row: None if row["stat_time_day"][:10] >= STALE_FROM.isoformat() else row,
    )
    assert run_ingest(settings, landing) == 0
    assert run_build(settings)


def _raised(settings, day: date) -> str:
    """The channel the budget raised on a day (the faults contradict what the optimizer actually does)."""
    with open_warehouse(settings) as warehouse:
        rows = OpsLog(warehouse).query("decisions", "action = 'increase_spend'", order="decided_at")
    return str(rows.subject.iloc[-1])


def _run_month(settings, specs, faults: bool) -> tuple[list, dict[date, object], float]:
    summaries, started = {}, time.perf_counter()
    for day in DAYS:
        attribution, pacing = {}, {}
        if faults and day == SLOW_DAY:
            attribution = {"delay_s": 15.0}  # well above a loaded machine's jitter of these millisecond agents
        if faults and day == CONTRA_DAY:
            attribution = {"flag": [_raised(settings, day - timedelta(days=1))]}
        if faults and day == PACING_DAY:
            pacing = {"flag": [_raised(settings, day - timedelta(days=1))]}
        write_spec(specs, "daily", SPEC.format(attribution=json.dumps(attribution), pacing=json.dumps(pacing)))
        summaries[day] = run_once(settings, "daily", day)
    return summaries, time.perf_counter() - started


def _monitor_json(settings) -> dict:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mops"), "monitor", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(result.stdout)


def test_a_clean_month_raises_no_alert(month, monkeypatch):
    settings, specs = month
    with Receiver() as receiver:
        monkeypatch.setenv("MOPS_ALERT_URLS", json.dumps([receiver.url]))
        summaries, seconds = _run_month(settings, specs, faults=False)
    print(f"clean month: {len(DAYS)} daily runs in {seconds:.1f} s; alerts: {[m['title'] for m in receiver.received]}")
    assert all(s.status == "succeeded" for s in summaries.values()), [s.status for s in summaries.values()]
    assert receiver.received == []
    with open_warehouse(settings) as warehouse:
        log = OpsLog(warehouse)
        assert log.query("alerts").empty
        assert log.query("applied_decisions", "status = 'held'").empty
        assert set(log.query("applied_decisions").status) == {"auto_applied"}


def test_each_fault_of_the_month_is_detected_alerted_once_held_and_shown(month, built_warehouse, monkeypatch):
    settings, specs = month
    _inject_export_faults(settings, built_warehouse.landing)
    with Receiver() as receiver:
        monkeypatch.setenv("MOPS_ALERT_URLS", json.dumps([receiver.url]))
        summaries, seconds = _run_month(settings, specs, faults=True)
    print(f"faulted month: {len(DAYS)} daily runs in {seconds:.1f} s")
    titles = Counter(m["title"] for m in receiver.received)
    print("alerts received:", dict(titles))
    with open_warehouse(settings) as warehouse:
        runs = OpsLog(warehouse).query("agent_runs", "agent = 'attribution'", order="started_at")
    print("attribution durations (s):", [round(d, 2) for d in runs.duration_s])
    contra = _conflict_subject(settings, "increase_on_underperforming")
    pacing = _conflict_subject(settings, "increase_on_over_pacing")
    assert titles == Counter(
        {
            "mops: runtime anomaly on attribution": 1,
            "mops: kpi anomaly on meta_ads": 1,
            "mops: tiktok_ads.campaign_report is late": 1,
            f"mops: conflict increase_on_underperforming on {contra}": 1,
            f"mops: conflict increase_on_over_pacing on {pacing}": 1,
        }
    )
    messages = {m["title"]: m["message"] for m in receiver.received}
    assert "attribution took" in messages["mops: runtime anomaly on attribution"]
    assert f"meta_ads spend on {SPIKE_DAY.isoformat()}" in messages["mops: kpi anomaly on meta_ads"]

    # held where the spec says: the spike day's budget shifts, and only those
    spiked = summaries[SPIKE_DAY].step("budget_optimizer")
    assert spiked.approvals and {a.status for a in spiked.approvals} == {"held"}
    assert all(f"spend anomaly: meta_ads spend on {SPIKE_DAY.isoformat()}" in a.reason for a in spiked.approvals)
    print("held because:", spiked.approvals[0].reason)
    assert any("held, not applied" in w for w in spiked.warnings)
    with open_warehouse(settings) as warehouse:
        log = OpsLog(warehouse)
        applied = log.query("applied_decisions")
        alerts = log.query("alerts", order="sent_at")
    held_runs = set(applied[applied.status == "held"].run_id)
    assert held_runs == {summaries[SPIKE_DAY].run_id}
    assert set(applied[applied.status != "held"].status) == {"auto_applied"}
    # alerted once: repeats of a lasting problem are recorded as suppressed, never sent again
    delivered = alerts[alerts.status == "delivered"]
    assert delivered.fingerprint.is_unique and len(delivered) == 5
    stale = alerts[alerts.kind == "freshness"]
    assert list(stale.status) == ["delivered"] + ["suppressed"] * (len(stale) - 1) and len(stale) >= 4

    state = _monitor_json(settings)
    shown = {(a["kind"], a["subject"]) for a in state["alerts"] if a["status"] == "delivered"}
    assert shown == {
        ("anomaly", "attribution"),
        ("anomaly", "meta_ads"),
        ("freshness", "tiktok_ads.campaign_report"),
        ("conflict", contra),
        ("conflict", pacing),
    }
    assert [
        s["status"] for s in state["sources"] if s["source"] == "tiktok_ads" and s["table"] == "campaign_report"
    ] == ["error"]
    assert {h["subject"] for h in state["held"]} and all("meta_ads spend" in h["reason"] for h in state["held"])
    assert {c["rule"] for c in state["conflicts"]} >= {"increase_on_underperforming", "increase_on_over_pacing"}
    page = (settings.var_path / "monitoring" / "dashboard.html").read_text()
    for needle in (
        "attribution took",
        f"meta_ads spend on {SPIKE_DAY.isoformat()}",
        "tiktok_ads.campaign_report",
        "increase_on_underperforming",
        "increase_on_over_pacing",
    ):
        assert needle in page, needle
    print("figures:", json.dumps(state["impact"]))


def _conflict_subject(settings, rule: str) -> str:
    with open_warehouse(settings) as warehouse:
        rows = OpsLog(warehouse).query("conflicts", "rule = ?", [rule])
    assert len(set(rows.subject)) == 1, rows
    return str(rows.subject.iloc[0])
