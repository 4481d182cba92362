"""Partial data: the marts' declared landing inputs, the build plan and which agents can run."""

from __future__ import annotations

from pydantic import BaseModel

from mops.core.availability import agent_states, mart_inputs, plan_marts
from mops.core.landing import load_registry
from mops.core.runtime.agent import Agent, AgentManifest, AgentResult, Read, Write
from mops.core.settings import PROJECT_DIR

INPUTS = mart_inputs(PROJECT_DIR / "dbt_project")
REGISTRY = load_registry(PROJECT_DIR / "contracts" / "landing")
ADS = {
    "google_ads.campaign_stats",
    "meta_ads.insights",
    "linkedin_ads.ad_analytics",
    "tiktok_ads.campaign_report",
    "microsoft_ads.campaign_performance",
}


def test_every_contracted_mart_with_landing_data_declares_its_inputs_once():
    # dim_channels is made from seeds only; every other mart names the landing tables it is made from
    assert set(INPUTS) == {
        "fct_ad_performance_daily",
        "dim_campaigns",
        "fct_ad_creative_daily",
        "fct_budget_plan_daily",
        "fct_touchpoints",
        "fct_conversions",
        "fct_conversion_paths",
        "dim_customers",
    }
    known = {t.qualified_name for t in REGISTRY.tables()}
    for declared in INPUTS.values():
        assert set(declared.any_of) <= known, declared


def test_required_and_optional_inputs_are_what_the_readme_says():
    assert set(INPUTS["fct_ad_performance_daily"].any_of) == ADS and INPUTS["fct_ad_performance_daily"].required
    assert INPUTS["fct_touchpoints"].any_of == ("ga4.events",) and INPUTS["fct_touchpoints"].required
    assert INPUTS["fct_budget_plan_daily"].any_of == ("plan.budget_plan",)
    optional = {m for m, d in INPUTS.items() if not d.required}
    assert optional == {"fct_ad_creative_daily", "fct_budget_plan_daily", "dim_customers"}


def test_google_and_ga4_alone_build_every_required_mart_and_leave_optional_ones_empty():
    plan = plan_marts(INPUTS, {"google_ads.campaign_stats", "ga4.events"}, "landing")
    states = {m: s.state for m, s in plan.marts.items()}
    assert states == {
        "fct_ad_performance_daily": "ready",
        "dim_campaigns": "ready",
        "fct_touchpoints": "ready",
        "fct_conversions": "ready",
        "fct_conversion_paths": "ready",
        "fct_ad_creative_daily": "empty",
        "fct_budget_plan_daily": "empty",
        "dim_customers": "empty",
    }
    assert "landing/plan/budget_plan/" in plan.marts["fct_budget_plan_daily"].reason
    assert plan.exclude_args() == []


def test_a_missing_required_source_skips_its_marts_and_what_is_built_on_them():
    plan = plan_marts(INPUTS, {"meta_ads.insights"}, "landing")
    skipped = {m.mart for m in plan.with_state("skipped")}
    assert skipped == {"fct_touchpoints", "fct_conversions", "fct_conversion_paths"}
    assert "landing/ga4/events/" in plan.marts["fct_touchpoints"].reason
    excluded = plan.exclude_args()
    assert excluded[0] == "--exclude"
    assert sorted(excluded[1:]) == ["fct_conversion_paths+", "fct_conversions+", "fct_touchpoints+"]
    assert plan.marts["fct_ad_performance_daily"].state == "ready"


def _agent(name, reads, writes=()):
    manifest = AgentManifest(
        name=name,
        owner="t",
        description="t",
        reads=tuple(reads),
        writes=tuple(Write(table=t, version=1) for t in writes),
    )
    return Agent(manifest, lambda inputs, context, parameters: AgentResult(outputs={}), BaseModel)


def test_agents_needing_an_unavailable_mart_or_its_consumers_output_are_skipped_with_the_reason():
    agents = {
        "pacer": _agent("pacer", [Read(name="fct_budget_plan_daily"), Read(name="fct_ad_performance_daily")]),
        "copy": _agent("copy", [Read(name="fct_ad_creative_daily")], writes=["copy_scores"]),
        "after_copy": _agent("after_copy", [Read(name="copy_scores")]),
        "tolerant": _agent("tolerant", [Read(name="copy_scores", optional=True), Read(name="fct_touchpoints")]),
    }
    plan = plan_marts(INPUTS, {"google_ads.campaign_stats", "ga4.events"}, "landing")
    states = agent_states(agents, plan)
    assert {n: s.state for n, s in states.items()} == {
        "pacer": "skipped",
        "copy": "skipped",
        "after_copy": "skipped",
        "tolerant": "ready",
    }
    assert "fct_budget_plan_daily is empty" in states["pacer"].reason
    assert "plan/budget_plan" in states["pacer"].reason
    assert "agent copy, which cannot run" in states["after_copy"].reason
    # with the missing inputs present, every one of them can run
    loaded = {"google_ads.campaign_stats", "ga4.events", "plan.budget_plan", "meta_ads.ad_insights"}
    full = plan_marts(INPUTS, loaded, "x")
    assert {s.state for s in agent_states(agents, full).values()} == {"ready"}
