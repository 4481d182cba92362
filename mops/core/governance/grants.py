"""PostgreSQL roles and privileges generated from dbt's manifest (meta.pii) and the ops tables.

The database enforces what the runtime only checks on DuckDB (an embedded file has no users):

- `<prefix>_runtime`: the role agent runs connect as. SELECT on the non-PII columns of every public model
  (column privileges), its own `agents` schema, the ops records; on `ops.audit_log` only INSERT and SELECT
  (no UPDATE, DELETE or TRUNCATE, and the table is owned by the admin, so the role cannot alter or drop it).
- `<prefix>_runtime_pii`: the runtime role plus SELECT on the PII columns, for a run granted PII.
- `<prefix>_analyst`: SELECT on masked views (schema `masked`): every public model with its PII columns NULL.
- `<prefix>_analyst_pii`: the analyst role plus the public models themselves.

The roles are NOLOGIN groups: grant them to login users (`grant mops_runtime to mops_worker`). dbt rebuilds
its tables, which drops their grants, so the statements are re-applied after every build on PostgreSQL.
"""

from __future__ import annotations

import re

from mops.core.errors import WarehouseError
from mops.core.ops.tables import TABLES
from mops.core.warehouse.adapter import DbtManifest, ModelRelation

PREFIX = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
MASKED_SCHEMA = "masked"
AGENTS_SCHEMA = "agents"
OPS_SCHEMA = "ops"
LEDGER_TABLE = "audit_log"


def q(name: str) -> str:
    """A quoted identifier (names come from the manifest and the ops registry, never from users)."""
    return '"' + name.replace('"', '""') + '"'


def role_names(prefix: str) -> dict[str, str]:
    if not PREFIX.match(prefix):
        raise WarehouseError(f"role prefix {prefix!r}: use lower-case letters, digits and _ (e.g. mops)")
    return {kind: f"{prefix}_{kind}" for kind in ("runtime", "runtime_pii", "analyst", "analyst_pii")}


def _create_role(name: str, member_of: str | None = None) -> list[str]:
    create = (
        f"do $$ begin if not exists (select from pg_roles where rolname = '{name}') then "
        f"create role {q(name)} nologin; end if; end $$"
    )
    return [create] + ([f"grant {q(member_of)} to {q(name)}"] if member_of else [])


def _ops_ddl(table: str) -> str:
    """An ops table as the ops registry defines it, created by the admin (so the admin owns it, not the runtime)."""
    columns = ", ".join(f"{q(c)} {t}" for c, t in TABLES[table].items())
    return f"create table if not exists {q(OPS_SCHEMA)}.{q(table)} ({columns})"


def masked_view(relation: ModelRelation) -> str:
    """A view of the relation with its PII columns NULL (same names and types: analysts' queries still run)."""
    selects = []
    for column, data_type in relation.columns.items():
        if column in relation.pii_columns:
            selects.append(f"cast(null as {data_type or 'text'}) as {q(column)}")
        else:
            selects.append(q(column))
    source = f"{q(relation.schema)}.{q(relation.name)}"
    return f"create or replace view {q(MASKED_SCHEMA)}.{q(relation.name)} as select {', '.join(selects)} from {source}"


def grant_statements(manifest: DbtManifest, prefix: str) -> list[str]:
    """Every statement, in order; idempotent (re-run after each build and after an upgrade adds ops tables)."""
    roles = role_names(prefix)
    runtime, runtime_pii = roles["runtime"], roles["runtime_pii"]
    analyst, analyst_pii = roles["analyst"], roles["analyst_pii"]
    relations = manifest.public_relations()
    names = [r.name for r in relations]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise WarehouseError(f"public models share a relation name ({', '.join(duplicated)}): masked views need one")
    sql = [
        *_create_role(runtime),
        *_create_role(runtime_pii, member_of=runtime),
        *_create_role(analyst),
        *_create_role(analyst_pii, member_of=analyst),
        f"create schema if not exists {q(OPS_SCHEMA)}",
        f"create schema if not exists {q(AGENTS_SCHEMA)}",
        f"create schema if not exists {q(MASKED_SCHEMA)}",
        *(_ops_ddl(table) for table in sorted(TABLES)),
    ]
    for schema in sorted({r.schema for r in relations}):
        sql.append(f"grant usage on schema {q(schema)} to {q(runtime)}, {q(analyst_pii)}")
    for relation in relations:
        table = f"{q(relation.schema)}.{q(relation.name)}"
        plain = [c for c in relation.columns if c not in relation.pii_columns]
        sql.append(f"revoke all on {table} from {q(runtime)}, {q(runtime_pii)}")
        sql.append(f"grant select ({', '.join(q(c) for c in plain)}) on {table} to {q(runtime)}")
        if relation.pii_columns:
            pii = ", ".join(q(c) for c in relation.pii_columns)
            sql.append(f"grant select ({pii}) on {table} to {q(runtime_pii)}")
        sql.append(f"grant select on {table} to {q(analyst_pii)}")
        sql.append(masked_view(relation))
        sql.append(f"grant select on {q(MASKED_SCHEMA)}.{q(relation.name)} to {q(analyst)}")
    sql.append(f"grant usage on schema {q(MASKED_SCHEMA)} to {q(analyst)}")
    # the agents' outputs: the runtime replaces partitions (delete + insert) and creates new versions' tables
    sql.append(f"grant usage, create on schema {q(AGENTS_SCHEMA)} to {q(runtime)}")
    sql.append(f"grant select, insert, delete on all tables in schema {q(AGENTS_SCHEMA)} to {q(runtime)}")
    # CREATE too: an ops table a newer mops adds before the grants are re-run (never audit_log: it exists)
    sql.append(f"grant usage, create on schema {q(OPS_SCHEMA)} to {q(runtime)}")
    for table in sorted(set(TABLES) - {LEDGER_TABLE}):
        sql.append(f"grant select, insert, update, delete on {q(OPS_SCHEMA)}.{q(table)} to {q(runtime)}")
    ledger = f"{q(OPS_SCHEMA)}.{q(LEDGER_TABLE)}"
    sql.append(f"revoke all on {ledger} from {q(runtime)}, {q(runtime_pii)}")
    sql.append(f"grant select, insert on {ledger} to {q(runtime)}")
    return sql


def apply_grants(url: str, manifest: DbtManifest, prefix: str) -> list[str]:
    """Run the statements as the connecting (admin) user, in one transaction; returns what ran."""
    from mops.core.warehouse.connections import connect_postgres

    con = connect_postgres(url)
    try:
        with con.cursor() as cursor:
            statements = grant_statements(manifest, prefix)
            for statement in statements:
                cursor.execute(statement)
        con.commit()
    except Exception as exc:
        con.rollback()
        raise WarehouseError(f"setting up the roles failed (nothing changed): {exc}") from exc
    finally:
        con.close()
    return statements
