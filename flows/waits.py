"""What a waiting run says: what it waits for, for how long, and the command that ends the wait.

Every wait (the run lock, an approval) announces itself once through `announce`: to Prefect's run
logger when inside a flow run, to Python logging otherwise, and to the listeners the CLI registers
(it prints the notice), so a person never faces a silent process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

NOTICE_LISTENERS: list[Callable[[str, str], None]] = []  # (kind: waiting | warning, message)


def announce(message: str, kind: str = "waiting") -> None:
    try:
        from prefect import get_run_logger

        get_run_logger().info(message)  # the Prefect UI shows it; the CLI prints it through its listener
    except Exception:  # outside a flow run there is no run logger
        logging.getLogger("mops").warning(message)
    for listener in NOTICE_LISTENERS:
        listener(kind, message)


def announce_approval_wait(record: dict) -> None:
    pending = [i for i in record["items"] if i["status"] == "pending"]
    subjects = ", ".join(f"{i['subject']} {i['action']} {i['value']:+.1%}" for i in pending)
    announce(
        f"run {record['run_id']} ({record['workflow']}/{record['step']}) waits for approval of "
        f"{len(pending)} decision(s): {subjects}; until {record['expires_at']} UTC (then they expire). "
        f"End the wait with `mops approve {record['run_id']}` or `mops approve {record['run_id']} --reject` "
        "(SIGTERM or Ctrl-C cancels the run)."
    )
