"""Incremental builds equal a full refresh on PostgreSQL: the days of tests/integration/test_incremental_builds.py
landed one at a time into a throwaway database (its own file so a second test worker can take it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mops.core.settings import Settings
from tests.conftest import make_settings
from tests.integration.test_incremental_builds import (
    REPORTING_CURRENCY,
    _assert_same,
    _assert_scenario_present,
    _build_day_by_day,
    daily_steps,
)
from tests.integration.test_postgres_pipeline import throwaway_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def steps(tmp_path_factory) -> Path:
    return daily_steps(tmp_path_factory.mktemp("daily"))


@pytest.fixture
def postgres_settings(tmp_path) -> Iterator[Settings]:
    with throwaway_database() as url:
        yield make_settings(tmp_path, warehouse_url=url, reporting_currency=REPORTING_CURRENCY)


def test_incremental_days_equal_a_full_refresh_on_postgres(steps, postgres_settings):
    incremental, full = _build_day_by_day(postgres_settings, steps)
    _assert_scenario_present(full)
    _assert_same(incremental, full)
