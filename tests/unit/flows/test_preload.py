"""While a dbt step runs, the run loads the modules its agents import on first use; a bad name breaks nothing."""

from __future__ import annotations

import dataclasses
import sys
import threading

from flows.engine import _preload
from tests.toy_agents import reporting


def _join_preload() -> None:
    for thread in threading.enumerate():
        if thread.name == "mops-preload":
            thread.join(30)


def test_the_agents_preload_modules_are_imported_and_a_missing_one_is_ignored():
    wanted = "xml.dom.minidom"  # a standard module the test process has no other reason to load
    sys.modules.pop(wanted, None)
    agent = dataclasses.replace(reporting(None), preload=(wanted, "no_such_module_for_mops_tests"))
    _preload({agent.name: agent})
    _join_preload()
    assert wanted in sys.modules


def test_agents_without_preload_start_no_thread():
    before = threading.active_count()
    _preload({"reporting": reporting(None)})
    assert threading.active_count() == before


def test_the_catalog_loads_without_the_libraries_the_agents_preload():
    """The catalog is needed before a run's first step; scipy and statsmodels only once an agent computes."""
    import subprocess

    code = (
        "import sys\n"
        "from mops.app.catalog import build_catalog, compose\n"
        "from mops.core.settings import get_settings\n"
        "compose()\n"
        "catalog = build_catalog(get_settings())\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'statsmodels', 'sklearn'})\n"
        "preload = sorted({m for a in catalog.agents.values() for m in a.preload})\n"
        "print(','.join(heavy)); print(','.join(preload))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    heavy, preload = done.stdout.splitlines()[-2:]
    assert heavy == ""  # nothing heavy at catalog load
    assert {"scipy.sparse", "scipy.optimize", "scipy.stats", "statsmodels.api"} <= set(preload.split(","))
