"""How the detectors are measured: synthetic daily series with known injected faults, and the rates.

A series has a level, multiplicative noise and optionally a weekly pattern; faults are spikes, drops
and level shifts injected on known days. Detection rate = injected days flagged in the right direction;
false-alarm rate = clean days flagged. After a level shift the baseline needs half a training window to
adopt the new level: those days are neither positives nor negatives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np

from mops.core.monitoring.detectors import DetectorConfig, scan

WEEKLY = (1.0, 1.05, 1.1, 1.0, 0.95, 0.6, 0.5)  # Monday..Sunday: a B2B-like weekend dip
START = date(2026, 1, 5)  # a Monday


@dataclass
class Series:
    values: list[float]
    days: list[date]
    faults: dict[int, Literal["spike", "drop"]] = field(default_factory=dict)  # index -> direction
    ignored: set[int] = field(default_factory=set)  # adaptation days after a level shift


def synthetic(
    rng: np.random.Generator,
    days: int = 120,
    level: float = 1000.0,
    noise: float = 0.08,
    weekly: bool = False,
    spikes: int = 0,
    drops: int = 0,
    shift: float | None = None,
    warmup: int = 35,
    adapt: int = 14,
) -> Series:
    """One series; faults land after `warmup` days so every detector has its history."""
    dates = [START + timedelta(days=i) for i in range(days)]
    pattern = np.array([WEEKLY[d.weekday()] if weekly else 1.0 for d in dates])
    values = level * pattern * rng.lognormal(0.0, noise, days)
    series = Series(values=[], days=dates)
    slots = rng.choice(np.arange(warmup, days), size=spikes + drops + (1 if shift else 0), replace=False)
    if shift:
        at = int(slots[-1])
        values[at:] *= shift
        series.faults[at] = "spike" if shift > 1 else "drop"
        series.ignored.update(range(at + 1, min(days, at + adapt)))
        slots = slots[:-1]
    for i, slot in enumerate(slots):
        slot = int(slot)
        if slot in series.faults or slot in series.ignored:
            continue
        if i < spikes:
            values[slot] *= rng.uniform(2.0, 5.0)
            series.faults[slot] = "spike"
        else:
            values[slot] *= rng.uniform(0.2, 0.5)
            series.faults[slot] = "drop"
    series.values = [float(v) for v in values]
    return series


@dataclass
class Rates:
    detected: int = 0
    injected: int = 0
    false_alarms: int = 0
    clean: int = 0

    @property
    def detection_rate(self) -> float:
        return self.detected / self.injected if self.injected else float("nan")

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.clean if self.clean else float("nan")


def measure(series: list[Series], config: DetectorConfig) -> Rates:
    """Count hits and false alarms of one detector configuration over many series."""
    rates = Rates()
    for s in series:
        days = s.days if config.seasonality == "day_of_week" else None
        for i, verdict in enumerate(scan(s.values, config, days)):
            if verdict is None or i in s.ignored:
                continue
            if i in s.faults:
                rates.injected += 1
                rates.detected += int(verdict.direction == s.faults[i])
            else:
                rates.clean += 1
                rates.false_alarms += int(verdict.is_anomaly)
    return rates


SCENARIOS: dict[str, dict] = {
    "spikes": {"spikes": 4},
    "drops": {"drops": 4},
    "level shift x2": {"shift": 2.0},
    "level shift x0.4": {"shift": 0.4},
    "weekly + spikes and drops": {"weekly": True, "spikes": 3, "drops": 3},
    "clean": {},
    "clean weekly": {"weekly": True},
}


def table(config: DetectorConfig, weekly_config: DetectorConfig, n: int = 100, seed: int = 7) -> list[dict]:
    """Rates per scenario: weekly scenarios with the seasonal config and, for contrast, without it."""
    rows = []
    for name, kwargs in SCENARIOS.items():
        rng = np.random.default_rng(seed)
        batch = [synthetic(rng, **kwargs) for _ in range(n)]
        configs = [("weekday", weekly_config), ("none", config)] if kwargs.get("weekly") else [("none", config)]
        for label, chosen in configs:
            rates = measure(batch, chosen)
            rows.append(
                {
                    "scenario": name,
                    "seasonality": label,
                    "injected": rates.injected,
                    "detection_rate": rates.detection_rate,
                    "clean_points": rates.clean,
                    "false_alarm_rate": rates.false_alarm_rate,
                }
            )
    return rows
