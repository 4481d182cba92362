"""Warehouse commands: the PostgreSQL roles and privileges that enforce the PII and ledger rules."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mops.app.cli.common import console, fail
from mops.core.settings import get_settings

app = typer.Typer()
warehouse_app = typer.Typer(help="The warehouse's database roles (PostgreSQL).", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")


@warehouse_app.command("grants")
def grants(
    apply: Annotated[bool, typer.Option(help="Run the statements (as the warehouse_url user, an admin).")] = False,
    prefix: Annotated[str | None, typer.Option(help="Role name prefix (default: MOPS_WAREHOUSE_ROLE_PREFIX).")] = None,
) -> None:
    """Print (or --apply) the roles and grants generated from dbt's manifest: PII columns only for the PII roles,
    masked views for analysts, ops.audit_log append-only for the runtime. Re-apply after each `mops build`."""
    from mops.core.governance.grants import apply_grants, grant_statements
    from mops.core.governance.guard import Guard
    from mops.core.warehouse.adapter import DbtManifest

    settings = get_settings()
    prefix = prefix or settings.warehouse_role_prefix
    manifest = DbtManifest(settings.dbt_target_path / "manifest.json")
    if not apply:
        for statement in grant_statements(manifest, prefix):
            console.print(escape(statement) + ";", highlight=False, soft_wrap=True)
        return
    if not settings.warehouse_url:
        raise fail("an embedded DuckDB file has no users to grant to: set MOPS_WAREHOUSE_URL to a PostgreSQL warehouse")
    guard = Guard(settings)
    guard.check("manage_grants", ["*"])
    statements = apply_grants(settings.warehouse_url, manifest, prefix)
    guard.record("manage_grants", "warehouse", {"prefix": prefix, "statements": len(statements)})
    roles = ", ".join(f"{prefix}_{kind}" for kind in ("runtime", "runtime_pii", "analyst", "analyst_pii"))
    console.print(f"[green]applied[/] {len(statements)} statements: roles {escape(roles)}")
