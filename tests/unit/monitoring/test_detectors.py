"""The robust baseline on synthetic series: true positives, false positives, true negatives, measured rates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from scipy.stats import median_abs_deviation

from mops.core.monitoring.detectors import DetectorConfig, judge, robust_scale, scan
from mops.core.monitoring.evaluation import Series, measure, synthetic

FLAT = DetectorConfig(training_window=28, min_history=14)
WEEKDAY = DetectorConfig(training_window=56, min_history=14, seasonality="day_of_week")


def test_scale_matches_scipy():
    values = np.random.default_rng(1).lognormal(0, 0.3, 50)
    assert robust_scale(values) == pytest.approx(median_abs_deviation(values, scale="normal"))


def test_spike_and_drop_are_flagged_in_their_direction():
    history = [100, 104, 97, 101, 99, 103, 98, 100, 102, 96, 101, 99, 100, 103]
    assert judge(history, 400, FLAT.model_copy(update={"min_history": 7})).direction == "spike"
    assert judge(history, 30, FLAT.model_copy(update={"min_history": 7})).direction == "drop"
    assert not judge(history, 105, FLAT.model_copy(update={"min_history": 7})).is_anomaly  # true negative


def test_directions_sensitivity_and_min_change_are_honoured():
    history = [100.0, 104, 97, 101, 99, 103, 98, 100]
    base = DetectorConfig(min_history=7)
    assert judge(history, 30, base.model_copy(update={"directions": ("spike",)})).direction is None
    assert judge(history, 140, base).is_anomaly
    assert not judge(history, 140, base.model_copy(update={"sensitivity": 50})).is_anomaly
    assert not judge(history, 140, base.model_copy(update={"min_abs_change": 100})).is_anomaly
    assert not judge(history, 140, base.model_copy(update={"min_ratio_change": 0.5})).is_anomaly


def test_too_little_history_is_no_judgement():
    assert judge([100, 101, 99], 1000, DetectorConfig(min_history=7)) is None


def test_flat_history_still_has_a_scale():
    verdict = judge([50.0] * 10, 51.0, DetectorConfig(min_history=7))
    assert verdict is not None and not verdict.is_anomaly  # 2% noise floor: one more row is not news
    assert judge([50.0] * 10, 80.0, DetectorConfig(min_history=7)).direction == "spike"


def test_an_earlier_spike_does_not_hide_the_next_one():
    history = [100.0, 98, 102, 900, 101, 99, 100, 103, 97, 100]
    assert judge(history, 450, DetectorConfig(min_history=7)).direction == "spike"


def _weekly(weeks: int) -> tuple[list[float], list[date]]:
    start = date(2026, 1, 5)  # Monday
    days = [start + timedelta(days=i) for i in range(7 * weeks)]
    values = [1000.0 * (0.5 if d.weekday() >= 5 else 1.0) * (1 + 0.02 * ((i * 7) % 5 - 2)) for i, d in enumerate(days)]
    return values, days


def test_weekend_dip_is_not_a_drop_with_seasonality_but_is_without():
    values, days = _weekly(6)
    saturday = date(2026, 2, 21)
    assert saturday.weekday() == 5
    seasonal = judge(values, 500.0, WEEKDAY, days, saturday)
    assert seasonal is not None and not seasonal.is_anomaly  # true negative
    assert judge(values, 500.0, FLAT).direction == "drop"  # the false positive seasonality removes


def test_weekday_spike_is_found_against_the_same_weekday():
    values, days = _weekly(6)
    saturday = date(2026, 2, 21)
    # 900 on a Saturday is 1.8x a Saturday, but a normal weekday value: only the seasonal baseline sees it
    assert judge(values, 900.0, WEEKDAY, days, saturday).direction == "spike"
    assert not judge(values, 900.0, FLAT).is_anomaly


def test_seasonality_needs_days():
    with pytest.raises(ValueError, match="needs the day"):
        judge([1.0] * 20, 1.0, WEEKDAY)


def test_scan_flags_exactly_the_injected_points_on_a_known_series():
    rng = np.random.default_rng(3)
    series = synthetic(rng, spikes=2, drops=2)
    flagged = {i: v.direction for i, v in enumerate(scan(series.values, FLAT)) if v is not None and v.is_anomaly}
    assert flagged == series.faults


@pytest.mark.parametrize(
    ("kwargs", "config", "min_detection", "max_false_alarm"),
    [
        ({"spikes": 4}, FLAT, 0.97, 0.005),
        ({"drops": 4}, FLAT, 0.97, 0.005),
        ({"shift": 2.0}, FLAT, 0.95, 0.005),
        ({"shift": 0.4}, FLAT, 0.95, 0.005),
        ({"weekly": True, "spikes": 3, "drops": 3}, WEEKDAY, 0.95, 0.01),
    ],
    ids=["spikes", "drops", "shift-up", "shift-down", "weekly"],
)
def test_measured_rates_on_synthetic_series(kwargs, config, min_detection, max_false_alarm):
    rng = np.random.default_rng(11)
    rates = measure([synthetic(rng, **kwargs) for _ in range(30)], config)
    assert rates.injected > 0 and rates.clean > 1000
    assert rates.detection_rate >= min_detection
    assert rates.false_alarm_rate <= max_false_alarm


def test_without_seasonality_a_weekly_series_raises_false_alarms():
    rng = np.random.default_rng(11)
    batch = [synthetic(rng, weekly=True) for _ in range(30)]
    assert measure(batch, WEEKDAY).false_alarm_rate < measure(batch, FLAT).false_alarm_rate / 3


def test_measure_counts_misses_and_false_alarms():
    # an independent hand-made series: one fault the detector must miss (too small), one false alarm planted
    values = [100.0 + (i % 3) for i in range(30)]
    values[20] = 101.5  # declared a spike, but it is noise: a miss
    values[25] = 300.0  # not declared: a false alarm
    series = Series(values=values, days=[date(2026, 1, 1) + timedelta(days=i) for i in range(30)], faults={20: "spike"})
    rates = measure([series], DetectorConfig(min_history=7))
    assert (rates.detected, rates.injected, rates.false_alarms) == (0, 1, 1)
    assert rates.clean == 30 - 7 - 1
