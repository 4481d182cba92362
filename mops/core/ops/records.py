"""Writers and readers of the `ops` tables, over any warehouse adapter."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from statistics import median

import pandas as pd

from mops.core.base import utcnow
from mops.core.ops.tables import OPS_SCHEMA, TABLES
from mops.core.warehouse.adapter import Warehouse


class OpsLog:
    """The ops records of one warehouse: every write names its table; columns come from `TABLES`."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    # --- generic ------------------------------------------------------------------------------

    def exists(self, table: str) -> bool:
        return self.warehouse.exists(OPS_SCHEMA, table)

    def append(self, table: str, rows: Iterable[dict] | pd.DataFrame) -> None:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        if frame.empty:
            return
        types = TABLES[table]
        for column in types:
            if column not in frame:
                frame[column] = None
        self.warehouse.append_rows(OPS_SCHEMA, table, frame[list(types)], types)

    def query(self, table: str, where: str = "", params: list | None = None, order: str = "") -> pd.DataFrame:
        """Rows of one ops table (empty with its columns when the table does not exist yet)."""
        if not self.exists(table):
            return pd.DataFrame(columns=list(TABLES[table]))
        sql = f"select * from {OPS_SCHEMA}.{table}"  # table names come from TABLES, never from input
        sql += f" where {where}" if where else ""
        sql += f" order by {order}" if order else ""
        return self.warehouse.query(sql, params or [])

    # --- runtime ------------------------------------------------------------------------------

    # --- engine -------------------------------------------------------------------------------

    def step_estimates(self, workflow: str) -> dict[str, float]:
        """Median duration of each step's recent successful runs (the history deadlines are judged on)."""
        rows = self.query(
            "workflow_steps", "workflow = ? and status = 'succeeded'", [workflow], order="finished_at desc"
        ).head(500)
        return {step: float(median(group.duration_s.head(10))) for step, group in rows.groupby("step")}

    def applied(self, run_id: str, workflow: str, items: list[tuple[str, dict]]) -> None:
        """Decisions as auto-applied, approved, rejected, expired, pending or held (ops.applied_decisions)."""
        now = utcnow()
        self.append(
            "applied_decisions",
            [
                {
                    "run_id": run_id,
                    "workflow": workflow,
                    "step": step,
                    "subject": item["subject"],
                    "value": item.get("value"),
                    "status": item["status"],
                    "decided_by": item.get("decided_by"),
                    "reason": item.get("reason"),
                    "recorded_at": now,
                }
                for step, item in items
            ],
        )

    # --- events -------------------------------------------------------------------------------

    def last_event_start(self, workflow: str) -> datetime | None:
        if not self.exists("events"):
            return None
        rows = self.warehouse.query(
            f"select max(occurred_at) as occurred_at from {OPS_SCHEMA}.events "
            "where target_workflow = ? and status = 'triggered'",
            [workflow],
        )
        value = rows["occurred_at"].iloc[0]
        return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()
