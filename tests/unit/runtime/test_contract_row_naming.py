"""Output-gate messages name the offending rows by key (issue 16: a null named no channel)."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from mops.core.contracts import Check, Column, ContractVersion, load_contracts, validate_frame
from mops.core.settings import PROJECT_DIR

CONTRACTS = load_contracts(PROJECT_DIR / "contracts" / "agents")
SAMPLE = {"varchar": "x", "bigint": 1, "double": 1.0, "boolean": True, "date": date(2026, 1, 1)}


def _frame(version: ContractVersion, rows: int) -> pd.DataFrame:
    """`rows` rows with distinct key values k0, k1, ... (or 0, 1, ...) and a plain value elsewhere."""
    data = {}
    for column in version.columns:
        if column.name in version.key:
            data[column.name] = [_key_value(column.type, i) for i in range(rows)]
        elif column.allowed_values:
            data[column.name] = [column.allowed_values[0]] * rows
        elif column.type == "timestamp":
            data[column.name] = pd.to_datetime([datetime(2026, 1, 1)] * rows)
        else:
            data[column.name] = [SAMPLE[column.type]] * rows
    return pd.DataFrame(data)


def _key_value(kind: str, i: int):
    return {"varchar": f"k{i}", "bigint": i, "double": float(i), "date": date(2026, 1, 1 + i)}.get(kind, f"k{i}")


CASES = [
    (table, number)
    for table, contract in sorted(CONTRACTS.items())
    for number in [v.version for v in contract.versions]
    if contract.version(number).key
    and any(not c.nullable and c.name not in contract.version(number).key for c in contract.version(number).columns)
]


@pytest.mark.parametrize(("table", "number"), CASES)
def test_a_null_in_any_agent_output_names_the_row_by_its_key(table, number):
    version = CONTRACTS[table].version(number)
    frame = _frame(version, 3)
    column = next(c for c in version.columns if not c.nullable and c.name not in version.key)
    frame[column.name] = frame[column.name].astype(object)
    frame.loc[2, column.name] = None
    problems = [p for p in validate_frame(frame, version, table) if "not_null" in p]
    expected = ", ".join(f"{k}={frame.loc[2, k]}" for k in version.key)
    assert problems and f"in rows [{expected}]" in problems[0], problems


def test_budget_curve_null_names_the_channel():
    version = CONTRACTS["budget_response_curves"].version(1)
    frame = _frame(version, 2).assign(channel_id=["google_ads", "meta_ads"])
    frame["marginal_outcome_per_spend_low"] = [0.5, np.nan]
    assert (
        "budget_response_curves v1: column marginal_outcome_per_spend_low: not_null: 1 null value(s) "
        "in rows [channel_id=meta_ads]"
    ) in validate_frame(frame, version, "budget_response_curves")


def test_range_duplicates_and_sums_name_their_rows_and_groups():
    version = ContractVersion(
        version=1,
        grain="one row per id",
        key=("id",),
        columns=(
            Column(name="id", type="varchar"),
            Column(name="group", type="varchar"),
            Column(name="share", type="double"),
        ),
        checks=(
            Check(name="share_is_a_share", kind="range", column="share", min=0, max=1),
            Check(name="shares_sum_to_one", kind="sum_per_group", column="share", by=("group",), equals=1.0),
        ),
    )
    frame = pd.DataFrame({"id": ["a", "b", "b", "c"], "group": ["g1", "g1", "g2", "g3"], "share": [0.5, 0.5, 2.0, 1.0]})
    problems = validate_frame(frame, version, "t")
    assert "t v1: key ['id']: unique: 1 duplicate row(s) (grain: one row per id) in rows [id=b; id=b]" in problems
    assert "t v1: column share: share_is_a_share: 1 value(s) outside [0.0, 1.0] in rows [id=b]" in problems
    assert any("shares_sum_to_one" in p and "group=g2: 2 vs 1" in p for p in problems), problems
    assert not any("group=g1" in p or "group=g3" in p for p in problems)


def test_many_offending_rows_are_counted_and_an_unkeyed_frame_names_positions():
    version = ContractVersion(version=1, grain="any", key=(), columns=(Column(name="n", type="double"),))
    frame = pd.DataFrame({"n": [1.0] + [np.nan] * 7})
    (problem,) = validate_frame(frame, version, "t")
    assert problem == "t v1: column n: not_null: 7 null value(s) in rows [row 1; row 2; row 3; row 4; row 5 and 2 more]"


def test_a_mixed_type_column_names_the_wrong_values_rows():
    version = ContractVersion(
        version=1, grain="x", key=("id",), columns=(Column(name="id", type="varchar"), Column(name="v", type="varchar"))
    )
    frame = pd.DataFrame({"id": ["a", "b"], "v": ["ok", 3]})
    (problem,) = validate_frame(frame, version, "t")
    assert problem.startswith("t v1: column v: type: expected varchar") and problem.endswith("in rows [id=b]")
