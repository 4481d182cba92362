"""The composition root: every command sees one catalog, external agents included, validated whole."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mops.app.catalog import build_catalog
from mops.app.cli import app
from mops.core.catalog import CatalogError
from mops.core.settings import Settings


def test_an_external_agent_writing_a_builtin_agents_table_is_refused_by_the_catalog():
    # tests.flow_agents has t_attribution, which writes attribution_credit v2 like the real attribution agent
    with pytest.raises(CatalogError) as refused:
        build_catalog(Settings(agent_modules=["tests.flow_agents"]))
    assert "table attribution_credit is written by 2 agents (attribution, t_attribution)" in str(refused.value)


def test_external_agents_alone_form_a_catalog_when_the_builtin_packages_are_off():
    catalog = build_catalog(Settings(agent_packages=[], agent_modules=["tests.flow_agents"]))
    assert sorted(catalog.agents) == ["t_attribution", "t_budget", "t_pacing", "t_reporting"]


@pytest.mark.parametrize("command", [["inventory", "--format", "json"], ["generate", "--check"]])
def test_every_command_sees_the_external_agents(command, monkeypatch):
    monkeypatch.setenv("MOPS_AGENT_MODULES", json.dumps(["tests.flow_agents"]))
    result = CliRunner().invoke(app, command)
    assert result.exit_code != 0
    assert "written by 2 agents" in str(result.exception) + result.output


def test_inventory_lists_external_agents(monkeypatch):
    monkeypatch.setenv("MOPS_AGENT_MODULES", json.dumps(["tests.flow_agents"]))
    monkeypatch.setenv("MOPS_AGENT_PACKAGES", "[]")
    result = CliRunner().invoke(app, ["inventory", "--format", "json"])
    assert result.exit_code == 0, result.output
    names = sorted(row["name"] for row in json.loads(result.output))
    assert names == ["t_attribution", "t_budget", "t_pacing", "t_reporting"]
