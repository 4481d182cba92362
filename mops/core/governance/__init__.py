"""Governance: who may do what (policy as code, enforced by casbin), who is acting, the audit ledger, and
what may run (production mode: only reviewed code).

- `policy`: governance/policy.yml validated (roles, members with scopes, known actions) and enforced.
- `identity`: the one actor resolver (MOPS_ACTOR, else the operating-system user).
- `ledger`: the append-only, hash-chained `ops.audit_log` with its head kept outside the warehouse.
- `guard`: what commands call: check a permission, audit a refusal, append what was done.
- `production`: production mode refuses specs, agent code and contracts not merged on the protected branch.
"""

from mops.core.governance.errors import LedgerError, PermissionRefused, PolicyError
from mops.core.governance.identity import resolve_actor
from mops.core.governance.ledger import Ledger, VerifyResult
from mops.core.governance.policy import ACTIONS, Authorizer, Policy, load_policy

__all__ = [
    "ACTIONS",
    "Authorizer",
    "Ledger",
    "LedgerError",
    "PermissionRefused",
    "Policy",
    "PolicyError",
    "VerifyResult",
    "load_policy",
    "resolve_actor",
]
