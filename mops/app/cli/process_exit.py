"""Ending the `mops` process once its work is done, without tearing the interpreter down.

A normal exit runs the exit handlers (Prefect's log and event workers drain there, the unused dbt
child is stopped, logging flushes its files) and then finalizes the interpreter: it frees every
module and object one by one. With Prefect, pandas, scipy and the agents loaded that teardown costs
~0.7 s of CPU (seconds of wall time on a loaded machine) and the caller waits for it although it
writes nothing. `exit_now` runs the same exit handlers, flushes stdout and stderr, and ends the
process with the same exit code; it falls back to the normal exit while a non-daemon thread still
runs (the interpreter would wait for it, so this does too).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def exit_status(code: object) -> int:
    """The process exit status Python gives `SystemExit(code)`: None is 0, an int is itself, else 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def _others_running() -> bool:
    main = threading.main_thread()
    return any(t is not main and t.is_alive() and not t.daemon for t in threading.enumerate())


def exit_now(code: object = 0) -> NoReturn:
    """Exit with `code` as `sys.exit(code)` would, minus the interpreter's teardown."""
    if _others_running():
        sys.exit(code)
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what Python prints for SystemExit("message")
    atexit._run_exitfuncs()  # the handlers a normal exit runs, in the same order
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # closed or replaced: nothing to flush
            stream.flush()
    os._exit(exit_status(code))
