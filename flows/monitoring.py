"""The monitoring hook of the one workflow flow: the core pass, its alerts as Prefect events, and the
dashboard as a Prefect artifact (one key per workflow, so the Artifacts page keeps its history)."""

from __future__ import annotations

from flows.observe import slug
from mops.core.monitoring.hook import MonitorPass, after_run


def owners(plan) -> dict[str, str]:
    """Step id and agent name -> the owner its manifest names (who an alert about it is for)."""
    found = {}
    for step_id, planned in plan.steps.items():
        if planned.agent is not None:
            found[step_id] = found[planned.agent.name] = planned.agent.manifest.owner
    return found


def dashboard_key(workflow: str) -> str:
    return slug(f"mops-{workflow}-dashboard")


def dashboard_markdown(result: MonitorPass, workflow: str) -> str:
    """The key figures of the pass and where the full page is (a file: the UI cannot embed it)."""
    state = result.state
    figures = state.impact
    lines = [
        f"## mops operations: {state.level.upper()}",
        "",
        f"Workflow `{workflow}`, as of {state.checked_at:%Y-%m-%d %H:%M} UTC. "
        f"Dashboard: [{result.dashboard}]({result.dashboard.resolve().as_uri()}) (open it in a browser).",
        "",
        *[f"- {_md(reason)}" for reason in state.reasons[:20]],
        "",
        "| figure | value |",
        "|---|---|",
        f"| open anomalies | {len(state.anomalies)} |",
        f"| open conflicts | {len(state.conflicts)} |",
        f"| conflicts per run | {figures.get('conflicts_per_run', 0):.2f} |",
        f"| alerts (last 7 days) | {len(state.alerts)} |",
        f"| decisions made | {figures.get('decisions_made', 0):.0f} |",
        f"| decisions applied | {figures.get('decisions_applied', 0):.0f} |",
        f"| agent runs stopped by a gate | {figures.get('gates_stopped_agent', 0):.0f} |",
        f"| analyst hours saved (estimate) | {figures.get('analyst_hours_saved', 0):.1f} |",
        f"| monitoring pass | {result.seconds:.2f} s |",
    ]
    return "\n".join(lines)


def _md(text: str) -> str:
    """Record text inside markdown: no markup, no raw HTML."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+!|<>" else c for c in str(text).replace("\n", " "))


def monitor_run(warehouse, settings, run_id: str, plan=None, emit: bool = True) -> MonitorPass:
    """Run the monitoring pass; each delivered alert also goes out as a `mops.alert.<kind>` event."""
    result = after_run(warehouse, settings, run_id, owners(plan) if plan is not None else None)
    alerts = result.alerts
    if emit and not alerts.empty:
        from prefect.events import emit_event

        for row in alerts[alerts.status == "delivered"].drop_duplicates("fingerprint").itertuples():
            emit_event(
                event=f"mops.alert.{row.kind}",
                resource={"prefect.resource.id": f"mops.alert.{row.fingerprint}", "mops.run_id": run_id},
                payload={
                    "title": row.title,
                    "body": row.body,
                    "subject": row.subject,
                    "severity": row.severity,
                    "owner": row.owner,
                },
            )
    if emit and plan is not None and result.state is not None:
        from prefect.artifacts import create_markdown_artifact

        workflow = plan.spec.name
        create_markdown_artifact(
            dashboard_markdown(result, workflow),
            key=dashboard_key(workflow),
            description=f"mops operations dashboard after run {run_id} of {workflow}",
        )
    return result
