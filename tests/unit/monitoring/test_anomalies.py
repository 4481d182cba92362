"""Runtime, volume and KPI anomalies in users' words, with clean series raising nothing."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from mops.core.monitoring.anomalies import kpi_anomalies, runtime_anomalies, volume_anomalies


def _runs(agent: str, durations: list[float]) -> pd.DataFrame:
    start = pd.Timestamp("2026-06-01")
    return pd.DataFrame(
        {
            "agent": agent,
            "run_id": [f"r{i}" for i in range(len(durations))],
            "started_at": [start + pd.Timedelta(days=i) for i in range(len(durations))],
            "duration_s": durations,
        }
    )


def test_slow_agent_is_a_runtime_regression_in_its_terms():
    usual = [120, 118, 125, 122, 119, 121, 117, 123, 120, 124, 118, 122, 121, 119]
    runs = pd.concat([_runs("attribution", [*usual, 540]), _runs("pacing", [*usual, 121])])
    found = runtime_anomalies(runs)
    assert [a.subject for a in found] == ["attribution"]
    assert found[0].observed == "r14"
    assert found[0].message.startswith("attribution took 4.5x its median of the last 14 runs")


def test_faster_run_and_small_absolute_slowdown_are_not_regressions():
    usual = [10, 11, 10, 9, 10, 11, 10, 10]
    assert runtime_anomalies(_runs("segmentation", [*usual, 2])) == []  # drops are not regressions
    assert runtime_anomalies(_runs("segmentation", [*usual, 35])) == []  # 3.5x, but only 25 s more


def _kpi(channel: str, metric: str, values: list[float], start: date = date(2026, 5, 4)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel_id": channel,
            "metric": metric,
            "date_day": [start + timedelta(days=i) for i in range(len(values))],
            "value": values,
        }
    )


def _weekly(weeks: int, level: float) -> list[float]:
    return [level * (0.6 if i % 7 >= 5 else 1.0) * (1 + 0.03 * ((i * 3) % 5 - 2)) for i in range(7 * weeks)]


def test_spend_spike_yesterday_against_its_weekday_median():
    history = _weekly(6, 1000.0)
    day = date(2026, 5, 4) + timedelta(days=len(history))
    spiked = _kpi("meta_ads", "spend", [*history, 5100.0])
    calm = _kpi("google_ads", "spend", [*history, 1010.0])
    found = kpi_anomalies(pd.concat([spiked, calm]), today=day + timedelta(days=1))
    assert [(a.subject, a.metric, a.direction) for a in found] == [("meta_ads", "spend", "spike")]
    same_weekday = [v for i, v in enumerate(history) if i % 7 == len(history) % 7]
    ratio = 5100.0 / float(np.median(same_weekday))  # with a flat level the weekday factor is its own median
    assert found[0].message.startswith(f"meta_ads spend yesterday {ratio:.1f}x its {day.strftime('%A')} median")


def test_sunday_dip_is_not_a_kpi_drop_but_a_collapse_is():
    history = _weekly(6, 1000.0)  # 42 days from a Monday: the next day is a Monday
    history = history[:-1]  # next day a Sunday
    assert kpi_anomalies(_kpi("meta_ads", "clicks", [*history, 600.0])) == []
    found = kpi_anomalies(_kpi("meta_ads", "clicks", [*history, 90.0]))
    assert [a.direction for a in found] == ["drop"]


def test_volume_shrink_is_worded_as_its_usual_daily_rows():
    days = [date(2026, 6, 1) + timedelta(days=i) for i in range(15)]
    rows = [10_000 + 37 * (i % 4) for i in range(14)] + [2_000]
    frame = pd.DataFrame({"table": "fct_touchpoints", "day": days, "rows": rows})
    found = volume_anomalies(frame)
    assert len(found) == 1 and found[0].direction == "drop"
    assert found[0].message.startswith("fct_touchpoints shrank to 0.2x its usual daily rows on 2026-06-15")
    frame.loc[14, "rows"] = 10_050
    assert volume_anomalies(frame) == []


def _maturing(complete: list[float], last_days: list[float]) -> pd.DataFrame:
    """Conversions of complete days, then the last days as reported so far (each younger day less complete)."""
    return _kpi("google_ads", "conversions", [*complete, *last_days])


def test_incomplete_conversions_are_not_a_drop_but_a_spike_still_is():
    complete = _weekly(8, 200.0)
    reported = [200.0 * share for share in (0.97, 0.95, 0.9, 0.85, 0.75, 0.6, 0.35, 0.05)]  # ages 7..0
    series = _maturing(complete, reported)
    naive = kpi_anomalies(series)
    assert [(a.direction, a.observed) for a in naive] == [("drop", series.date_day.iloc[-1].isoformat())]
    assert kpi_anomalies(series, maturity={"conversions": 7}) == []
    spiked = _maturing(complete, [*reported[:-1], 1400.0])
    found = kpi_anomalies(spiked, maturity={"conversions": 7})
    assert [(a.direction, a.observed) for a in found] == [("spike", spiked.date_day.iloc[-1].isoformat())]
    assert found[0].baseline > 100  # judged against complete days, not against the incomplete week


def test_a_drop_is_judged_once_its_day_is_complete():
    complete = _weekly(8, 200.0)
    broken = [*complete[:-1], 20.0]  # the tag broke: this day stays at a tenth once complete
    series = _maturing(broken, [200.0 * share for share in (0.9, 0.85, 0.75, 0.6, 0.35, 0.05, 0.01)])
    found = kpi_anomalies(series, maturity={"conversions": 7})
    day = series.date_day.iloc[-8]
    assert [(a.direction, a.observed) for a in found] == [("drop", day.isoformat())]
    assert "complete after 7 days" in found[0].message
    assert kpi_anomalies(_kpi("google_ads", "spend", series.value.tolist()), maturity={"conversions": 7})
    # a spike was judged while its day was young: a complete day is judged for drops only, once
    spiked = _maturing([*complete[:-1], 2000.0], [200.0 * share for share in (0.9, 0.85, 0.75, 0.6, 0.35, 0.05, 0.01)])
    assert kpi_anomalies(spiked, maturity={"conversions": 7}) == []
