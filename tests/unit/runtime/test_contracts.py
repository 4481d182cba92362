"""Agent contracts: validation rules, Confluent-style classification, and generated forms that agree."""

from __future__ import annotations

import json
from datetime import datetime

import jsonschema
import pandas as pd
import pytest
import yaml

from mops.core.compatibility import classify, mode_of
from mops.core.contracts import Column, ContractVersion, json_schema, load_contracts, validate_frame
from mops.core.settings import PROJECT_DIR

CONTRACTS = load_contracts(PROJECT_DIR / "contracts" / "agents")


def version(*columns: Column, key=("id",), checks=()) -> ContractVersion:
    return ContractVersion(version=1, grain="one row per id", key=key, columns=columns, checks=checks)


ID = Column(name="id", type="varchar")
SEGMENT = Column(name="segment", type="varchar", allowed_values=("a", "b"))
SCORE = Column(name="score", type="bigint")


@pytest.mark.parametrize(
    ("old", "new", "mode"),
    [
        (version(ID, SEGMENT), version(ID, SEGMENT), "UNCHANGED"),
        (version(ID), version(ID, SCORE.model_copy(update={"nullable": True})), "FULL"),  # optional field added
        (version(ID), version(ID, SCORE), "FORWARD"),  # required field added: old data lacks it
        (version(ID, SCORE), version(ID), "BACKWARD"),  # required field removed: old readers miss it
        (version(ID, SCORE.model_copy(update={"nullable": True})), version(ID), "FULL"),  # optional removed
        (version(ID, SCORE), version(ID, SCORE.model_copy(update={"type": "double"})), "BACKWARD"),  # widening
        (version(ID, SCORE), version(ID, SCORE.model_copy(update={"type": "varchar"})), "BREAKING"),
        (version(ID, SEGMENT), version(ID, SEGMENT.model_copy(update={"allowed_values": ("a", "b", "c")})), "BACKWARD"),
        (version(ID, SEGMENT), version(ID, SEGMENT.model_copy(update={"allowed_values": ("a",)})), "FORWARD"),
        (version(ID, SCORE), version(ID, SCORE.model_copy(update={"nullable": True})), "BACKWARD"),
        (version(ID, SCORE), version(ID, SCORE, key=("id", "score")), "BREAKING"),  # grain changed
    ],
)
def test_classification_follows_schema_registry_semantics(old, new, mode):
    assert mode_of(classify(old, new)) == mode


def test_attribution_v1_to_v2_is_breaking_because_the_grain_changes():
    contract = CONTRACTS["attribution_credit"]
    changes = classify(contract.version(1), contract.version(2))
    assert mode_of(changes) == "BREAKING"
    assert any("grain changed" in c.text for c in changes)


def credit_frame(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "conversion_id": ["c1", "c1", "c2"],
            "converted_at": pd.to_datetime(["2026-06-01 10:00"] * 3),
            "channel_id": ["email", "google_ads", "direct"],
            "credit": [0.25, 0.75, 1.0],
            "conversion_value": [100.0, 100.0, 40.0],
            "credited_value": [25.0, 75.0, 40.0],
        }
    )
    return frame.assign(**overrides)


def test_a_valid_frame_has_no_problems():
    assert validate_frame(credit_frame(), CONTRACTS["attribution_credit"].version(2), "attribution_credit") == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"credit": [0.5, 0.75, 1.0], "credited_value": [50.0, 75.0, 40.0]}, "column credit: credit_sums_to_one"),
        ({"credited_value": [25.0, 70.0, 40.0]}, "column credited_value: value_sums_to_conversion_value"),
        ({"channel_id": ["email", "email", "direct"]}, "key ['conversion_id', 'channel_id']: unique: 1 duplicate"),
        ({"conversion_value": ["100", "100", "40"]}, "column conversion_value: type: expected double"),
        ({"channel_id": ["email", None, "direct"]}, "column channel_id: not_null: 1 null value(s)"),
    ],
)
def test_each_broken_rule_is_named_with_table_and_column(overrides, expected):
    problems = validate_frame(
        credit_frame(**overrides), CONTRACTS["attribution_credit"].version(2), "attribution_credit"
    )
    assert any(expected in p and p.startswith("attribution_credit v2") for p in problems), problems


def test_allowed_values_and_missing_columns_are_reported():
    v = version(ID, SEGMENT)
    assert validate_frame(pd.DataFrame({"id": ["1"], "segment": ["z"]}), v, "t") == [
        "t v1: column segment: allowed_values: ['z'] not in ['a', 'b'] in rows [id=1]"
    ]
    assert validate_frame(pd.DataFrame({"id": ["1"]}), v, "t") == ["t v1: missing columns ['segment']"]


def _rows(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON consumers get them: timestamps in RFC 3339, UTC."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.loads(frame.to_json(orient="records"))


@pytest.mark.parametrize("table", sorted(CONTRACTS))
def test_generated_json_schema_and_dbt_source_agree_with_the_contract(table):
    contract = CONTRACTS[table]
    sources = yaml.safe_load((PROJECT_DIR / "dbt_project/models/agents/_agents__sources.yml").read_text())
    source_tables = {t["name"]: t for t in sources["sources"][0]["tables"]}
    for v in contract.versions:
        schema = json.loads((PROJECT_DIR / f"contracts/generated/agents/{table}_v{v.version}.schema.json").read_text())
        assert schema == json.loads(json.dumps(json_schema(contract, v)))
        assert set(schema["properties"]) == set(v.column_names)
        assert set(schema["required"]) == {c.name for c in v.columns if not c.nullable}
        for column in v.columns:
            prop = schema["properties"][column.name]
            inner = prop["anyOf"][0] if column.nullable else prop
            assert inner.get("enum") == (list(column.allowed_values) if column.allowed_values else None)
        dbt_columns = {c["name"]: c for c in source_tables[f"{table}_v{v.version}"]["columns"]}
        for column in v.columns:
            assert dbt_columns[column.name]["meta"]["nullable"] == column.nullable
        assert [c for c in dbt_columns if not c.startswith("_mops_")] == v.column_names


def test_json_schema_and_runtime_validation_accept_and_refuse_the_same_rows():
    contract = CONTRACTS["attribution_credit"]
    schema = json_schema(contract, contract.version(2))
    good = credit_frame()
    for row in _rows(good):
        jsonschema.validate(row, schema, format_checker=jsonschema.FormatChecker())
    bad = good.drop(columns=["credit"])
    assert validate_frame(bad, contract.version(2), "attribution_credit")
    with pytest.raises(jsonschema.ValidationError, match="'credit' is a required property"):
        jsonschema.validate(_rows(bad)[0], schema)
    extra = good.assign(note="x")
    assert validate_frame(extra, contract.version(2), "attribution_credit")
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.validate(_rows(extra)[0], schema)
    typed = good.assign(credit=["0.25", "0.75", "1"])
    assert validate_frame(typed, contract.version(2), "attribution_credit")
    with pytest.raises(jsonschema.ValidationError, match="is not of type 'number'"):
        jsonschema.validate(_rows(typed)[0], schema)


def test_timestamps_must_be_real_timestamps():
    frame = credit_frame(converted_at=[datetime(2026, 6, 1).isoformat()] * 3)
    problems = validate_frame(frame, CONTRACTS["attribution_credit"].version(2), "attribution_credit")
    assert any("column converted_at: type: expected timestamp" in p for p in problems)
