"""The catalog derives dependencies from manifests and refuses systems that cannot run."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from mops.app.generate_agents import exposures_yaml, sources_yaml
from mops.core.catalog import Catalog, CatalogError
from mops.core.compat import compare, contracts_at
from mops.core.contracts import load_contracts, parse_contract
from mops.core.runtime.agent import Agent, AgentManifest, Read, Write
from mops.core.settings import PROJECT_DIR
from tests.toy_agents import ATTRIBUTION_V2, NoParameters, reporting

CONTRACTS = load_contracts(PROJECT_DIR / "contracts" / "agents")


def agent(name: str, reads: tuple[str, ...], writes: tuple[str, ...]) -> Agent:
    return Agent(
        AgentManifest(
            name=name,
            owner="tests",
            description=name,
            reads=tuple(Read(name=r) for r in reads),
            writes=tuple(Write(table=w, version=1) for w in writes),
        ),
        lambda inputs, context, parameters: None,
        NoParameters,
    )


def test_dependencies_are_derived_from_reads_and_writes():
    catalog = Catalog({"attribution": ATTRIBUTION_V2, "reporting": reporting(1)}, CONTRACTS)
    catalog.validate()
    assert catalog.order() == ["attribution", "reporting"]
    rows = {row["name"]: row for row in catalog.inventory()}
    assert rows["reporting"]["depends_on"] == ["attribution"]
    assert rows["attribution"]["depended_on_by"] == ["reporting"]
    assert rows["attribution"]["shadow_versions"] == [
        {"table": "attribution_credit", "version": 1, "relation": "agents.attribution_credit_v1"}
    ]
    assert rows["reporting"]["reads"][0] == {
        "name": "attribution_credit",
        "version": 1,
        "kind": "agent_output",
        "producer": "attribution",
    }


def test_a_cycle_is_refused_naming_the_agents_on_it():
    contracts = {
        "attribution_credit": CONTRACTS["attribution_credit"],
        "attribution_channel_summary": CONTRACTS["attribution_channel_summary"],
    }
    catalog = Catalog(
        {
            "a": agent("a", ("attribution_channel_summary",), ("attribution_credit",)),
            "b": agent("b", ("attribution_credit",), ("attribution_channel_summary",)),
        },
        contracts,
    )
    with pytest.raises(CatalogError, match=r"agent dependency cycle: (a -> b -> a|b -> a -> b)"):
        catalog.validate()


def test_two_writers_of_one_table_are_refused():
    catalog = Catalog(
        {"a": agent("a", (), ("attribution_credit",)), "b": agent("b", (), ("attribution_credit",))}, CONTRACTS
    )
    with pytest.raises(CatalogError, match=r"table attribution_credit is written by 2 agents \(a, b\)"):
        catalog.validate()


def test_a_write_without_contract_is_refused():
    with pytest.raises(
        CatalogError, match=r"agent a writes nowhere_table: no contract contracts/agents/nowhere_table.yml"
    ):
        Catalog({"a": agent("a", (), ("nowhere_table",))}, CONTRACTS).validate()


def test_generated_dbt_yaml_declares_outputs_as_sources_and_agents_as_exposures():
    catalog = Catalog({"attribution": ATTRIBUTION_V2, "reporting": reporting(1)}, CONTRACTS)
    assert "name: attribution_credit_v1" in sources_yaml(catalog)
    exposures = exposures_yaml(catalog)
    assert "name: agent_reporting" in exposures
    assert "source('agents', 'attribution_credit_v1')" in exposures
    assert "ref('fct_conversion_paths')" in exposures


V1_ONLY = (PROJECT_DIR / "contracts/agents/attribution_credit.yml").read_text().split("  - version: 2")[0]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose main holds the v1-only attribution contract."""
    (tmp_path / "contracts/agents").mkdir(parents=True)
    (tmp_path / "contracts/agents/attribution_credit.yml").write_text(V1_ONLY)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "v1"],
    ):
        subprocess.run(["git", *args], cwd=tmp_path, check=True)
    return tmp_path


def test_v2_shipped_as_a_new_version_passes_and_is_classified_breaking(repo):
    base = contracts_at(repo, "main")
    assert [v.version for v in base["attribution_credit"].versions] == [1]
    catalog = Catalog(
        {"attribution": ATTRIBUTION_V2, "reporting": reporting(1)},
        {"attribution_credit": CONTRACTS["attribution_credit"]},
    )
    findings = compare(base, catalog, date(2026, 11, 25))
    assert [(f.change, f.version, f.mode, f.ok) for f in findings] == [("new version", 2, "BREAKING", True)]


def test_the_same_change_made_in_place_fails_and_names_the_consumers(repo):
    head = CONTRACTS["attribution_credit"]
    v2_as_v1 = head.version(2).model_copy(update={"version": 1})
    in_place = head.model_copy(update={"versions": (v2_as_v1,)})
    consumer = Agent(
        AgentManifest(
            name="reporting", owner="t", description="d", reads=(Read(name="attribution_credit"),), writes=()
        ),
        lambda *a: None,
        NoParameters,
    )
    findings = compare(
        contracts_at(repo, "main"),
        Catalog({"reporting": consumer}, {"attribution_credit": in_place}),
        date(2026, 11, 25),
    )
    (finding,) = findings
    assert (finding.change, finding.mode, finding.ok) == ("edited", "BREAKING", False)
    assert finding.breaks == ["reporting (unpinned, reads v1)"]
    assert any("grain changed" in d for d in finding.details)


def test_a_pinned_version_without_a_downgrade_or_past_deprecation_fails(repo):
    contract = CONTRACTS["attribution_credit"]
    no_shadow = ATTRIBUTION_V2.__class__(ATTRIBUTION_V2.manifest, ATTRIBUTION_V2.function, NoParameters, {})
    catalog = Catalog({"attribution": no_shadow, "reporting": reporting(1)}, {"attribution_credit": contract})
    findings = [f for f in compare(contracts_at(repo, "main"), catalog, date(2026, 11, 25)) if not f.ok]
    assert [(f.change, f.breaks) for f in findings] == [("not produced", ["reporting (pinned to v1)"])]
    late = contract.version(1).deprecation_date.replace(year=contract.version(1).deprecation_date.year + 1)
    catalog = Catalog({"attribution": ATTRIBUTION_V2, "reporting": reporting(1)}, {"attribution_credit": contract})
    findings = [f for f in compare(contracts_at(repo, "main"), catalog, late) if not f.ok]
    assert [f.change for f in findings] == ["deprecated"]


def test_an_invalid_contract_file_is_refused_with_its_name():
    with pytest.raises(Exception, match=r"contract x.yml is invalid"):
        parse_contract("table: Bad Name\nowner: t\ndescription: d\nversions: []\n", "x.yml")
