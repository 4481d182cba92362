"""The ops records: the one home of every `ops` table (definitions, writers, readers).

The runtime, the engine, approvals and events write through `OpsLog`; monitoring and audit read
and extend it here, on DuckDB and PostgreSQL alike (the warehouse adapter hides the difference).
"""

from mops.core.ops.records import OpsLog
from mops.core.ops.runs import context_sources, finish_run, mixed_sources, start_run
from mops.core.ops.tables import OPS_SCHEMA, TABLES

__all__ = ["OPS_SCHEMA", "TABLES", "OpsLog", "context_sources", "finish_run", "mixed_sources", "start_run"]
