"""The monitoring hook of the one workflow flow: the core pass, then its alerts as Prefect events."""

from __future__ import annotations

from mops.core.monitoring.hook import after_run


def owners(plan) -> dict[str, str]:
    """Step id and agent name -> the owner its manifest names (who an alert about it is for)."""
    found = {}
    for step_id, planned in plan.steps.items():
        if planned.agent is not None:
            found[step_id] = found[planned.agent.name] = planned.agent.manifest.owner
    return found


def monitor_run(warehouse, settings, run_id: str, plan=None, emit: bool = True) -> int:
    """Run the monitoring pass; each delivered alert also goes out as a `mops.alert.<kind>` event."""
    alerts = after_run(warehouse, settings, run_id, owners(plan) if plan is not None else None)
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
    return len(alerts)
