"""The flow a Prefect worker runs (`mops deploy` points every deployment here).

A worker starts each flow run in a fresh process that imports this file by path; composing the
catalog first gives that process the same agents `mops run` has, without the engine importing the
application.
"""

from mops.app.catalog import compose

compose()

from flows.workflow import run_workflow  # noqa: E402 - only after the catalog is wired in

__all__ = ["run_workflow"]
