"""The monitoring hook of the one workflow flow: the core pass, then its alerts as Prefect events."""

from __future__ import annotations

from mops.core.monitoring.hook import after_run


def monitor_run(warehouse, settings, run_id: str, emit: bool = True) -> int:
    """Run the monitoring pass; each delivered alert also goes out as a `mops.alert.<kind>` event."""
    alerts = after_run(warehouse, settings, run_id)
    if emit and not alerts.empty:
        from prefect.events import emit_event

        for row in alerts[alerts.status == "delivered"].drop_duplicates("fingerprint").itertuples():
            emit_event(
                event=f"mops.alert.{row.kind}",
                resource={"prefect.resource.id": f"mops.alert.{row.fingerprint}", "mops.run_id": run_id},
                payload={"title": row.title, "body": row.body, "subject": row.subject, "severity": row.severity},
            )
    return len(alerts)
