"""The policy file: validation refuses what it does not know; casbin enforces roles, inclusion and scopes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mops.core.governance import ACTIONS, Authorizer, PermissionRefused, PolicyError, load_policy, resolve_actor
from mops.core.settings import PROJECT_DIR, Settings

REPO_POLICY = PROJECT_DIR / "governance" / "policy.yml"

# What each role of the repository's policy may do, written out by hand (not derived from `includes`).
EXPECTED = {
    "viewer": {"read_audit"},
    "analyst": {"read_audit", "run_agent"},
    "operator": {"read_audit", "run_agent", "run_workflow", "backfill", "ingest"},
    "approver": {"read_audit", "approve", "reject"},
    "workflow_editor": {"read_audit", "change_workflow", "change_contract"},
    "pii_reader": {"grant_pii"},
    "admin": set(ACTIONS),
}


def policy_with(tmp_path: Path, members: list[dict], roles: dict | None = None) -> Path:
    raw = yaml.safe_load(REPO_POLICY.read_text())
    raw["members"] = members
    if roles is not None:
        raw["roles"] = roles
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_is_allowed_exactly_for_the_roles_that_have_it(tmp_path, role, action):
    authorizer = Authorizer(load_policy(policy_with(tmp_path, [{"identity": "m", "roles": [role]}])))
    scopes = ["workflow:daily"]
    assert authorizer.allowed("m", action, scopes) == (action in EXPECTED[role])
    assert not authorizer.allowed("someone_else", action, scopes)
    if action not in EXPECTED[role]:
        with pytest.raises(PermissionRefused) as refused:
            authorizer.check("m", action, scopes)
        message = str(refused.value)
        assert "'m'" in message and action in message and "workflow:daily" in message
        assert "needs role" in message


def test_the_repository_policy_loads_and_the_demo_identities_do_what_the_demo_does():
    authorizer = Authorizer(load_policy(REPO_POLICY))
    for action in ("ingest", "run_workflow"):
        assert authorizer.allowed("demo-operator", action, ["workflow:daily"])
    assert not authorizer.allowed("demo-operator", "approve", ["workflow:daily", "channel:search"])
    assert authorizer.allowed("demo-lead", "approve", ["workflow:daily", "channel:search"])
    assert not authorizer.allowed("demo-lead", "approve", ["workflow:weekly", "channel:search"])
    assert not authorizer.allowed("demo-lead", "run_workflow", ["workflow:daily"])


def test_scopes_limit_a_membership_to_its_workflow_agent_or_channel(tmp_path):
    members = [
        {"identity": "wf", "roles": ["approver"], "scopes": ["workflow:daily"]},
        {"identity": "ch", "roles": ["approver"], "scopes": ["channel:search"]},
        {"identity": "ag", "roles": ["analyst"], "scopes": ["agent:attribution"]},
    ]
    authorizer = Authorizer(load_policy(policy_with(tmp_path, members)))
    assert authorizer.allowed("wf", "approve", ["workflow:daily", "channel:display"])
    assert not authorizer.allowed("wf", "approve", ["workflow:weekly", "channel:display"])
    assert authorizer.allowed("ch", "approve", ["workflow:weekly", "channel:search"])
    assert not authorizer.allowed("ch", "approve", ["workflow:weekly", "channel:display"])
    assert authorizer.allowed("ag", "run_agent", ["agent:attribution"])
    assert not authorizer.allowed("ag", "run_agent", ["agent:segmentation"])
    assert not authorizer.allowed("ag", "run_agent", [])  # a scoped member is not a member everywhere
    assert authorizer.who_may("approve", ["workflow:daily", "channel:search"]) == ["wf", "ch"]


@pytest.mark.parametrize(
    ("members", "roles", "message"),
    [
        ([{"identity": "m", "roles": ["superuser"]}], None, "member m: unknown role(s) superuser"),
        ([], {"viewer": {"actions": ["read_everything"]}}, "unknown action(s) read_everything"),
        ([], {"viewer": {"actions": [], "includes": ["ghost"]}}, "role viewer includes unknown role(s) ghost"),
        ([{"identity": "m", "roles": ["viewer"], "scopes": ["team:x"]}], None, "bad scope(s) team:x"),
        ([{"identity": "m", "roles": ["viewer"], "colour": "red"}], None, "colour"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_file_and_the_problem(tmp_path, members, roles, message):
    path = policy_with(tmp_path, members, roles)
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert str(path) in str(refused.value) and message in str(refused.value)


def test_a_missing_or_broken_policy_file_is_refused(tmp_path):
    with pytest.raises(PolicyError, match="no governance policy"):
        load_policy(tmp_path / "absent.yml")
    (tmp_path / "bad.yml").write_text("roles: [unclosed")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(tmp_path / "bad.yml")


def test_the_actor_is_mops_actor_else_the_operating_system_user(monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "os-user")
    assert resolve_actor(Settings(actor="ci-bot")) == "ci-bot"
    assert resolve_actor(Settings(actor=None)) == "os-user"
    assert resolve_actor(Settings(actor="  ")) == "os-user"
