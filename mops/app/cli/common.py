"""What every command shares: the console, the error exit, the progress bar, the catalog and registry."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mops.core.settings import Settings

console = Console()

# When the caller began waiting (set by main(), epoch seconds): the start of a run's measured wall time.
CALLER_STARTED_AT: float | None = None


def process_started_at() -> float:
    """When this process started (epoch seconds), interpreter start-up and imports included (Linux /proc)."""
    import os
    import time

    try:
        with open("/proc/self/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat(5): ticks after boot
        return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return time.time()


# The persistent Prefect server this process uses (None: each flow run starts a temporary one).
PREFECT_SERVER_URL: str | None = None


def use_prefect_server() -> None:
    """Use the project's persistent Prefect server when it is up (`mops server start`)."""
    global PREFECT_SERVER_URL
    from mops.app.server import use_running_server
    from mops.core.settings import get_settings

    try:
        PREFECT_SERVER_URL = use_running_server(get_settings())
    except ValueError:  # invalid settings: the command itself reports them
        PREFECT_SERVER_URL = None


def say_which_prefect_server() -> None:
    """Commands that run flows say when they fall back to a temporary Prefect server."""
    if PREFECT_SERVER_URL is None:
        console.print(
            "[dim]no Prefect server running (`mops server start` keeps one up): "
            "this run starts a temporary one, ~10-15 s[/]"
        )


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error (user data escaped, never read as markup) and return the exit to raise."""
    console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def registry(settings: Settings):
    from mops.core.landing import load_registry

    return load_registry(settings.contracts_dir / "landing")


def catalog(settings: Settings):
    from mops.app.catalog import build_catalog

    return build_catalog(settings)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[detail]}"),
        console=console,
        transient=True,
    )
