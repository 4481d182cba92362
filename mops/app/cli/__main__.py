"""`python -m mops.app.cli`: the `mops` command."""

from mops.app.cli import entry

entry()
