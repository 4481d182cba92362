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

    def __init__(self, warehouse: Warehouse, snapshot: bool = False):
        """`snapshot`: a short pass (monitoring) that also trusts what did not exist at its start, except
        what it writes itself; otherwise only tables seen to exist are remembered (none is ever dropped)."""
        self.warehouse = warehouse
        self.snapshot = snapshot
        self._existing: set[str] | None = None
        self._read: dict[tuple, pd.DataFrame] = {}  # snapshot: each distinct read once (until it writes there)

    # --- generic ------------------------------------------------------------------------------

    def exists(self, table: str) -> bool:
        """One catalog query for every ops table at first; later only for a table not seen yet."""
        if self._existing is None:
            rows = self.warehouse.fetch(
                "select distinct table_name from information_schema.tables where table_schema = ?", [OPS_SCHEMA]
            )
            self._existing = {row[0] for row in rows}
        elif table not in self._existing and not self.snapshot and self.warehouse.exists(OPS_SCHEMA, table):
            self._existing.add(table)
        return table in self._existing

    def append(self, table: str, rows: Iterable[dict] | pd.DataFrame) -> None:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        if frame.empty:
            return
        types = TABLES[table]
        for column in types:
            if column not in frame:
                frame[column] = None
        self.warehouse.append_rows(OPS_SCHEMA, table, frame[list(types)], types)
        if self._existing is not None:
            self._existing.add(table)
        self._read = {k: v for k, v in self._read.items() if k[0] != table}

    def append_few(self, table: str, rows: list[dict]) -> None:
        """Append a handful of rows of plain Python values (str, int, datetime) as bound parameters: cheaper
        than a frame for the ledger's entry per append."""
        self.warehouse.insert_values(OPS_SCHEMA, table, rows, TABLES[table])
        if self._existing is not None:
            self._existing.add(table)
        self._read = {k: v for k, v in self._read.items() if k[0] != table}

    def query(self, table: str, where: str = "", params: list | None = None, order: str = "") -> pd.DataFrame:
        """Rows of one ops table (empty with its columns when the table does not exist yet)."""
        if not self.exists(table):
            return pd.DataFrame(columns=list(TABLES[table]))
        key = (table, where, tuple(map(repr, params or [])), order)
        if self.snapshot and key in self._read:
            return self._read[key].copy()
        sql = f"select * from {OPS_SCHEMA}.{table}"  # table names come from TABLES, never from input
        sql += f" where {where}" if where else ""
        sql += f" order by {order}" if order else ""
        rows = self.warehouse.query(sql, params or [])
        if self.snapshot:
            self._read[key] = rows.copy()
        return rows

    def count(self, table: str, where: str = "", params: list | None = None) -> int:
        """Rows of one ops table (0 when it does not exist yet), counted in the warehouse."""
        if not self.exists(table):
            return 0
        sql = f"select count(*) as n from {OPS_SCHEMA}.{table}" + (f" where {where}" if where else "")
        return int(self.warehouse.query(sql, params or []).n.iloc[0])

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
