"""`--param K=V`: JSON/YAML values for lists, tuples and dicts, validated by the agent's pydantic parameters."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agents.attribution.parameters import AttributionParameters
from agents.budget_optimizer.parameters import BudgetParameters
from mops.core.runtime.parameters import ParameterError, parse_parameters


def test_tuples_dicts_numbers_and_null_from_the_command_line():
    params = parse_parameters(
        AttributionParameters, ["passive_channels=[]", 'target_cpa={"google_ads": 40, "meta_ads": 55.5}', "seed=3"]
    )
    assert params.passive_channels == ()
    assert params.target_cpa == {"google_ads": 40.0, "meta_ads": 55.5}
    assert params.seed == 3
    budget = parse_parameters(
        BudgetParameters,
        ["locked_channels=[meta_ads, tiktok_ads]", "min_daily_spend={google_ads: 10}", "hill_shape=null"],
    )
    assert budget.locked_channels == ("meta_ads", "tiktok_ads")  # YAML flow syntax: no quoting in the shell
    assert budget.min_daily_spend == {"google_ads": 10.0}
    assert budget.hill_shape is None


def test_text_parameters_are_taken_as_written():
    assert parse_parameters(BudgetParameters, ["objective=conversions"]).objective == "conversions"
    assert parse_parameters(BudgetParameters, ["outcome_source=platform"]).outcome_source == "platform"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("passive_channels=direct", r"--param passive_channels=direct: .*valid tuple; expected a JSON list of text"),
        ("target_cpa=[1, 2]", r"--param target_cpa=\[1, 2\]: .*valid dictionary; expected a JSON object of text to"),
        ("seed=abc", r"--param seed=abc: .*valid integer.*; expected whole numbers"),
        ("shapley_worth=profit", r"--param shapley_worth=profit: .*expected one of 'conversions', 'conversion_rate'"),
        ("nope=1", r"--param nope: agent has no parameter 'nope'; its parameters: bootstrap_samples, "),
        ("seed", r"--param 'seed': expected KEY=VALUE"),
    ],
)
def test_errors_name_the_parameter_and_the_expected_shape(item, message):
    with pytest.raises(ParameterError, match=message):
        parse_parameters(AttributionParameters, [item])


def test_a_cross_field_rule_is_reported_too():
    with pytest.raises(ParameterError, match="position_first_weight \\+ position_last_weight must be at most 1"):
        parse_parameters(AttributionParameters, ["position_first_weight=0.7", "position_last_weight=0.7"])


def test_the_cli_refuses_a_bad_param_with_the_message_and_no_traceback(tmp_path, monkeypatch):
    from mops.app.catalog import compose
    from mops.app.cli import app

    monkeypatch.setenv("MOPS_WAREHOUSE", str(tmp_path / "none.duckdb"))
    compose()
    result = CliRunner().invoke(
        app, ["agent", "run", "attribution", "--date", "2026-06-30", "--param", "passive_channels=direct"]
    )
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # the console wraps long lines
    assert "--param passive_channels=direct" in output and "expected a JSON list of text" in output
    assert "Traceback" not in output
