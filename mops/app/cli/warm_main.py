"""The warm process's program (`python -m mops.app.cli.warm_main <state folder>`): the CLI and Prefect
imported once, each command run in a forked child (the loop is `mops.app.warm.service`).

What this process imports is the CLI (every command module) and Prefect's engine; nothing more: no
connection, no thread, no Prefect client, no settings object kept. A child then re-reads what those
imports captured from the warm process's own environment: its standard streams are rebuilt on the
caller's descriptors (line-buffered on a terminal, as Python does at start-up), the CLI's Rich console is
constructed again (width, colour, TTY detection from the caller's environment and terminal), Typer's
environment-derived constants are recomputed, and Prefect's settings context and logging configuration
are rebuilt from the caller's environment once `main` has set its defaults (PREFECT_API_URL of the
persistent server among them). Settings objects are built per command (`get_settings()`), so nothing
else holds the warm process's environment.
"""

from __future__ import annotations

import gc
import io
import os
import sys
import types
from pathlib import Path

from mops.app.warm import wire
from mops.app.warm.service import Service, assert_single_threaded

_KEPT: list[object] = []  # the warm process's own stream objects: never collected (that would close 0/1/2)


def _stream(fd: int, old, write: bool, line_buffered: bool):
    encoding, errors = old.encoding, old.errors
    if os.environ.get("PYTHONIOENCODING"):
        name, _, handler = os.environ["PYTHONIOENCODING"].partition(":")
        encoding, errors = name or encoding, handler or errors
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    raw = io.FileIO(fd, "w" if write else "r", closefd=False)
    buffered = (io.BufferedWriter if write else io.BufferedReader)(raw)
    return io.TextIOWrapper(
        buffered,
        encoding=encoding,
        errors=errors,
        line_buffering=write and (line_buffered or unbuffered),
        write_through=write and unbuffered,
    )


def _rebuild_streams() -> None:
    _KEPT.extend([sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__])
    sys.stdin = sys.__stdin__ = _stream(0, sys.__stdin__, False, False)
    sys.stdout = sys.__stdout__ = _stream(1, sys.__stdout__, True, os.isatty(1))
    sys.stderr = sys.__stderr__ = _stream(2, sys.__stderr__, True, True)  # stderr: always line-buffered


def _refresh_console() -> None:
    import rich
    from rich.console import Console

    from mops.app.cli import common

    common.console.__dict__.update(Console().__dict__)  # the same object every command module holds
    rich._console = None
    if "typer.rich_utils" in sys.modules:
        rich_utils = sys.modules["typer.rich_utils"]
        width = os.environ.get("TERMINAL_WIDTH")
        rich_utils.MAX_WIDTH = int(width) if width else None
        force = True if any(os.environ.get(k) for k in ("GITHUB_ACTIONS", "FORCE_COLOR", "PY_COLORS")) else None
        rich_utils.FORCE_TERMINAL = False if os.environ.get("_TYPER_FORCE_DISABLE_TERMINAL") else force


def _as_main_script(path: str, package: str | None) -> None:
    """`__main__` as the caller's is (the `mops` script, or `python -m mops.app.cli`): Click names the program
    after it."""
    script = types.ModuleType("__main__")
    script.__file__, script.__package__ = path, package
    _KEPT.append(sys.modules["__main__"])
    sys.modules["__main__"] = script


def _adopt_python_path() -> None:
    """sys.path as a cold start of the caller's script has it: its folder first, then its PYTHONPATH."""
    script = os.path.realpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if os.path.isfile(script):
        sys.path[0] = os.path.dirname(script)
    for entry in reversed([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]):
        if os.path.abspath(entry) not in sys.path:
            sys.path.insert(1, os.path.abspath(entry))


def refresh_prefect() -> None:
    """Prefect's settings and logging from this (the caller's) environment, as `import prefect` reads them."""
    import prefect.context
    import prefect.logging.configuration

    prefect.context.refresh_global_settings_context()
    prefect.logging.configuration.setup_logging(incremental=False)


def run_child(request: dict) -> int:
    """In the forked child, descriptors, environment and cwd already the caller's: the `mops` command."""
    from mops.app.cli.process_exit import exit_now
    from mops.app.cli.program import main

    _rebuild_streams()
    _refresh_console()
    _as_main_script(sys.argv[0], (request.get("process") or {}).get("main_package"))
    _adopt_python_path()
    try:
        main(started_at=float(request["started_at"]), refresh=refresh_prefect)
    except SystemExit as exc:
        exit_now(exc.code)
    exit_now(0)


def warm_up() -> None:
    """What every command would import first: the CLI and Prefect's engine (no client, no connection).

    Besides: what Prefect's client imports when it creates a flow run (FastAPI's encoder) and the
    policy's engine every governed command loads (casbin, DuckDB's module). Not pandas: numpy starts
    OpenBLAS threads at import, and this process must not have any when it forks."""
    import fastapi.encoders  # noqa: F401
    import prefect  # noqa: F401
    import prefect.flow_engine  # noqa: F401
    import prefect.main  # noqa: F401
    import prefect.task_engine  # noqa: F401

    import mops.app.cli.program  # noqa: F401
    import mops.core.governance.policy  # noqa: F401
    import mops.core.warehouse.connections  # noqa: F401


def serve(folder: Path) -> None:
    stamp = wire.source_stamp()  # before the imports: a change made while they run is seen as a change
    warm_up()
    assert_single_threaded()
    # the imported objects leave the collector's reach: a child's collections neither scan them (~0.1 s of
    # CPU per full collection) nor copy their pages on write (~10,000 page faults)
    gc.collect()
    gc.freeze()
    Service(folder, run_child, stamp).serve()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
