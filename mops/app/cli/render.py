"""Rendering for the terminal: tables and lines built from typed results; every user value escaped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mops.app.cli.common import console

if TYPE_CHECKING:  # the engine's modules load only for commands that run workflows
    from flows.summary import RunSummary

STEP_STYLE = {"succeeded": "green", "skipped": "yellow", "failed": "bold red", "halted": "red", "cancelled": "magenta"}
INGEST_STYLE = {
    "loaded": "green",
    "replaced": "yellow",
    "unchanged": "dim",
    "duplicate": "dim",
    "refused": "bold red",
    "skipped": "dim",
}


def ingest_results(landing, results: list) -> None:
    table = Table(title=f"ingest {escape(str(landing))}", show_lines=False)
    for col in ("file", "status", "table", "version", "rows"):
        table.add_column(col)
    shown = [r for r in results if r.status != "unchanged"] or results
    for r in shown[:60]:
        table.add_row(
            Text(r.path),  # user data as Text: never parsed as markup or emoji codes
            f"[{INGEST_STYLE[r.status]}]{r.status}[/]",
            r.table or "",
            Text(r.version or ""),
            str(r.rows) if r.rows else "",
        )
    if len(shown) > 60:
        table.caption = f"... and {len(shown) - 60} more"
    console.print(table)
    for r in results:
        if r.status == "refused":
            console.print(Text.assemble(("refused", "bold red"), f" {r.path}: {r.message}"))
    for r in results:  # schema-change notices and flags: also in raw._mops_files (new_fields, notices)
        if r.new_fields:
            console.print(Text.assemble(("new fields", "yellow"), f" {r.path}: {r.new_fields_summary}"))
        for notice in r.notices:
            console.print(Text.assemble(("notice", "dim"), f" {r.path}: {notice}"))
        if r.status == "skipped":
            console.print(Text.assemble(("skipped", "dim"), f" {r.path}: {r.message}"))
    counts = {s: sum(r.status == s for r in results) for s in INGEST_STYLE}
    console.print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no files found")


def step_progress(workflow: str, step: str, outcome) -> None:
    """A line as each workflow step starts (outcome None) and ends."""
    if outcome is None:
        console.print(f"[dim]{escape(workflow)}: {escape(step)} started[/]")
    else:
        style = {"succeeded": "green", "skipped": "yellow"}.get(outcome.status, "bold red")
        console.print(f"{escape(workflow)}: {escape(step)} [{style}]{outcome.status}[/] in {outcome.duration_s:.1f} s")


def run_summary(summary: RunSummary) -> None:
    table = Table(
        title=escape(f"{summary.workflow} {summary.run_date}: {summary.status}  (run {summary.run_id})"),
    )
    for column in ("step", "status", "duration", "attempts", "stale inputs", "note"):
        table.add_column(column)
    for step in summary.steps:
        counts: dict[str, int] = {}
        for a in step.approvals:
            counts[a.status] = counts.get(a.status, 0) + 1
        approvals = ", ".join(f"{n} {status}" for status, n in counts.items())
        if step.pending_approvals:
            approvals += f" (mops approve {summary.run_id})"
        note = "; ".join(x for x in (step.message, "; ".join(step.warnings), approvals) if x)
        table.add_row(
            escape(step.step),
            f"[{STEP_STYLE.get(step.status, '')}]{step.status}[/]",
            f"{step.duration_s:.2f} s",
            str(step.attempts),
            escape(", ".join(step.stale_inputs)) or "-",
            escape(note[:200]),
        )
    console.print(table)
    console.print(
        f"wall {summary.wall_s:.1f} s"
        + (f" (from the command's start; {summary.startup_s:.1f} s before the flow began)" if summary.startup_s else "")
        + f", critical path {summary.critical_path_s:.1f} s, orchestration overhead "
        f"{summary.overhead_s:.2f} s ({summary.overhead_share:.1%}); {escape(summary.context)}"
    )
    for step in summary.steps:  # the full reasons: what was skipped or built empty, and why
        if step.status == "skipped" and step.message:
            console.print(f"  [yellow]skipped[/] {escape(step.step)}: {escape(step.message)}")
        for warning in step.warnings:
            console.print(f"  [yellow]note[/] {escape(step.step)}: {escape(warning)}")
    for step in summary.steps:
        for name, path in step.artifacts.items():
            console.print(f"  {escape(step.step)}: {escape(name)} -> {escape(path)}")
    for started in summary.started_events:
        console.print(f"  [cyan]event[/] {escape(started)}")
    for stopped in summary.stopped_events:
        console.print(f"  [yellow]event stopped[/] {escape(stopped)}")
    if summary.output_runs:
        console.print("[yellow]outputs of this run context come from more than one run:[/]")
        for table, runs in summary.output_runs.items():
            console.print(f"  {escape(table)}: runs {escape(', '.join(runs))}")


def notice(kind: str, message: str) -> None:
    """A waiting run's notice (what it waits for, how long, the command that ends it), or a warning."""
    style = "cyan" if kind == "waiting" else "yellow"
    console.print(f"[{style}]{escape(kind)}:[/] {escape(message)}", highlight=False)


