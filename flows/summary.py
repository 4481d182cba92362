"""The end-of-run summary, as Markdown (Prefect artifact) and as a rich table (CLI)."""

from __future__ import annotations

STATUS_MARK = {"succeeded": "ok", "skipped": "SKIPPED (stale)", "failed": "FAILED", "halted": "halted"}


def markdown_summary(summary: dict) -> str:
    lines = [
        f"# {summary['workflow']} — {summary['status']}",
        "",
        f"- run `{summary['run_id']}` ({summary['mode']}), {summary['context']}",
        f"- spec hash `{summary['spec_hash']}`",
        f"- wall {summary['wall_s']:.1f} s, critical path {summary['critical_path_s']:.1f} s, "
        f"orchestration overhead {summary['overhead_s']:.2f} s ({summary['overhead_share']:.1%})",
    ]
    if summary["event_chain"]:
        lines.append(f"- triggered by events through {' -> '.join(summary['event_chain'])}")
    lines += ["", "| step | status | duration | attempts | stale inputs | note |", "|---|---|---|---|---|---|"]
    for step in summary["steps"]:
        note = step["message"] or "; ".join(step["warnings"])
        approvals = ", ".join(f"{a['subject']}: {a['status']}" for a in step["approvals"])
        note = "; ".join(x for x in (note, approvals) if x).replace("|", "/")[:300]
        lines.append(
            f"| {step['step']} | {STATUS_MARK.get(step['status'], step['status'])} | {step['duration_s']:.2f} s | "
            f"{step['attempts']} | {', '.join(step['stale_inputs']) or '-'} | {note} |"
        )
    reports = [a for s in summary["steps"] for name, a in s["artifacts"].items() if name.endswith(".html")]
    if reports:
        lines += ["", f"Report: `{reports[0]}`"]
    return "\n".join(lines) + "\n"
