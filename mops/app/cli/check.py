"""`mops check`: what the landing folder holds, what is missing, and which marts and agents can run.

Reads only the landing folder and the declarations (marts' `not_empty_from_inputs` tests, agent
manifests): no warehouse, no dbt. The build and the workflow decide the same way on loaded data.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mops.app.cli.common import catalog, console, registry
from mops.core.settings import get_settings

app = typer.Typer()

# Where an ad report's account currency and time zone come from when its rows lack them: the platform's
# account exports (else landing/accounts/settings/; LinkedIn's campaign -> account link has no substitute).
ACCOUNT_EXPORTS = {
    "meta_ads.insights": ("meta_ads.ad_accounts",),
    "linkedin_ads.ad_analytics": ("linkedin_ads.campaigns", "linkedin_ads.ad_accounts"),
    "tiktok_ads.campaign_report": ("tiktok_ads.advertisers",),
    "microsoft_ads.campaign_performance": ("microsoft_ads.accounts",),
}


def _role(qualified: str, inputs) -> tuple[str, list[str]]:
    """required / one of the required / optional / enriches, and the marts it feeds directly."""
    feeds = sorted(m.mart for m in inputs.values() if qualified in m.any_of)
    required = [m for m in inputs.values() if m.required and qualified in m.any_of]
    if any(len(m.any_of) == 1 for m in required):
        return "required", feeds
    if required:
        return "required (any one of its group)", feeds
    if feeds:
        return "optional", feeds
    return "optional (enriches)", feeds


def source_rows(reg, inputs, present) -> list[tuple[str, str, str, str]]:
    rows = []
    for table in sorted(reg.tables(), key=lambda t: t.qualified_name):
        qualified = table.qualified_name
        role, feeds = _role(qualified, inputs)
        files = present.get(qualified, [])
        note = ""
        if files and qualified in ACCOUNT_EXPORTS:
            lacking = [q for q in ACCOUNT_EXPORTS[qualified] if q not in present]
            if lacking and "accounts.settings" not in present:
                note = (
                    "account currency/time zone: also drop "
                    + " and ".join(q.replace(".", "/") + "/" for q in lacking)
                    + " (or rows in accounts/settings/)"
                )
        rows.append((qualified, f"{len(files)} file(s)" if files else "-", role, ", ".join(feeds) + note))
    return rows


@app.command()
def check(
    directory: Annotated[str | None, typer.Argument(help="Landing folder (default: settings landing_dir).")] = None,
) -> None:
    """Read the landing folder: per source what is present and missing, and which marts and agents can run."""
    from pathlib import Path

    from mops.core.availability import agent_states, folder, landing_presence, mart_inputs, plan_marts

    settings = get_settings()
    landing = Path(directory) if directory else settings.landing_path
    reg = registry(settings)
    inputs = mart_inputs(settings.dbt_project_dir)
    present = landing_presence(reg, landing)
    plan = plan_marts(inputs, set(present), landing)

    sources = Table(title=escape(f"landing folder {landing}"))
    for column in ("source", "present", "role", "feeds"):
        sources.add_column(column, overflow="fold")
    for qualified, files, role, feeds in source_rows(reg, inputs, present):
        style = "red" if role.startswith("required") and files == "-" else ("green" if files != "-" else "")
        sources.add_row(f"[{style}]{escape(qualified)}[/]" if style else escape(qualified), files, role, escape(feeds))
    console.print(sources)

    missing = plan.with_state("skipped")
    for mart in missing:
        groups = " or ".join(folder(landing, q) for q in inputs[mart.mart].any_of)
        console.print(f"[bold red]required and missing:[/] {escape(groups)} (for {escape(mart.mart)})")

    marts = Table(title="marts")
    for column in ("mart", "can build", "why"):
        marts.add_column(column, overflow="fold")
    labels = {"ready": "[green]yes[/]", "empty": "[yellow]built empty[/]", "skipped": "[red]no[/]"}
    for mart in sorted(plan.marts.values(), key=lambda m: m.mart):
        marts.add_row(escape(mart.mart), labels[mart.state], escape(mart.reason))
    console.print(marts)

    agents = Table(title="agents")
    for column in ("agent", "can run", "why not"):
        agents.add_column(column, overflow="fold")
    for name, state in agent_states(catalog(settings).agents, plan).items():
        label = "[green]yes[/]" if state.state == "ready" else "[yellow]skipped[/]"
        agents.add_row(escape(name), label, escape(state.reason))
    console.print(agents)
    if missing:
        raise typer.Exit(1)
