"""Keyed pseudonyms: stable under one key, different under another, never the unkeyed hash of the address."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from mops.core.governance.pseudonym import DEMO_PII_KEY, DefaultPiiKey, hmac_pads, pad_env, pii_key, pseudonymize

KEY_A = "a" * 40
KEY_B = "team-secret-" + "b" * 30


def test_same_address_same_pseudonym_under_one_key_different_under_another():
    assert pseudonymize("Jane.Doe@Example.com ", KEY_A) == pseudonymize("jane.doe@example.com", KEY_A)
    assert pseudonymize("jane.doe@example.com", KEY_A) != pseudonymize("jane.doe@example.com", KEY_B)
    assert pseudonymize("jane.doe@example.com", KEY_A) != pseudonymize("john.doe@example.com", KEY_A)


def test_not_the_unkeyed_hashes_a_list_of_addresses_would_reverse():
    value = "jane.doe@example.com"
    unkeyed = {hashlib.md5(value.encode()).hexdigest(), hashlib.sha256(value.encode()).hexdigest()}
    assert pseudonymize(value, KEY_A) not in unkeyed
    assert pseudonymize(value, DEMO_PII_KEY) not in unkeyed


@pytest.mark.parametrize("key", ["k", KEY_A, "x" * 64, "long " * 40, "clé-ünïcode"])
def test_pads_rebuild_the_standard_hmac(key):
    """The SQL side hashes sha256(opad || sha256(ipad || m)); that must be RFC 2104 HMAC (Python's hmac)."""
    ipad, opad = hmac_pads(key)
    message = b"jane.doe@example.com"
    inner = hashlib.sha256(bytes.fromhex(ipad) + message).digest()
    expected = hmac.new(key.encode(), message, "sha256").hexdigest()
    assert hashlib.sha256(bytes.fromhex(opad) + inner).hexdigest() == expected


def test_production_refuses_the_demo_key_and_short_keys():
    assert pii_key(None, production=False) == DEMO_PII_KEY
    with pytest.raises(DefaultPiiKey, match="MOPS_PII_KEY"):
        pii_key(None, production=True)
    with pytest.raises(DefaultPiiKey, match="MOPS_PII_KEY"):
        pii_key(DEMO_PII_KEY, production=True)
    with pytest.raises(DefaultPiiKey, match="32 characters"):
        pii_key("short", production=True)
    assert pii_key(KEY_A, production=True) == KEY_A
    ipad, opad = hmac_pads(KEY_A)
    assert pad_env(KEY_A, production=True) == {"MOPS_PII_HMAC_IPAD": ipad, "MOPS_PII_HMAC_OPAD": opad}


def test_dbt_gets_the_pads_never_the_key_and_production_refuses_the_demo_key(tmp_path):
    from mops.core.transform import dbt_env
    from tests.conftest import make_settings

    env = dbt_env(make_settings(tmp_path, pii_key=KEY_A))
    ipad, opad = hmac_pads(KEY_A)
    assert (env["MOPS_PII_HMAC_IPAD"], env["MOPS_PII_HMAC_OPAD"]) == (ipad, opad)
    assert f"-c mops.pii_hmac_ipad={ipad} -c mops.pii_hmac_opad={opad}" in env["PGOPTIONS"]
    assert KEY_A not in "".join(env.values())
    with pytest.raises(DefaultPiiKey, match="production mode"):
        dbt_env(make_settings(tmp_path, production=True))
