"""The pass the engine runs after each workflow run: cheap, and never the reason a run fails."""

from __future__ import annotations

import logging
import time

import pandas as pd

from mops.core.monitoring.check import assess, config_from, record
from mops.core.monitoring.dashboard import write
from mops.core.ops.records import OpsLog
from mops.core.warehouse.adapter import Warehouse

logger = logging.getLogger("mops.monitoring")


def _run_date(log: OpsLog, run_id: str):
    """The day the run was about: its KPIs and the sources' freshness are judged for that day."""
    rows = log.query("workflow_runs", "run_id = ?", [run_id])
    dates = rows.run_date.dropna()
    return pd.Timestamp(dates.iloc[-1]).date() if len(dates) else None


def after_run(warehouse: Warehouse, settings, run_id: str, owners: dict[str, str] | None = None) -> pd.DataFrame:
    """Assess, record what is new, send the alerts, regenerate the dashboard; the alert rows (empty: it failed)."""
    started = time.perf_counter()
    try:
        log = OpsLog(warehouse)
        config = config_from(settings)
        state = assess(log, config, day=_run_date(log, run_id))
        alerts = record(log, state, run_id, config, owners)
        write(settings.var_path / "monitoring" / "dashboard.html", log, state)
    except Exception as exc:  # monitoring watches the run; its own failure is logged, the run's result stands
        logger.warning("monitoring after run %s failed: %s: %s", run_id, type(exc).__name__, exc)
        return pd.DataFrame()
    logger.info(
        "monitoring after run %s: %s, %d anomalies, %d conflicts, %d alerts in %.2fs",
        run_id,
        state.level,
        len(state.anomalies),
        len(state.conflicts),
        len(alerts),
        time.perf_counter() - started,
    )
    return alerts
