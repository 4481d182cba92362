"""The policy as code: governance/policy.yml validated with pydantic, enforced by casbin (RBAC with domains).

The YAML is the one source of truth; the casbin policy lines are generated from it at load time
(role -> action lines, member -> role lines in a scope). A scope is the domain: `*` (everywhere),
`workflow:<name>`, `agent:<name>` or `channel:<name>`. An object of a check lives in one or more
scopes (a budget decision about `search` in the `daily` workflow lives in `workflow:daily` and
`channel:search`); a member holding the role in any of them, or in `*`, may act.
"""

from __future__ import annotations

import re
from pathlib import Path

import casbin
import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from mops.core.base import StrictModel, load_yaml
from mops.core.governance.errors import PermissionRefused, PolicyError

ACTIONS: dict[str, str] = {
    "run_workflow": "run a workflow (mops run, a served deployment)",
    "backfill": "backfill a workflow over past days (mops run --from --to)",
    "run_agent": "run one agent (mops agent run)",
    "approve": "approve a decision waiting for a human",
    "reject": "reject a decision waiting for a human",
    "grant_pii": "let a run read PII columns (--allow-pii)",
    "ingest": "load landing files into the warehouse",
    "change_contract": "change a contract under contracts/ (checked on the pull request's author)",
    "change_workflow": "change a workflow spec under flows/workflows/ (checked on the pull request's author)",
    "read_audit": "read, verify and export the audit ledger",
    "manage_grants": "set up the warehouse's database roles and privileges (mops warehouse grants --apply)",
}
SCOPE = re.compile(r"^(\*|(workflow|agent|channel):[A-Za-z0-9_.\-]+)$")
ANYWHERE = "*"

# RBAC with domains: r = (actor, scope, action); g = (actor, role, scope); p = (role, action).
# A membership in scope `*` matches every requested scope (the domain matching function below).
CASBIN_MODEL = """
[request_definition]
r = sub, dom, act

[policy_definition]
p = sub, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.act == p.act
"""


class Role(StrictModel):
    description: str = ""
    actions: list[str] = Field(default_factory=list)
    includes: list[str] = Field(default_factory=list)  # roles whose actions this one also has

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, actions: list[str]) -> list[str]:
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown action(s) {', '.join(unknown)}; known: {', '.join(ACTIONS)}")
        return actions


class Member(StrictModel):
    identity: str = Field(min_length=1)
    roles: list[str] = Field(min_length=1)
    scopes: list[str] = Field(default_factory=lambda: [ANYWHERE])
    note: str = ""

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, scopes: list[str]) -> list[str]:
        bad = [s for s in scopes if not SCOPE.match(s)]
        if bad:
            raise ValueError(f"bad scope(s) {', '.join(bad)}: use *, workflow:<name>, agent:<name> or channel:<name>")
        return scopes


class Policy(StrictModel):
    version: int = 1
    roles: dict[str, Role]
    members: list[Member] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_roles(self) -> Policy:
        for name, role in self.roles.items():
            unknown = [r for r in role.includes if r not in self.roles]
            if unknown:
                raise ValueError(f"role {name} includes unknown role(s) {', '.join(unknown)}; known: {self._names()}")
        for member in self.members:
            unknown = [r for r in member.roles if r not in self.roles]
            if unknown:
                raise ValueError(
                    f"member {member.identity}: unknown role(s) {', '.join(unknown)}; known: {self._names()}"
                )
        return self

    def _names(self) -> str:
        return ", ".join(self.roles)

    def within(self, role: str) -> set[str]:
        """The role and every role it includes, transitively (a cycle is harmless)."""
        seen: set[str] = set()
        stack = [role]
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack += self.roles[name].includes
        return seen

    def actions_of(self, role: str) -> set[str]:
        """A role's own actions and those of every role it includes."""
        return {action for name in self.within(role) for action in self.roles[name].actions}

    def roles_granting(self, action: str) -> list[str]:
        """Roles listing the action themselves (every role including one of them has it too)."""
        return [name for name, role in self.roles.items() if action in role.actions]


def load_policy(path: Path) -> Policy:
    """The policy file, validated; a bad file is refused naming the file and the field."""
    if not path.exists():
        raise PolicyError(f"no governance policy at {path} (set MOPS_POLICY_FILE or create it)")
    try:
        raw = load_yaml(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{path}: {problems}") from exc


def _scope_matches(requested: str, granted: str) -> bool:
    return granted in (ANYWHERE, requested)


class Authorizer:
    """The policy enforced through casbin; `check` raises PermissionRefused naming the role needed."""

    def __init__(self, policy: Policy, source: str = "governance/policy.yml"):
        self.policy = policy
        self.source = source
        model = casbin.model.Model()
        model.load_model_from_text(CASBIN_MODEL)
        self.enforcer = casbin.Enforcer(model)
        self.enforcer.add_named_domain_matching_func("g", _scope_matches)
        for name in policy.roles:
            for action in sorted(policy.actions_of(name)):
                self.enforcer.add_policy(name, action)
        for member in policy.members:
            for role in member.roles:
                for scope in member.scopes:
                    self.enforcer.add_grouping_policy(member.identity, role, scope)

    def allowed(self, actor: str, action: str, scopes: list[str]) -> bool:
        if action not in ACTIONS:
            raise PolicyError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
        return any(self.enforcer.enforce(actor, scope, action) for scope in scopes or [ANYWHERE])

    def check(self, actor: str, action: str, scopes: list[str]) -> None:
        if not self.allowed(actor, action, scopes):
            raise PermissionRefused(actor, action, " / ".join(scopes) or ANYWHERE, self.needed(action, scopes))

    def needed(self, action: str, scopes: list[str]) -> str:
        roles = self.policy.roles_granting(action)
        where = " or ".join(dict.fromkeys([*scopes, ANYWHERE]))
        if not roles:
            return f"no role in the policy grants {action}"
        return f"needs role {' or '.join(roles)} (or a role including it) in scope {where} ({self.source})"

    def who_may(self, action: str, scopes: list[str], role: str | None = None) -> list[str]:
        """Members allowed to take `action` on an object in these scopes (and holding `role`, when named)."""
        found = [m.identity for m in self.policy.members if self.allowed(m.identity, action, scopes)]
        found = [who for who in found if role is None or self.holds(who, role, scopes)]
        return list(dict.fromkeys(found))

    def holds(self, actor: str, role: str, scopes: list[str]) -> bool:
        """The actor is a member with `role` (or a role including it) in one of these scopes or everywhere."""
        if role not in self.policy.roles:
            raise PolicyError(f"unknown role {role!r}; known: {', '.join(self.policy.roles)}")
        return any(
            role in self.policy.within(held) and any(_scope_matches(s, granted) for s in scopes or [ANYWHERE])
            for member in self.policy.members
            if member.identity == actor
            for held in member.roles
            for granted in member.scopes
        )

    def check_role(self, actor: str, action: str, role: str, scopes: list[str]) -> None:
        if not self.holds(actor, role, scopes):
            where = " or ".join(dict.fromkeys([*scopes, ANYWHERE]))
            needed = f"needs role {role} in scope {where} ({self.source})"
            raise PermissionRefused(actor, action, " / ".join(scopes), needed)
