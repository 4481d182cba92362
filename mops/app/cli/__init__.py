"""The `mops` command line: one entry point, thin commands grouped by subject.

data (ingest, build, files, generate, docs, demo), check (what the landing folder can feed), contracts,
agents (inventory, agent run), workflows (validate, run, serve), approvals, gates, monitor, audit, warehouse
grants and the Prefect server; the Typer app and `main` live in `program`, rendering in `render`. Commands
parse arguments, call the core and the engine, and print; they hold no business logic. No traceback
reaches a user: `main` turns every exception into one line (and the traceback into a log file it names).

This package's own import is light: the `mops` command (`entry`) first offers the command to the warm
process (`mops.app.warm.client`) and only imports the program when it starts cold.
"""

from __future__ import annotations


def __getattr__(name: str):  # PEP 562: `from mops.app.cli import app, main` loads the program on demand
    if name in ("app", "main"):
        from mops.app.cli import program

        return getattr(program, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def entry() -> None:  # pragma: no cover - the `mops` command
    """The `mops` command: the warm process runs it when it can, else `main` here; then the process ends
    without the interpreter's teardown (process_exit)."""
    import os

    from mops.app.warm.client import run

    code, why_cold = run()
    if code is not None:
        os._exit(code)
    from mops.app.cli.process_exit import exit_now
    from mops.app.cli.program import main

    if why_cold:  # one debug line; MOPS_WARM_START=debug shows it on stderr
        import logging

        log = logging.getLogger("mops.warm")
        if os.environ.get("MOPS_WARM_START", "").strip().lower() == "debug":
            log.addHandler(logging.StreamHandler())
            log.setLevel(logging.DEBUG)
        log.debug("mops: warm start not used: %s", why_cold)
    try:
        main()
    except SystemExit as exc:
        exit_now(exc.code)
    exit_now(0)
