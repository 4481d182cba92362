"""Governance: who may do what (policy as code, enforced by casbin), who is acting, the audit ledger, and
what may run (production mode: only reviewed code).

- `policy`: governance/policy.yml validated (roles, members with scopes, known actions) and enforced.
- `identity`: the one actor resolver (MOPS_ACTOR, else the operating-system user).
- `ledger`: the append-only, hash-chained `ops.audit_log` with its head kept outside the warehouse.
- `guard`: what commands call: check a permission, audit a refusal, append what was done.
- `production`: production mode refuses specs, agent code and contracts not merged on the protected branch.
"""

import importlib

# Names load with their module on first use (PEP 562): importing one submodule (e.g. `pseudonym`, which dbt's
# environment needs before a run starts) does not load casbin, pandas and the ledger.
_EXPORTS = {
    "ACTIONS": "policy",
    "Authorizer": "policy",
    "Ledger": "ledger",
    "LedgerError": "errors",
    "PermissionRefused": "errors",
    "Policy": "policy",
    "PolicyError": "errors",
    "VerifyResult": "ledger",
    "load_policy": "policy",
    "resolve_actor": "identity",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
