"""PostgreSQL enforces what the runtime checks: generated roles, tried through each role's own connection.

A throwaway database and throwaway roles (unique names, dropped after). The manifest is a small one written
here (a model with PII columns tagged meta.pii, as dbt writes them), so the test is about the mechanism, not
the demo's marts: the runtime role cannot read the PII columns and cannot rewrite or delete ledger rows; the
reads it is allowed work, through the real adapter and runner.
"""

from __future__ import annotations

import json
import uuid
from contextlib import closing
from datetime import date

import psycopg2
import pytest

from mops.core.governance.grants import apply_grants, grant_statements, role_names
from mops.core.governance.ledger import Ledger
from mops.core.runtime.agent import Read
from mops.core.runtime.context import RunContext
from mops.core.runtime.gates import GateFailed
from mops.core.runtime.runner import Runner
from mops.core.warehouse.adapter import DbtManifest, PostgresWarehouse
from tests.conftest import make_settings
from tests.integration.test_postgres_pipeline import ADMIN_URL, throwaway_database
from tests.integration.test_runtime import reader


def write_manifest(path) -> DbtManifest:
    def column(name, data_type, pii=False):
        return {"name": name, "data_type": data_type, "meta": {"pii": True} if pii else {}}

    columns = [
        column("account_id", "varchar"),
        column("contact_email", "varchar", pii=True),
        column("phone", "varchar", pii=True),
        column("email_hash", "varchar"),
        column("score", "double precision"),
    ]
    node = {
        "resource_type": "model",
        "name": "accounts",
        "version": 1,
        "latest_version": 1,
        "access": "public",
        "schema": "crm_marts",
        "alias": "accounts_v1",
        "columns": {c["name"]: c for c in columns},
    }
    path.write_text(json.dumps({"nodes": {"model.x.accounts.v1": node}}))
    return DbtManifest(path)


def login(url: str, role: str) -> str:
    return url.replace("postgres@", f"{role}@", 1)


@pytest.fixture
def granted(tmp_path):
    prefix = f"mops_t{uuid.uuid4().hex[:8]}"
    roles = role_names(prefix)
    logins = {kind: f"{prefix}_{kind}_login" for kind in roles}
    try:
        with throwaway_database() as url:
            with closing(psycopg2.connect(url)) as con, con.cursor() as cursor:
                cursor.execute("create schema crm_marts")
                cursor.execute(
                    "create table crm_marts.accounts_v1 (account_id varchar, contact_email varchar, phone varchar, "
                    "email_hash varchar, score double precision)"
                )
                cursor.execute(
                    "insert into crm_marts.accounts_v1 values ('a1', 'jane@example.com', '+1 555 123 4567', 'h1', 0.5),"
                    " ('a2', 'bob@example.com', null, 'h2', 0.25)"
                )
                con.commit()
            admin_settings = make_settings(tmp_path, warehouse_url=url)
            with PostgresWarehouse(admin_settings) as admin:  # the admin's own entries, before the grants
                Ledger(admin, admin_settings.audit_head_path).append("admin", "setup", "*", {"step": 1})
            manifest = write_manifest(tmp_path / "manifest.json")
            apply_grants(url, manifest, prefix)
            with closing(psycopg2.connect(url)) as con, con.cursor() as cursor:
                for kind, name in logins.items():
                    cursor.execute(f'create role "{name}" login in role "{roles[kind]}"')
                con.commit()
            yield url, manifest, logins, admin_settings
    finally:
        with closing(psycopg2.connect(ADMIN_URL)) as admin:
            admin.autocommit = True
            with admin.cursor() as cursor:
                for name in [*logins.values(), *reversed(list(roles.values()))]:
                    cursor.execute(f'drop role if exists "{name}"')


def run_as(url: str, sql: str):
    with closing(psycopg2.connect(url)) as con, con.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall() if cursor.description else None
        con.commit()
        return rows


