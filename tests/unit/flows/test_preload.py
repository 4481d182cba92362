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
