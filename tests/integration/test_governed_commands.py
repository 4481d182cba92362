"""Permissioned commands check the policy first, refuse with the role needed, and leave it all in the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from typer.testing import CliRunner

from flows.approvals import ApprovalStore
from mops.app.cli import app
from mops.core.governance import PermissionRefused
from mops.core.governance.guard import ledger
from mops.core.runtime.agent import Decision
from mops.core.settings import get_settings
from mops.core.warehouse.adapter import open_warehouse

POLICY = {
    "roles": {
        "viewer": {"actions": ["read_audit"]},
        "operator": {"actions": ["run_workflow", "run_agent"], "includes": ["viewer"]},
        "approver": {"actions": ["approve", "reject"], "includes": ["viewer"]},
        "admin": {"includes": ["operator", "approver"]},
        "marketing_lead": {"includes": ["approver"]},
    },
    "members": [
        {"identity": "alice", "roles": ["admin"]},  # starts the run: may approve in general, not her own run
        {"identity": "bob", "roles": ["approver"], "scopes": ["workflow:daily"]},
        {"identity": "carol", "roles": ["operator"]},
        {"identity": "dave", "roles": ["approver"], "scopes": ["channel:search"]},
        {"identity": "erin", "roles": ["marketing_lead"]},
        {"identity": "frank", "roles": ["marketing_lead"], "scopes": ["workflow:daily"]},
    ],
}


@pytest.fixture
def env(tmp_path, monkeypatch):
    policy = tmp_path / "policy.yml"
    policy.write_text(yaml.safe_dump(POLICY))
    monkeypatch.setenv("MOPS_POLICY_FILE", str(policy))
    monkeypatch.setenv("MOPS_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("MOPS_VAR_DIR", str(tmp_path / "var"))
    settings = get_settings()
    decisions = [
        Decision(kind="shift_budget", subject=s, action="increase", value=0.3, confidence=0.9, reason="r")
        for s in ("search", "display")
    ]
    ApprovalStore(settings.var_path / "approvals").request(
        "run1", "daily", "budget_optimizer", decisions, timedelta(hours=1), mode="defer", requested_by="alice"
    )
    return settings


def invoke(monkeypatch, actor: str, *args: str):
    monkeypatch.setenv("MOPS_ACTOR", actor)
    return CliRunner().invoke(app, list(args))


def entries(settings) -> list[dict]:
    with open_warehouse(settings, read_only=True) as warehouse:
        book = ledger(settings, warehouse)
        assert book.verify().ok
        return book.entries()


def test_the_actor_who_started_the_run_cannot_approve_its_decisions(env, monkeypatch):
    result = invoke(monkeypatch, "alice", "approve", "run1")
    assert isinstance(result.exception, PermissionRefused)
    assert "separation of duties: alice started this run" in str(result.exception)
    assert all(i["status"] == "pending" for i in ApprovalStore(env.var_path / "approvals").read("run1")["items"])
    refused = entries(env)[-1]
    assert (refused["actor"], refused["action"], refused["run_id"]) == ("alice", "refused", "run1")


def test_a_role_without_approve_is_refused_and_an_approver_is_allowed(env, monkeypatch):
    result = invoke(monkeypatch, "carol", "approve", "run1")
    assert isinstance(result.exception, PermissionRefused)
    assert "needs role approver" in str(result.exception)

    result = invoke(monkeypatch, "bob", "approve", "run1")
    assert result.exit_code == 0, result.output
    items = ApprovalStore(env.var_path / "approvals").read("run1")["items"]
    assert {(i["subject"], i["status"], i["decided_by"]) for i in items} == {
        ("search", "approved", "bob"),
        ("display", "approved", "bob"),
    }
    log = entries(env)
    assert [(e["actor"], e["action"]) for e in log] == [("carol", "refused"), ("bob", "approve"), ("bob", "approve")]
    with open_warehouse(env, read_only=True) as warehouse:
        applied = warehouse.query("select subject, decided_by from ops.applied_decisions order by subject")
    assert list(applied.decided_by) == ["bob", "bob"]


def test_a_channel_scoped_approver_decides_only_that_channel(env, monkeypatch):
    assert isinstance(invoke(monkeypatch, "dave", "approve", "run1").exception, PermissionRefused)  # display too
    result = invoke(monkeypatch, "dave", "approve", "run1", "--subject", "search")
    assert result.exit_code == 0, result.output
    items = {i["subject"]: i["status"] for i in ApprovalStore(env.var_path / "approvals").read("run1")["items"]}
    assert items == {"search": "approved", "display": "pending"}


def test_approvals_lists_who_may_approve_without_the_proposer(env, monkeypatch):
    result = invoke(monkeypatch, "carol", "approvals")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "started by alice" in text
    assert "may approve: bob, dave" in text  # search: bob (workflow) and dave (channel); alice is the proposer
    assert "may approve: bob" in text


def test_audit_commands_need_read_audit(env, monkeypatch):
    invoke(monkeypatch, "carol", "approve", "run1")  # refusals: carol, then mallory and bob below
    assert isinstance(invoke(monkeypatch, "mallory", "audit", "verify").exception, PermissionRefused)
    refused = invoke(monkeypatch, "bob", "audit", "verify")  # a workflow-scoped member does not read everything
    assert isinstance(refused.exception, PermissionRefused)
    assert str(env.policy_file) in str(refused.exception)
    result = invoke(monkeypatch, "carol", "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "ledger ok: 3 entries" in " ".join(result.output.split())


def test_above_the_limits_the_named_role_and_a_second_approver_are_needed(env, monkeypatch):
    from flows.spec import Approval

    rule = Approval(decision="shift_budget", above=0.15, approver_role="marketing_lead", second_approver_above=0.25)
    decisions = [
        Decision(kind="shift_budget", subject=s, action="increase", value=v, confidence=0.9, reason="r")
        for s, v in (("search", 0.30), ("display", -0.20))
    ]
    store = ApprovalStore(env.var_path / "approvals")
    store.request(
        "run2", "daily", "budget_optimizer", decisions, timedelta(hours=1), "defer", "alice",
        rule.approver_role, rule.approvals_needed,
    )  # fmt: skip
    refused = invoke(monkeypatch, "bob", "approve", "run2")  # an approver, but not the marketing lead
    assert isinstance(refused.exception, PermissionRefused) and "needs role marketing_lead" in str(refused.exception)

    assert invoke(monkeypatch, "erin", "approve", "run2").exit_code == 0
    items = {i["subject"]: i for i in store.read("run2")["items"]}
    assert items["display"]["status"] == "approved"  # 20%: one approval
    assert items["search"]["status"] == "pending" and items["search"]["approved_by"] == ["erin"]  # 30%: two

    again = invoke(monkeypatch, "erin", "approve", "run2")
    assert "already approved by erin" in str(again.exception)
    assert invoke(monkeypatch, "frank", "approve", "run2").exit_code == 0
    search = next(i for i in store.read("run2")["items"] if i["subject"] == "search")
    assert (search["status"], search["decided_by"]) == ("approved", "erin, frank")

    with open_warehouse(env, read_only=True) as warehouse:
        applied = warehouse.query("select subject, decided_by from ops.applied_decisions order by subject")
    assert applied.values.tolist() == [["display", "erin"], ["search", "erin, frank"]]  # each applied once
    acts = [(e["actor"], e["action"]) for e in entries(env)]
    assert acts == [("bob", "refused"), ("erin", "approve"), ("erin", "approve"), ("frank", "approve")]


def test_approvals_lists_the_role_and_count_an_item_needs(env, monkeypatch):
    decision = Decision(kind="shift_budget", subject="search", action="increase", value=0.3, confidence=1, reason="r")
    ApprovalStore(env.var_path / "approvals").request(
        "run3", "daily", "budget_optimizer", [decision], timedelta(hours=1), "defer", "erin", "marketing_lead",
        lambda value: 2,
    )  # fmt: skip
    text = " ".join(invoke(monkeypatch, "carol", "approvals").output.split())
    assert "run3 daily/budget_optimizer: search" in text
    assert "started by erin, needs 2 approval(s), may approve: frank" in text  # erin proposed; bob lacks the role


def test_validate_refuses_an_approver_role_the_policy_does_not_have(env, monkeypatch, tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    spec = {
        "name": "budget",
        "description": "budgets",
        "trigger": {},
        "steps": [
            {
                "id": "budget_optimizer",
                "agent": "budget_optimizer",
                "approval": {"decision": "shift_budget", "above": 0.15, "approver_role": "cfo"},
            }
        ],
    }
    (specs / "budget.yml").write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("MOPS_WORKFLOWS_DIR", str(specs))
    result = invoke(monkeypatch, "carol", "workflows", "validate")
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "workflow budget, step budget_optimizer: approval.approver_role 'cfo' is not a role" in text
    spec["steps"][0]["approval"]["approver_role"] = "marketing_lead"
    (specs / "budget.yml").write_text(yaml.safe_dump(spec))
    assert invoke(monkeypatch, "carol", "workflows", "validate").exit_code == 0
