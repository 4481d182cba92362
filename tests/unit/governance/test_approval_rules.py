"""Approval rules in the workflow spec: the role and the second approver, with limits that make sense."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flows.spec import Approval


def test_a_second_approver_is_needed_strictly_above_its_limit():
    rule = Approval(decision="shift_budget", above=0.15, second_approver_above=0.25, approver_role="marketing_lead")
    assert [rule.approvals_needed(v) for v in (0.2, 0.25, 0.2501, -0.3, None)] == [1, 1, 2, 2, 1]
    assert Approval(decision="shift_budget", above=0.15).approvals_needed(0.9) == 1


def test_a_second_approver_limit_below_the_approval_limit_is_refused():
    with pytest.raises(ValidationError, match="second_approver_above"):
        Approval(decision="shift_budget", above=0.15, second_approver_above=0.1)
