"""Anomaly holds in a run: before a step's money decisions are applied, its declared holds are checked.

The detectors live in mops.core.monitoring.holds; this applies their verdict to one step's decisions
(held decisions are recorded in ops.applied_decisions with the anomaly named, and never applied).
"""

from __future__ import annotations

from mops.core.monitoring.check import config_from
from mops.core.monitoring.holds import open_holds
from mops.core.ops.records import OpsLog
from mops.core.runtime.agent import Decision
from mops.core.runtime.context import RunContext


def hold_decisions(planned, run, context: RunContext, decisions: list[Decision]) -> tuple[list[dict], list[str]]:
    """The step's money decisions as held items (and a warning line) when an open anomaly holds them."""
    from flows.plan import held_kinds

    holds = planned.step.hold_on_anomalies
    if not holds or planned.agent is None or run.mode != "live":
        return [], []
    relevant = [d for d in decisions if d.kind in held_kinds(planned.step, planned.agent)]
    if not relevant:
        return [], []
    config = config_from(run.settings)
    reasons = open_holds(
        OpsLog(run.session.get()),
        holds,
        context.window_end,
        planned.agent.name,
        context.run_id,
        config.kpi,
        config.volume,
        config.kpi_relation,
        config.kpi_maturity_days,
    )
    if not reasons:
        return [], []
    reason = "; ".join(reasons)[:2000]
    items = [{"subject": d.subject, "value": d.value, "status": "held", "reason": reason} for d in relevant]
    return items, [f"{len(items)} decision(s) held, not applied: {reason}"]
