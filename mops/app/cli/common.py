"""What every command shares: the console, the error exit, the progress bar, the catalog and registry."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mops.core.settings import Settings

console = Console()


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
