"""What permissioned commands call: check the policy first (a refusal is audited), record what was done.

Every check names the action and the scopes of its object (`workflow:daily`, `agent:attribution`,
`channel:search`); a refusal raises PermissionRefused after it is appended to the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable

from mops.core.errors import WarehouseBusy
from mops.core.governance.errors import PermissionRefused
from mops.core.governance.identity import resolve_actor
from mops.core.governance.ledger import Ledger, location_of
from mops.core.governance.policy import Authorizer, load_policy
from mops.core.settings import Settings
from mops.core.warehouse.adapter import Warehouse, open_warehouse

REFUSED = "refused"


class Guard:
    """The acting identity, the policy and the ledger of one command."""

    def __init__(self, settings: Settings, actor: str | None = None):
        self.settings = settings
        self.actor = actor or resolve_actor(settings)
        self.authorizer = Authorizer(load_policy(settings.policy_path), str(settings.policy_file))

    def check(self, action: str, scopes: list[str], run_id: str = "", warehouse: Warehouse | None = None) -> None:
        try:
            self.authorizer.check(self.actor, action, scopes)
        except PermissionRefused as exc:
            self.refused(exc, run_id, warehouse)
            raise

    def check_decision(self, action: str, request: dict, item: dict) -> None:
        """The action on a decision in its scopes, the role the approval rule names, and not the proposer's own."""
        scopes = decision_scopes(request["workflow"], item["subject"])
        self.check(action, scopes, request["run_id"])
        role = request.get("approver_role")
        if role:
            try:
                self.authorizer.check_role(self.actor, action, role, scopes)
            except PermissionRefused as exc:
                self.refused(exc, request["run_id"])
                raise
        self.not_proposer(request, action)

    def refused(self, exc: PermissionRefused, run_id: str = "", warehouse: Warehouse | None = None) -> None:
        details = {"attempted": exc.action, "reason": exc.needed}
        self.record(REFUSED, exc.object, details, run_id, warehouse)

    def not_proposer(self, request: dict, action: str) -> None:
        """Separation of duties: whoever started the run cannot decide its approvals."""
        started_by = request.get("requested_by")
        if started_by and started_by == self.actor:
            exc = PermissionRefused(
                self.actor,
                action,
                f"run {request['run_id']}",
                f"separation of duties: {self.actor} started this run; another member with role "
                f"{' or '.join(self.authorizer.policy.roles_granting(action))} must decide",
            )
            self.refused(exc, request["run_id"])
            raise exc

    def record(
        self,
        action: str,
        object: str,
        details: dict | None = None,
        run_id: str = "",
        warehouse: Warehouse | None = None,
    ) -> None:
        """Append to the ledger (through `warehouse` when the caller holds it); spooled while it is busy."""
        if warehouse is not None:
            ledger(self.settings, warehouse).append(self.actor, action, object, details, run_id)
            return
        try:
            with open_warehouse(self.settings) as opened:
                ledger(self.settings, opened).append(self.actor, action, object, details, run_id)
        except WarehouseBusy:
            spool_only(self.settings).spool(self.actor, action, object, details, run_id)


def record_workflow_run(settings: Settings, warehouse: Warehouse, actor: str, summary: dict) -> None:
    """The ledger's entry of one workflow run (`summary`: a RunSummary as a dict), written by the run's own
    process on the warehouse it holds, so a served or worker run is ledgered like `mops run`."""
    action = "backfill" if summary["mode"] == "backfill" else "run_workflow"
    details = {key: summary.get(key) for key in ("run_date", "mode", "status", "spec_hash", "event_chain")}
    details["steps"] = {s["step"]: s["status"] for s in summary.get("steps", [])}
    ledger(settings, warehouse).append(actor, action, f"workflow:{summary['workflow']}", details, summary["run_id"])


def decision_scopes(workflow: str, subject: str) -> list[str]:
    """A decision lives in its workflow and its subject's channel: a member scoped to either may decide it."""
    return [f"workflow:{workflow}", f"channel:{subject}"]


def ledger(settings: Settings, warehouse: Warehouse) -> Ledger:
    return Ledger(warehouse, settings.audit_head_path)


class _Spool(Ledger):
    """The spool of a ledger whose warehouse is busy (no connection needed to add to it)."""

    def __init__(self, settings: Settings):
        self.head_path = settings.audit_head_path
        self.location = location_of(settings)


def spool_only(settings: Settings) -> Ledger:
    return _Spool(settings)


def record_decisions(
    settings: Settings, warehouse: Warehouse, request: dict, items: Iterable[dict], actor: str | None = None
) -> None:
    """Each approval act on a decision under approval: by `actor` (the command deciding now), else by each
    approver the item records (the waiting run's process writes these after the fact)."""
    book = ledger(settings, warehouse)
    for item in items:
        status = item.get("status", "")
        action = {"approved": "approve", "rejected": "reject", "pending": "approve"}.get(status, f"decision_{status}")
        keys = ("subject", "kind", "action", "value", "status", "decided_at", "approved_by", "approvals_needed")
        details = {key: item.get(key) for key in keys}
        details |= {"workflow": request.get("workflow"), "step": request.get("step")}
        if actor:
            actors = [actor]
        elif status == "approved" and item.get("approved_by"):
            actors = list(item["approved_by"])
        else:
            actors = [item.get("decided_by") or "mops"]
        for who in actors:
            book.append(who, action, f"workflow:{request.get('workflow')}", details, request.get("run_id", ""))
