"""Conflict rules: each contradiction found with both sides and run ids; agreeing decisions raise none."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from mops.core.monitoring.conflicts import RULES, find_conflicts

T0 = datetime(2026, 6, 30, 6, 0)


def _d(run_id, agent, kind, subject, action, hours=0.0, details=None, reason="because"):
    return {
        "run_id": run_id,
        "agent": agent,
        "kind": kind,
        "subject": subject,
        "action": action,
        "reason": reason,
        "details": details or {},
        "decided_at": T0 + timedelta(hours=hours),
    }


def _frame(*rows):
    return pd.DataFrame(list(rows))


def test_every_rule_names_two_different_agents():
    assert len({r.name for r in RULES}) == len(RULES)
    assert all(r.a.agent != r.b.agent for r in RULES)


def test_increase_on_a_channel_attribution_flags():
    decisions = _frame(
        _d("r1", "attribution", "flag_underperforming", "meta_ads", "flag_underperforming"),
        _d("r1", "budget_optimizer", "shift_budget", "meta_ads", "increase_spend", 0.1),
        _d("r1", "budget_optimizer", "shift_budget", "google_ads", "increase_spend", 0.1),  # not flagged
    )
    applied = pd.DataFrame([{"run_id": "r1", "subject": "meta_ads", "status": "pending"}])
    [conflict] = find_conflicts(decisions, applied)
    assert (conflict.rule, conflict.subject, conflict.outcome) == ("increase_on_underperforming", "meta_ads", "pending")
    assert (conflict.a_agent, conflict.a_run_id, conflict.b_agent, conflict.b_run_id) == (
        "budget_optimizer",
        "r1",
        "attribution",
        "r1",
    )


def test_the_optimizers_own_held_conflict_is_part_of_the_layer():
    decisions = _frame(
        _d("r2", "attribution", "flag_underperforming", "tiktok_ads", "flag_underperforming"),
        _d("r2", "budget_optimizer", "conflict", "tiktok_ads", "held_at_current_spend", 0.1),
    )
    [conflict] = find_conflicts(decisions)
    assert conflict.outcome == "held" and conflict.a_kind == "conflict"


def test_increase_on_an_over_pacing_channel_across_runs():
    decisions = _frame(
        _d("pacing-run", "pacing", "threshold_crossed", "google_ads", "flag_over_pacing", -20),
        _d("budget-run", "budget_optimizer", "shift_budget", "google_ads", "increase_spend", 0),
    )
    [conflict] = find_conflicts(decisions)
    assert conflict.rule == "increase_on_over_pacing"
    assert (conflict.a_run_id, conflict.b_run_id) == ("budget-run", "pacing-run")
    assert "pacing reports as over-pacing" in conflict.message
    # the same two decisions a week apart are not a conflict
    decisions.loc[0, "decided_at"] = T0 - timedelta(days=7)
    assert find_conflicts(decisions) == []


def test_a_decrease_on_an_over_pacing_channel_agrees():
    decisions = _frame(
        _d("r3", "pacing", "threshold_crossed", "google_ads", "flag_over_pacing"),
        _d("r3", "budget_optimizer", "shift_budget", "google_ads", "decrease_spend", 0.1),
    )
    assert find_conflicts(decisions) == []


def test_paused_creative_in_a_campaign_whose_channel_is_raised():
    decisions = _frame(
        _d(
            "r4",
            "content_performance",
            "creative",
            "meta_ads:c9:ad3",
            "pause_creative",
            details={"campaign_key": "meta_ads:c9"},
        ),
        _d(
            "r4",
            "content_performance",
            "creative",
            "google_ads:c1:ad1",
            "pause_creative",
            details={"campaign_key": "google_ads:c1"},
        ),
        _d("r4", "budget_optimizer", "shift_budget", "meta_ads", "increase_spend", 0.1),
    )
    [conflict] = find_conflicts(decisions)
    assert (conflict.rule, conflict.subject) == ("pause_creative_in_scaled_campaign", "meta_ads")
    assert "meta_ads:c9" in conflict.message


def test_shift_against_a_locked_commitment():
    decisions = _frame(_d("r5", "budget_optimizer", "shift_budget", "linkedin_ads", "decrease_spend"))
    [conflict] = find_conflicts(decisions, commitments={"linkedin_ads": "Q3 sponsorship, 2,000/day"})
    assert conflict.rule == "shift_against_locked_commitment"
    assert conflict.b_run_id is None and "Q3 sponsorship" in conflict.message
    assert find_conflicts(decisions, commitments={"meta_ads": "other"}) == []


def test_the_same_pair_is_one_conflict():
    row = _d("r6", "attribution", "flag_underperforming", "meta_ads", "flag_underperforming")
    decisions = _frame(row, row, _d("r6", "budget_optimizer", "shift_budget", "meta_ads", "increase_spend"))
    assert len(find_conflicts(decisions)) == 1
