"""The pass the engine runs after each workflow run: cheap, and never the reason a run fails."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mops.core.monitoring.check import MonitorState, assess, config_from, record
from mops.core.monitoring.dashboard import write
from mops.core.ops import writers
from mops.core.ops.records import OpsLog
from mops.core.warehouse.adapter import Warehouse

logger = logging.getLogger("mops.monitoring")


def _run_date(log: OpsLog, run_id: str):
    """The day the run was about: its KPIs and the sources' freshness are judged for that day."""
    rows = log.query("workflow_runs", "run_id = ?", [run_id])
    dates = rows.run_date.dropna()
    return pd.Timestamp(dates.iloc[-1]).date() if len(dates) else None


@dataclass
class MonitorPass:
    """What one pass found and wrote: its state, the alert rows, the dashboard file, its own seconds."""

    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)
    state: MonitorState | None = None
    dashboard: Path | None = None
    seconds: float = 0.0
    error: str = ""
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (what the pass costs where)


def dashboard_path(settings) -> Path:
    return settings.var_path / "monitoring" / "dashboard.html"


def after_run(warehouse: Warehouse, settings, run_id: str, owners: dict[str, str] | None = None) -> MonitorPass:
    """Record waits for the warehouse, assess, record what is new, alert, regenerate the dashboard."""
    started = time.perf_counter()
    phases: dict[str, float] = {}

    def timed(name: str, step):
        begun = time.perf_counter()
        value = step()
        phases[name] = round(time.perf_counter() - begun, 4)
        return value

    try:
        log = OpsLog(warehouse, snapshot=True)  # one short pass: one catalog query
        timed("writer_conflicts", lambda: writers.drain(log, settings))
        config = config_from(settings)
        state = timed("assess", lambda: assess(log, config, day=_run_date(log, run_id)))
        alerts = timed("record_and_alert", lambda: record(log, state, run_id, config, owners))
        path = timed("dashboard", lambda: write(dashboard_path(settings), log, state))
    except Exception as exc:  # monitoring watches the run; its own failure is logged, the run's result stands
        logger.warning("monitoring after run %s failed: %s: %s", run_id, type(exc).__name__, exc)
        return MonitorPass(seconds=time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}")
    result = MonitorPass(alerts, state, path, time.perf_counter() - started, phases=phases)
    logger.info(
        "monitoring after run %s: %s, %d anomalies, %d conflicts, %d alerts in %.2fs",
        run_id,
        state.level,
        len(state.anomalies),
        len(state.conflicts),
        len(alerts),
        result.seconds,
    )
    return result
