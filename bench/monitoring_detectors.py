"""Detection and false-alarm rates of the monitoring detectors on synthetic series with injected faults.

Series: 120 days, multiplicative noise 8%, optionally a weekly pattern (weekend at 0.5-0.6x); faults
after day 35: spikes x2-5, drops x0.2-0.5, level shifts x2 and x0.4. Writes
bench/results/monitoring_detectors.json and prints a table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mops.core.monitoring.anomalies import KPI, RUNTIME
from mops.core.monitoring.detectors import DetectorConfig
from mops.core.monitoring.evaluation import measure, synthetic, table

FLAT = DetectorConfig(training_window=28, min_history=14, sensitivity=KPI.sensitivity)
RESULTS = Path(__file__).parent / "results" / "monitoring_detectors.json"


def runtime_row(n: int) -> dict:
    """The runtime detector (slowdowns only) on run durations of ~1000 s with injected slow runs."""
    rng = np.random.default_rng(7)
    rates = measure([synthetic(rng, spikes=4) for _ in range(n)], RUNTIME)
    return {
        "scenario": "runtime slow runs",
        "seasonality": "none",
        "injected": rates.injected,
        "detection_rate": rates.detection_rate,
        "clean_points": rates.clean,
        "false_alarm_rate": rates.false_alarm_rate,
    }


def main(n: int = 200) -> list[dict]:
    rows = [*table(FLAT, KPI, n=n), runtime_row(n)]
    print(f"{'scenario':28} {'seasonality':11} {'injected':>8} {'detected':>9} {'clean':>7} {'false alarms':>12}")
    for r in rows:
        detected = "" if r["injected"] == 0 else f"{r['detection_rate']:.1%}"
        print(
            f"{r['scenario']:28} {r['seasonality']:11} {r['injected']:>8} {detected:>9} "
            f"{r['clean_points']:>7} {r['false_alarm_rate']:>12.2%}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"series_per_scenario": n, "flat": FLAT.model_dump(), "weekday": KPI.model_dump(), "rows": rows}, indent=2
        )
    )
    return rows


if __name__ == "__main__":
    main()
