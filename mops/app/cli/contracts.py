"""Contract commands: classify every agent-contract change and run dbt's breaking-change detection."""

from __future__ import annotations

from typing import Annotated

import typer

from mops.app.cli import render
from mops.app.cli.common import catalog, console
from mops.core.settings import get_settings

app = typer.Typer()
contracts_app = typer.Typer(help="Agent output contracts: compatibility checks.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")


@contracts_app.command("check")
def contracts_check(
    against: Annotated[str | None, typer.Option(help="Git ref to compare with (default: origin/main or main).")] = None,
    dbt: Annotated[bool, typer.Option(help="Also run dbt's breaking-change detection on contracted models.")] = True,
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Classify every contract change (BACKWARD/FORWARD/FULL/BREAKING); exit 1 on an unshipped breaking change."""
    import json
    from datetime import date

    from mops.core.compat import compare, contracts_at, dbt_state_check, default_ref
    from mops.core.transform import dbt_executable

    settings = get_settings()
    ref = against or default_ref(settings.project_dir)
    findings = compare(contracts_at(settings.project_dir, ref), catalog(settings), date.today())
    dbt_result = dbt_state_check(settings.project_dir, ref, dbt_executable()) if dbt else None
    failed = [f for f in findings if not f.ok] or (dbt_result is not None and not dbt_result.ok)
    if output_format == "json":
        payload = {
            "against": ref,
            "ok": not failed,
            "agent_contracts": [f.as_dict() for f in findings],
            "dbt": None if dbt_result is None else {"ok": dbt_result.ok, "output": dbt_result.output},
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        render.contract_findings(ref, findings)
        if dbt_result is not None:
            status = "[green]no breaking change[/]" if dbt_result.ok else "[bold red]breaking change[/]"
            console.print(f"dbt contracted models vs {ref}: {status}")
            if not dbt_result.ok:
                console.print(dbt_result.output[-3000:], highlight=False, markup=False)
    if failed:
        raise typer.Exit(1)
