"""The end of `mops demo`: the public marts with their row counts, and where to look next."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from flows.summary import RunSummary
from mops.app.cli.common import console
from mops.core.errors import MopsError
from mops.core.monitoring.hook import dashboard_path
from mops.core.settings import Settings


def where_to_look(settings: Settings, truth: Path, seconds: float, summaries: list[RunSummary]) -> None:
    from mops.core.warehouse.adapter import open_warehouse

    table = Table(title="unified marketing data model (public marts)")
    table.add_column("mart")
    table.add_column("rows", justify="right")
    with open_warehouse(settings, read_only=True) as warehouse:
        try:
            relations = warehouse.manifest.public_relations()
        except MopsError:
            relations = []  # not built (--skip-build)
        for relation in relations:
            rows = None
            if warehouse.exists(relation.schema, relation.name):
                rows = warehouse.query(f'select count(*) as n from "{relation.schema}"."{relation.name}"').n[0]
            table.add_row(f"{relation.schema}.{relation.name}", "-" if rows is None else f"{int(rows):,}")
    console.print(table)
    where = (
        f"{settings.warehouse_url.rsplit('@', 1)[-1]}  (PostgreSQL"
        if settings.warehouse_url
        else f"{settings.warehouse_path}  (DuckDB"
    )
    console.print(
        f"done in {seconds:.0f}s. Where to look:\n"
        f"  warehouse   {escape(where)}; marts in schema marts, e.g. "
        "marts.fct_ad_performance_daily_v1)\n"
        f"  landing     {escape(str(settings.landing_path))}  (platform exports; ingest log in raw._mops_files)\n"
        f"  truth       {escape(str(truth))}\n"
        f"  docs        mops docs  (dbt docs site with lineage, contracts, agents as exposures)"
    )
    reports = [path for s in summaries for path in s.reports]
    if reports:
        console.print(f"  report      {escape(reports[-1])}")
    if summaries:
        console.print(
            "  agents      mops inventory; outputs in schema agents; runs, decisions, events in schema ops\n"
            "  workflows   mops serve  (Prefect UI with every workflow as a deployment)"
        )
    dashboard = dashboard_path(settings)
    if dashboard.exists():
        console.print(
            f"  dashboard   {escape(str(dashboard))}  (operations dashboard, open it in a browser; "
            "`mops monitor` prints the same state)"
        )
