"""Signing what mops writes for a person to act on (approval requests and decisions).

An HMAC-SHA256 over the record's canonical JSON, with a secret created on first use (0600) beside
the run artifacts. Whoever can edit the approval file but not run `mops approve` cannot forge a
decision: a changed file no longer matches its signature and is refused when read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path


class Signer:
    def __init__(self, key_path: Path):
        self.key_path = key_path

    def _key(self) -> bytes:
        if not self.key_path.exists():
            self.key_path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.key_path.parent, 0o700)
            partial = self.key_path.with_name(f".{self.key_path.name}.{os.getpid()}")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            try:
                os.link(partial, self.key_path)  # whole or not at all; if another process won, use its key
            except FileExistsError:
                pass
            finally:
                partial.unlink()
        return self.key_path.read_text().strip().encode()

    def sign(self, record: dict) -> str:
        payload = json.dumps(record, sort_keys=True, default=str, separators=(",", ":")).encode()
        return hmac.new(self._key(), payload, hashlib.sha256).hexdigest()

    def verify(self, record: dict, signature: object) -> bool:
        return isinstance(signature, str) and hmac.compare_digest(self.sign(record), signature)