def inventory(rows: list[dict]) -> None:
    table = Table(title="agents (in dependency order)", show_lines=True)
    for column in ("agent", "owner", "reads", "writes", "decisions", "PII", "depends on", "used by"):
        table.add_column(column, no_wrap=column in ("agent", "reads", "writes"), overflow="fold")
    for row in rows:
        reads = "\n".join(
            f"{r['name']}"
            + (f" v{r['version']}" if r["version"] else "")
            + (f" <- {r['producer']}" if r["producer"] else "")
            for r in row["reads"]
        )
        writes = "\n".join(w["relation"] for w in row["writes"])
        writes += "".join(f"\n{w['relation']} (shadow)" for w in row["shadow_versions"])
        table.add_row(
            row["name"],
            row["owner"],
            reads,
            writes,
            "\n".join(row["decisions"]),
            "yes" if row["needs_pii"] else "no",
            ", ".join(row["depends_on"]) or "-",
            ", ".join(row["depended_on_by"]) or "-",
        )
    console.print(table)


def decisions(items: list) -> None:
    table = Table(title="decisions")
    for column in ("kind", "subject", "action", "value", "interval", "confidence", "reason"):
        table.add_column(column)
    for d in items:
        interval = f"[{d.low:.3g}, {d.high:.3g}]" if d.low is not None and d.high is not None else "-"
        value = "-" if d.value is None else f"{d.value:.3g}"
        table.add_row(
            escape(d.kind),
            escape(d.subject),
            escape(d.action),
            value,
            escape(interval),
            f"{d.confidence:.2f}",
            escape(d.reason),
        )
    console.print(table)


def contract_findings(ref: str, findings: list) -> None:
    table = Table(title=f"agent contracts vs {escape(ref)}", show_lines=True)
    for column in ("table", "version", "change", "mode", "ok", "details", "would break"):
        table.add_column(column)
    for f in findings:
        table.add_row(
            f.table,
            "-" if f.version is None else f"v{f.version}",
            f.change,
            f.mode,
            "[green]yes[/]" if f.ok else "[bold red]NO[/]",
            escape("\n".join(f.details)),
            escape("\n".join(f.breaks)) or "-",
        )
    if findings:
        console.print(table)
    else:
        console.print(f"agent contracts: no changes against {escape(ref)}")


def build_report(report) -> None:
    """What the build made of partial data: marts built empty and skipped, and failed tests explained."""
    if report.built:
        console.print(f"marts built: {len(report.built)} ({escape(', '.join(sorted(report.built)))})")
    for line in report.empty:
        console.print(f"[yellow]warning:[/] built empty: {escape(line)}")
    for line in report.skipped:
        console.print(f"[yellow]skipped:[/] {escape(line)}")
    for line in report.notes:
        console.print(f"note: {escape(line)}")
    for line in report.problems:
        console.print(f"[bold red]refused:[/] {escape(line)}")
