"""Loading and validating every workflow spec against the agent catalog (and run history)."""

from __future__ import annotations

from pathlib import Path

from flows.composition import catalog
from flows.composition import use_catalog as use_catalog  # re-exported: the application plugs the catalog in
from flows.plan import Plan, build_plan, event_loops, schedule_misses_deadlines
from flows.review import review_problems
from flows.spec import SpecError, load_specs, parse_spec
from mops.core.errors import MopsError
from mops.core.runtime.agent import Agent
from mops.core.settings import Settings


def workflows_dir(settings: Settings) -> Path:
    return settings.workflows_path


def load_plans(settings: Settings, agents: dict[str, Agent] | None = None) -> dict[str, Plan]:
    agents = agents if agents is not None else catalog(settings)
    return {
        name: build_plan(spec, digest, agents) for name, (spec, digest) in load_specs(workflows_dir(settings)).items()
    }


def load_plans_lenient(settings: Settings, agents: dict[str, Agent] | None = None) -> tuple[dict[str, Plan], list[str]]:
    """Every spec that plans, and a problem line for each that does not (a run warns, it does not fail)."""
    agents = agents if agents is not None else catalog(settings)
    plans: dict[str, Plan] = {}
    problems: list[str] = []
    for path in sorted(workflows_dir(settings).glob("*.yml")):
        try:
            spec, digest = parse_spec(path.read_text(), str(path))
            if spec.name != path.stem:
                raise SpecError(f"workflow {path}: name {spec.name!r} must match the file name ({path.stem})")
            plans[spec.name] = build_plan(spec, digest, agents)
        except (MopsError, OSError, UnicodeDecodeError) as exc:
            problems.append(str(exc))
    return plans, problems


def load_plan(settings: Settings, name: str) -> tuple[Plan, dict[str, Agent]]:
    agents = catalog(settings)
    path = workflows_dir(settings) / f"{name}.yml"
    if not path.exists():
        known = sorted(p.stem for p in workflows_dir(settings).glob("*.yml"))
        raise SpecError(f"no workflow {name!r} in {workflows_dir(settings)} (known: {', '.join(known)})")
    spec, digest = parse_spec(path.read_text(), str(path))
    return build_plan(spec, digest, agents), agents


def validate_all(
    settings: Settings,
    agents: dict[str, Agent] | None = None,
    durations: dict[str, dict[str, float]] | None = None,
    account_zones: list[str] | None = None,
) -> dict[str, Plan]:
    """Every spec parsed and planned; event loops, deadlines history cannot meet and specs that break
    the review rules (flows/review.py) refused."""
    plans = load_plans(settings, agents)
    problems = [f"event trigger can loop: {loop}" for loop in event_loops(plans)]
    for name, plan in plans.items():
        problems += schedule_misses_deadlines(plan, (durations or {}).get(name, {}), account_zones or [])
        problems += review_problems(plan)
    if problems:
        raise SpecError("\n".join(problems))
    return plans
