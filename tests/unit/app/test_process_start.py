"""The overhead KPI's clock starts at the process start: what a caller of `mops run` waits for from the shell."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import time
time.sleep(1.0)  # as slow imports would be
from mops.app.cli.common import process_started_at
print(time.time() - process_started_at())
"""


def test_the_process_start_includes_what_happened_before_main():
    age = float(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout)
    assert 1.0 <= age < 30.0  # the second before the import counts; not the machine's uptime
