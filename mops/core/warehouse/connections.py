"""Opening connections: the DuckDB file (lock conflicts as a clear error) and PostgreSQL (unreachable as one).

The embedded warehouse has no users, so the boundary agents must not cross is kept here:
- every connection mops opens carries this process's runtime configuration (a nonce in DuckDB's
  `custom_user_agent`). DuckDB refuses a second connection to an open file with another configuration, so
  agent code calling `duckdb.connect(<warehouse>)` inside a step is refused by DuckDB itself, and another
  process is refused by the file lock the runtime holds;
- while an agent's function runs (`agent_step`), `connect_duckdb` itself refuses, and every attempt is kept
  so the runner names it in the run's failure even when the agent caught the error.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import duckdb

from mops.core.errors import WarehouseBusy, WarehouseBypass, WarehouseError, WarehouseMissing

RUNTIME_CONFIG = {"custom_user_agent": f"mops-runtime/{secrets.token_hex(8)}"}
_STEP: ContextVar[list[str] | None] = ContextVar("mops_agent_step", default=None)
_AGENT: ContextVar[str] = ContextVar("mops_agent_name", default="")
CONFIG_REFUSAL = "different configuration than existing connections"


@contextmanager
def agent_step(agent: str) -> Iterator[list[str]]:
    """The agent's function runs inside: connections it opens through mops are refused and listed."""
    attempts: list[str] = []
    tokens = (_STEP.set(attempts), _AGENT.set(agent))
    try:
        yield attempts
    finally:
        _STEP.reset(tokens[0])
        _AGENT.reset(tokens[1])


def is_bypass_refusal(exc: BaseException) -> bool:
    """DuckDB refused a connection to a file the runtime holds open with its own configuration."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, WarehouseBypass) or (isinstance(exc, duckdb.Error) and CONFIG_REFUSAL in str(exc)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _refuse_inside_agent_step(where: str) -> None:
    attempts = _STEP.get()
    if attempts is not None:
        attempts.append(where)
        raise WarehouseBypass(
            f"agent {_AGENT.get()} opened a connection to {where} inside its step: agents read and write only "
            "through the runtime"
        )


def connect_duckdb(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; DuckDB allows one read-write process, so say who holds it."""
    _refuse_inside_agent_step(str(path))
    if read_only and not path.exists():
        raise WarehouseMissing(f"warehouse {path} does not exist yet: run `mops ingest` and `mops build`")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=dict(RUNTIME_CONFIG))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy(f"warehouse {path} is open in another process (one writer at a time): {exc}") from exc
        raise


def connect_postgres(url: str):
    """A psycopg2 connection to the warehouse URL; an unreachable server is a WarehouseError naming it."""
    import psycopg2

    _refuse_inside_agent_step(url.split("@")[-1])
    try:
        return psycopg2.connect(url)
    except psycopg2.OperationalError as exc:
        raise WarehouseError(f"cannot connect to the PostgreSQL warehouse {url}: {exc}") from exc
