"""Every ops table and column is described (the dbt docs of the ops source say what each means)."""

from __future__ import annotations

from mops.core.ops.descriptions import DESCRIPTIONS, column_description
from mops.core.ops.tables import TABLES


def test_every_table_and_column_of_tables_is_described():
    assert set(DESCRIPTIONS) == set(TABLES)
    missing = [f"{t}.{c}" for t, columns in TABLES.items() for c in columns if not column_description(t, c)]
    assert missing == []


def test_no_description_names_a_column_the_table_does_not_have():
    stray = [f"{t}.{c}" for t, (_, own) in DESCRIPTIONS.items() for c in own if c not in TABLES[t]]
    assert stray == []
