"""email_hash in dbt is the keyed pseudonym (HMAC-SHA256) on DuckDB and PostgreSQL, equal to Python's hmac.

dbt computes it from the HMAC pads the transform hands its child process; Python's `hmac` is the independent
implementation. The key never appears in the compiled SQL dbt writes.
"""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from mops.core.governance.pseudonym import DEMO_PII_KEY, hmac_pads, pseudonymize
from mops.core.transform import run_dbt
from tests.conftest import make_settings
from tests.integration.test_postgres_pipeline import throwaway_database

ADDRESSES = ["Jane.Doe@Example.com", "  bob+ads@example.co.uk ", "zoë@example.de"]
KEY_A = "key-a-" + "1" * 32
KEY_B = "key-b-" + "2" * 32


def dbt_pseudonyms(settings) -> list[str]:
    """Run the project's `pseudonymize` macro through real dbt (`dbt show --inline`) on the target warehouse."""
    values = " union all ".join(f"select {i} as i, '{a}' as address" for i, a in enumerate(ADDRESSES))
    sql = f"select i, {{{{ pseudonymize('address') }}}} as pseudonym from ({values}) as addresses order by i"
    result = run_dbt(settings, ["show", "--inline", sql, "--output", "json", "--limit", "10"])
    log = result.log_path.read_text()
    assert result.ok, log[-3000:]
    found = re.search(r'\{\s*"show":\s*\[.*?\]\s*\}', log, re.S)
    assert found, log[-3000:]
    return [row["pseudonym"] for row in json.loads(found.group(0))["show"]]


def compiled_texts(settings) -> str:
    target = settings.dbt_target_path
    files = [p for p in target.rglob("*") if p.is_file() and p.suffix in {".sql", ".json"}]
    return "".join(p.read_text(errors="ignore") for p in files)


def test_duckdb_pseudonyms_are_the_hmac_of_the_key(tmp_path):
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
    under_a = dbt_pseudonyms(make_settings(tmp_path, pii_key=KEY_A))
    assert under_a == [pseudonymize(a, KEY_A) for a in ADDRESSES]
    under_b = dbt_pseudonyms(make_settings(tmp_path, pii_key=KEY_B))
    assert under_b == [pseudonymize(a, KEY_B) for a in ADDRESSES]
    assert set(under_a).isdisjoint(under_b)
    written = compiled_texts(make_settings(tmp_path))
    assert KEY_B not in written and not any(pad in written for pad in hmac_pads(KEY_B))
    default = dbt_pseudonyms(make_settings(tmp_path))
    assert default == [pseudonymize(a, DEMO_PII_KEY) for a in ADDRESSES]


def test_postgres_pseudonyms_are_the_same_hmac(tmp_path):
    with throwaway_database() as url:
        settings = make_settings(tmp_path, warehouse_url=url, pii_key=KEY_A)
        assert dbt_pseudonyms(settings) == [pseudonymize(a, KEY_A) for a in ADDRESSES]


def test_a_build_without_the_pads_fails_instead_of_hashing_without_a_key(tmp_path, monkeypatch):
    """dbt run by hand (not through mops) has no pads: the macro raises, it never hashes with an empty key."""
    import mops.core.transform as transform

    monkeypatch.setattr(transform, "pii_pad_env", lambda settings, pgoptions="": {})
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
    with pytest.raises(AssertionError, match="PII key pads are not set"):
        dbt_pseudonyms(make_settings(tmp_path))


def test_dim_customers_email_hash_is_keyed(built_warehouse):
    from mops.core.warehouse.connections import connect_duckdb

    settings = built_warehouse.settings
    with connect_duckdb(settings.warehouse_path, read_only=True) as con:
        rows = con.execute("select email, email_hash from marts.dim_customers_v1").fetchall()
    assert rows
    assert all(h == pseudonymize(e, DEMO_PII_KEY) for e, h in rows)
