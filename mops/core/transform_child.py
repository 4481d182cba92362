"""A dbt process started before it is needed: it imports dbt, then waits for its arguments on stdin.

Importing dbt costs a new process a few seconds of CPU before it reads a file. `mops run` starts this
child at once (mops.core.transform.prewarm), so that import runs on another core while the parent
imports Prefect and the agent catalog; the build step then hands it its arguments and it runs exactly
what the `dbt` command runs (`dbt.cli.main.cli` with that argv). An empty stdin (unused) exits 0.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    from dbt.cli.main import cli

    line = sys.stdin.readline()
    if not line.strip():
        raise SystemExit(0)
    sys.argv = ["dbt", *json.loads(line)]
    raise SystemExit(cli(prog_name="dbt"))  # usage lines name `dbt`, as the command does


if __name__ == "__main__":
    main()
