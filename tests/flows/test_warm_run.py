"""`mops run` through the warm starter writes the ops records a cold `mops run` writes (real processes).

Two copies of the same warehouse, two state folders: one `mops run` with a cold start, one through a warm
process started on the second folder (as `mops server start` starts it), both on the session's Prefect
server. The records must agree in everything but ids, times and the process id; the warm run's wall time
counts from the caller's start, not from the warm process's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mops.app.warm import control
from mops.core.ops import OpsLog
from mops.core.settings import PROJECT_DIR
from mops.core.warehouse.adapter import open_warehouse
from tests.conftest import DEMO_END_DATE, make_settings
from tests.flows.conftest import write_spec

pytestmark = pytest.mark.slow

MOPS = str(Path(sys.executable).parent / "mops")
SPEC = "steps:\n  - {id: attribution, agent: t_attribution}\n  - {id: reporting, agent: t_reporting}\n"
RUN = ["run", "pipe", "--date", DEMO_END_DATE, "--as-of", "2026-07-01T06:00:00"]
# what must agree per table (ids, times, durations and the pid differ by nature)
COMPARED = {
    "workflow_runs": ["workflow", "mode", "run_date", "status", "message"],
    "workflow_steps": ["workflow", "step", "kind", "status", "attempts", "message"],
    "agent_runs": ["agent", "status", "rows_written", "message"],
    "agent_reads": ["agent", "input", "rows", "mode", "window_days", "status"],
    "decisions": ["agent", "kind", "subject", "action", "value", "confidence"],
    "audit_log": ["actor", "action", "object"],
    "events": ["name", "source_workflow", "target_workflow", "status"],
}


def _records(settings) -> dict[str, list[tuple]]:
    found = {}
    with open_warehouse(settings, read_only=True) as warehouse:
        for table, columns in COMPARED.items():
            frame = OpsLog(warehouse).query(table)[columns]  # a table nothing was written to: no rows
            found[table] = sorted(tuple(str(v) for v in row) for row in frame.itertuples(index=False))
        row = warehouse.query("select wall_s, started_at, finished_at, pid from ops.workflow_runs").iloc[0]
    return found, row


def test_mops_run_through_the_warm_process_writes_the_records_of_a_cold_run(engine, tmp_path):
    from prefect.settings import PREFECT_API_URL

    settings, specs = engine
    write_spec(specs, "pipe", SPEC)
    sides = {}
    for name in ("cold", "warm"):
        side = make_settings(tmp_path / name)
        side.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings.warehouse_path, side.warehouse_path)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            PYTHONPATH=str(PROJECT_DIR),
            PREFECT_API_URL=PREFECT_API_URL.value(),
            MOPS_WAREHOUSE=str(side.warehouse_path),
            MOPS_VAR_DIR=str(side.var_path),
            MOPS_WARM_START="debug" if name == "warm" else "false",
            COLUMNS="200",
        )
        sides[name] = (side, env)
    folder = control.folder_of(sides["warm"][0].var_path)
    assert control.start(folder, PROJECT_DIR) is not None, control.log_path(folder).read_text()
    try:
        shown = {}
        for name, (_, env) in sides.items():
            process = subprocess.Popen([MOPS, *RUN], env=env, cwd=PROJECT_DIR, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)  # fmt: skip
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, f"{name}: {out}\n{err}"
            shown[name] = (process.pid, out, err)
        log = control.log_path(folder).read_text()
    finally:
        control.stop(folder)
    served = re.search(rf"child (\d+) runs the command of pid {shown['warm'][0]}\b", log)
    assert served, log
    assert "warm start not used" not in shown["warm"][2]

    cold, _ = _records(sides["cold"][0])
    warm, row = _records(sides["warm"][0])
    assert warm == cold
    assert warm["workflow_runs"] and warm["agent_runs"] and warm["audit_log"]
    assert int(row.pid) == int(served.group(1))  # the process that ran it: a crash check finds it gone
    startup = float(row.wall_s) - (row.finished_at - row.started_at).total_seconds()
    assert 0 < startup < 30  # counted from the caller's process start, not the warm process's (minutes ago)

    # the summary the user reads is the same but for ids and times
    def scrub(name: str) -> str:
        text = shown[name][1].replace(str(tmp_path / name), "<side>")
        return re.sub(r"\d+(\.\d+)?(\s?(s|ms)\b|%)|[0-9a-f]{8,}|\d{4}-\d\d-\d\dT[\d:.]+", "#", text)

    assert scrub("warm") == scrub("cold")
