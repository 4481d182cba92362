"""dbt-duckdb plugin (profiles.yml `plugins`): the PII key pads as session variables of every dbt cursor.

The pads arrive in the dbt child process's environment (mops.core.transform.pii_pad_env), so the key is never
in SQL text; DuckDB variables belong to one connection, so each cursor dbt opens gets them.
"""

from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin

from mops.core.governance.pseudonym import IPAD_ENV, OPAD_ENV

VARIABLES = {IPAD_ENV: "mops_pii_hmac_ipad", OPAD_ENV: "mops_pii_hmac_opad"}


class Plugin(BasePlugin):
    def configure_cursor(self, cursor):
        for env, variable in VARIABLES.items():
            value = os.environ.get(env)
            if value:
                cursor.execute(f"set variable {variable} = ?", [value])
        return cursor
