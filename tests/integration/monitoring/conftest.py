"""The workflow fixtures (a Prefect test server, a private copy of the demo warehouse) for the month test."""

from tests.flows.conftest import engine, prefect_server  # noqa: F401 - fixtures, found by name
