"""`mops gates accept`: the CLI records an accepted volume level through the core (ops.volume_acceptances)."""

from __future__ import annotations

from datetime import datetime

from typer.testing import CliRunner

from mops.core.ops import OpsLog
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import make_settings


def test_accept_writes_an_audited_row_and_names_the_level(tmp_path, monkeypatch):
    settings = make_settings(tmp_path)
    with DuckDBWarehouse(settings) as warehouse:
        OpsLog(warehouse).append(
            "agent_reads",
            [
                {
                    "run_id": "r1",
                    "agent": "budget_optimizer",
                    "input": "fct_conversion_paths v1 (marts.fct_conversion_paths_v1)",
                    "rows": 10884,
                    "read_at": datetime(2026, 6, 30, 6),
                    "mode": "live",
                    "window_days": 28,
                    "is_optional": False,
                    "status": "gate_failed",
                }
            ],
        )
    monkeypatch.setenv("MOPS_WAREHOUSE", str(settings.warehouse_path))
    from mops.app.cli import app

    result = CliRunner().invoke(
        app, ["gates", "accept", "budget_optimizer", "fct_conversion_paths", "--reason", "server-side tracking"]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert "at 10,884 rows (live runs, 28-day windows)" in output and "server-side tracking" in output
    with DuckDBWarehouse(settings) as warehouse:
        audit = OpsLog(warehouse).query("volume_acceptances")
    assert audit[["agent", "rows", "reason"]].values.tolist() == [["budget_optimizer", 10884, "server-side tracking"]]
    refused = CliRunner().invoke(app, ["gates", "accept", "budget_optimizer", "fct_nope", "--reason", "x"])
    assert refused.exit_code == 1
    assert "has never read an input named 'fct_nope'" in " ".join(refused.output.split())
