"""Keyed pseudonyms for PII join keys: HMAC-SHA256 with a secret from settings (MOPS_PII_KEY).

An unkeyed hash (md5 or sha256 of the address) is reversible by anyone holding a list of addresses;
an HMAC is not without the key. dbt computes it in SQL (macro `pseudonymize`) from the two HMAC pads
(key XOR ipad, key XOR opad), which reach the dbt child process as environment variables only: the key
is never in a model's SQL text, so compiled SQL, run_results.json and the dbt docs do not carry it.
The same function here is the independent implementation the tests compare dbt's values with.
"""

from __future__ import annotations

import hashlib
import hmac

from mops.core.errors import MopsError

# The documented demo key: pseudonyms under it are as reversible as md5 (the key is public).
DEMO_PII_KEY = "mops-demo-pii-key-not-secret"
BLOCK = 64  # SHA-256 block size in bytes
IPAD_ENV, OPAD_ENV = "MOPS_PII_HMAC_IPAD", "MOPS_PII_HMAC_OPAD"


class DefaultPiiKey(MopsError):
    """Production mode refuses to pseudonymize with the public demo key."""


def normalized(email: str) -> str:
    """What is pseudonymized: the trimmed, lower-cased address (as the dbt macro does)."""
    return email.strip().lower()


def pseudonymize(value: str, key: str) -> str:
    """HMAC-SHA256 of the normalized value under `key`, as 64 hex characters."""
    return hmac.new(key.encode(), normalized(value).encode(), hashlib.sha256).hexdigest()


def hmac_pads(key: str) -> tuple[str, str]:
    """(key XOR ipad, key XOR opad) as hex: HMAC(k, m) = sha256(opad_key || sha256(ipad_key || m)) (RFC 2104)."""
    raw = key.encode()
    if len(raw) > BLOCK:
        raw = hashlib.sha256(raw).digest()
    raw = raw.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in raw).hex(), bytes(b ^ 0x5C for b in raw).hex()


def pii_key(secret: str | None, production: bool) -> str:
    """The key to use; production mode refuses the demo default (and an empty key) with what to set."""
    key = secret or DEMO_PII_KEY
    if production and key == DEMO_PII_KEY:
        raise DefaultPiiKey(
            "production mode: MOPS_PII_KEY is not set (or is the public demo key), so email_hash would be "
            "reversible by anyone with a list of addresses; set MOPS_PII_KEY to a secret of at least 32 characters"
        )
    if production and len(key) < 32:
        raise DefaultPiiKey("production mode: MOPS_PII_KEY must be at least 32 characters")
    return key


def pad_env(secret: str | None, production: bool) -> dict[str, str]:
    """The environment the dbt child process computes pseudonyms from (DuckDB getenv / PostgreSQL GUCs)."""
    ipad, opad = hmac_pads(pii_key(secret, production))
    return {IPAD_ENV: ipad, OPAD_ENV: opad}