def test_the_runtime_role_cannot_read_pii_columns_with_its_own_connection(granted):
    url, _, logins, _ = granted
    runtime = login(url, logins["runtime"])
    for sql in (
        "select contact_email from crm_marts.accounts_v1",
        "select phone from crm_marts.accounts_v1",
        "select * from crm_marts.accounts_v1",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
            run_as(runtime, sql)
    rows = run_as(runtime, "select account_id, email_hash, score from crm_marts.accounts_v1 order by 1")
    assert rows == [("a1", "h1", 0.5), ("a2", "h2", 0.25)]
    pii = run_as(login(url, logins["runtime_pii"]), "select contact_email from crm_marts.accounts_v1 order by 1")
    assert pii == [("bob@example.com",), ("jane@example.com",)]


def test_the_ledger_is_append_only_for_the_runtime_role(granted, tmp_path):
    url, _, logins, admin_settings = granted
    runtime = login(url, logins["runtime"])
    settings = make_settings(tmp_path, warehouse_url=runtime)
    with PostgresWarehouse(settings) as warehouse:
        ledger = Ledger(warehouse, admin_settings.audit_head_path)
        ledger.append("tester", "run_agent", "agent:x", {"rows": 3})  # INSERT and SELECT are granted
        assert ledger.verify().ok
    for sql in (
        "update ops.audit_log set actor = 'someone else'",
        "delete from ops.audit_log",
        "truncate ops.audit_log",
        "alter table ops.audit_log add column note varchar",
        "drop table ops.audit_log",
    ):
        with pytest.raises((psycopg2.errors.InsufficientPrivilege, psycopg2.errors.DependentObjectsStillExist)):
            run_as(runtime, sql)
    assert run_as(url, "select count(*) from ops.audit_log") == [(2,)]


def test_analysts_read_masked_views_only(granted):
    url, _, logins, _ = granted
    analyst = login(url, logins["analyst"])
    masked = run_as(analyst, "select account_id, contact_email, phone, email_hash from masked.accounts_v1 order by 1")
    assert masked == [("a1", None, None, "h1"), ("a2", None, None, "h2")]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        run_as(analyst, "select account_id from crm_marts.accounts_v1")
    full = run_as(login(url, logins["analyst_pii"]), "select contact_email from crm_marts.accounts_v1 order by 1")
    assert full == [("bob@example.com",), ("jane@example.com",)]


def test_the_runner_reads_what_the_role_allows(granted, tmp_path):
    """The runtime under its role: the PII columns are hidden (not a schema drift); granted PII needs the PII role."""
    url, manifest, logins, _ = granted
    context = RunContext.for_day(date(2026, 6, 30), 28)
    agent = reader(Read(name="accounts"))
    with PostgresWarehouse(make_settings(tmp_path, warehouse_url=login(url, logins["runtime"]))) as warehouse:
        warehouse.manifest = manifest
        frame = Runner(warehouse).read_inputs(agent, context)["accounts"]
        assert sorted(frame.columns) == ["account_id", "email_hash", "score"] and len(frame) == 2
        pii_agent = reader(Read(name="accounts"), needs_pii=True)
        with pytest.raises(GateFailed, match="column contact_email: PII: granted to this run but not readable"):
            Runner(warehouse, allow_pii=True).read_inputs(pii_agent, context)
    with PostgresWarehouse(make_settings(tmp_path, warehouse_url=login(url, logins["runtime_pii"]))) as warehouse:
        warehouse.manifest = manifest
        frame = Runner(warehouse, allow_pii=True).read_inputs(pii_agent, context)["accounts"]
        assert {"contact_email", "phone"} <= set(frame.columns)


def test_statements_are_idempotent_and_name_every_pii_column(tmp_path):
    manifest = write_manifest(tmp_path / "manifest.json")
    sql = grant_statements(manifest, "mops")
    text = "\n".join(sql)
    assert 'grant select ("account_id", "email_hash", "score") on "crm_marts"."accounts_v1" to "mops_runtime"' in text
    assert 'grant select ("contact_email", "phone") on "crm_marts"."accounts_v1" to "mops_runtime_pii"' in text
    assert 'grant select, insert on "ops"."audit_log" to "mops_runtime"' in text
    assert "update" not in [s for s in sql if '"audit_log"' in s and "grant" in s][0]
    with pytest.raises(Exception, match="role prefix"):
        grant_statements(manifest, "Mops; drop")


def test_applying_needs_the_manage_grants_action(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from mops.app.cli import app

    with throwaway_database() as url:
        monkeypatch.setenv("MOPS_WAREHOUSE_URL", url)
        monkeypatch.setenv("MOPS_VAR_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("MOPS_ACTOR", "tester")  # an operator of the test policy
        result = CliRunner().invoke(app, ["warehouse", "grants", "--apply"])
        assert result.exit_code == 1
        assert "'tester' may not manage_grants" in str(result.exception) + result.output
        with closing(psycopg2.connect(url)) as con, con.cursor() as cursor:
            cursor.execute("select count(*) from information_schema.schemata where schema_name = 'masked'")
            assert cursor.fetchone() == (0,)  # refused before anything ran
