"""The end-of-run summary: one typed record (returned by the flow), rendered as Markdown for Prefect.

The CLI renders the same record as a table (mops.app.cli.render); nothing reads summaries by string keys.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

STATUS_MARK = {
    "succeeded": "ok",
    "skipped": "SKIPPED (stale)",
    "failed": "FAILED",
    "halted": "halted",
    "cancelled": "CANCELLED",
}


class ApprovalOutcome(BaseModel):
    """What became of one decision under an approval rule."""

    subject: str
    value: float | None = None
    status: str  # auto_applied | not_applied | pending | approved | rejected | expired | held
    decided_by: str | None = None
    reason: str | None = None  # why it was held (the anomaly, observed against its baseline)


class StepSummary(BaseModel):
    step: str
    kind: str
    status: str  # succeeded | failed | skipped | halted | cancelled
    duration_s: float = 0.0
    attempts: int = 0
    message: str = ""
    stale_inputs: list[str] = Field(default_factory=list)
    decisions: int = 0
    approvals: list[ApprovalOutcome] = Field(default_factory=list)
    rows_written: dict[str, int] = Field(default_factory=dict)
    artifacts: dict[str, str] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    @property
    def pending_approvals(self) -> int:
        return sum(a.status == "pending" for a in self.approvals)

    @property
    def held_decisions(self) -> int:
        return sum(a.status == "held" for a in self.approvals)


class RunSummary(BaseModel):
    run_id: str
    workflow: str
    spec_hash: str
    mode: str
    run_date: str
    status: str  # succeeded | succeeded_with_skips | failed | cancelled
    context: str
    event_chain: list[str] = Field(default_factory=list)
    steps: list[StepSummary] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    wall_s: float = 0.0
    critical_path_s: float = 0.0
    overhead_s: float = 0.0
    overhead_share: float = 0.0
    startup_s: float = 0.0  # of wall_s: what the caller waited before the flow body began
    started_events: list[str] = Field(default_factory=list)
    stopped_events: list[str] = Field(default_factory=list)
    # agents.* table -> run ids of its rows under this run's context, when they come from more than one run
    output_runs: dict[str, list[str]] = Field(default_factory=dict)

    def step(self, step_id: str) -> StepSummary:
        return next(s for s in self.steps if s.step == step_id)

    @property
    def reports(self) -> list[str]:
        """Paths of the HTML reports the run wrote."""
        return [path for s in self.steps for name, path in s.artifacts.items() if name.endswith(".html")]


def markdown_summary(summary: RunSummary) -> str:
    lines = [
        f"# {summary.workflow} — {summary.status}",
        "",
        f"- run `{summary.run_id}` ({summary.mode}), {summary.context}",
        f"- spec hash `{summary.spec_hash}`",
        f"- wall {summary.wall_s:.1f} s, critical path {summary.critical_path_s:.1f} s, "
        f"orchestration overhead {summary.overhead_s:.2f} s ({summary.overhead_share:.1%})",
    ]
    if summary.event_chain:
        lines.append(f"- triggered by events through {' -> '.join(summary.event_chain)}")
    lines += ["", "| step | status | duration | attempts | stale inputs | note |", "|---|---|---|---|---|---|"]
    for step in summary.steps:
        note = step.message or "; ".join(step.warnings)
        approvals = ", ".join(f"{a.subject}: {a.status}" for a in step.approvals)
        note = "; ".join(x for x in (note, approvals) if x).replace("|", "/")[:300]
        lines.append(
            f"| {step.step} | {STATUS_MARK.get(step.status, step.status)} | {step.duration_s:.2f} s | "
            f"{step.attempts} | {', '.join(step.stale_inputs) or '-'} | {note} |"
        )
    if summary.output_runs:
        lines += ["", "**Outputs of this run context come from more than one run:**", ""]
        lines += [f"- `{table}`: runs {', '.join(runs)}" for table, runs in summary.output_runs.items()]
    if summary.reports:
        lines += ["", f"Report: `{summary.reports[0]}`"]
    return "\n".join(lines) + "\n"
