"""The three detector flavours users see: runtime regression, volume and marketing KPI anomalies.

Each judges the newest point of every series (an agent's latest run, a table's latest day, a channel's
latest day) against its own history and words the result in the user's terms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Literal

import pandas as pd

from mops.core.base import StrictModel
from mops.core.monitoring.detectors import DetectorConfig, Verdict, judge

RUNTIME = DetectorConfig(training_window=14, min_history=5, sensitivity=4.0, min_abs_change=30.0, directions=("spike",))
VOLUME = DetectorConfig(training_window=28, min_history=7, sensitivity=4.0, min_abs_change=100.0)
KPI = DetectorConfig(
    training_window=56, min_history=14, sensitivity=4.0, min_ratio_change=0.3, seasonality="day_of_week"
)


class Anomaly(StrictModel):
    """One anomalous point, in the user's words, with the numbers behind the words."""

    anomaly_id: str
    family: Literal["runtime", "volume", "kpi"]
    metric: str
    subject: str
    observed: str  # the run id or the day of the anomalous point
    value: float
    baseline: float
    ratio: float | None
    score: float
    direction: Literal["spike", "drop"]
    message: str


def _id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.1f}x"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _anomaly(family, metric, subject, observed, verdict: Verdict, message: str) -> Anomaly:
    return Anomaly(
        anomaly_id=_id(family, metric, subject, observed),
        family=family,
        metric=metric,
        subject=subject,
        observed=observed,
        value=verdict.value,
        baseline=verdict.baseline,
        ratio=verdict.ratio,
        score=verdict.score,
        direction=verdict.direction,
        message=message,
    )


def runtime_anomalies(runs: pd.DataFrame, config: DetectorConfig = RUNTIME) -> list[Anomaly]:
    """Each agent's latest run against its previous runs (`agent`, `run_id`, `started_at`, `duration_s`)."""
    found = []
    for agent, group in runs.dropna(subset=["duration_s"]).sort_values("started_at").groupby("agent"):
        durations = group.duration_s.astype(float).tolist()
        verdict = judge(durations[:-1], durations[-1], config)
        if verdict is None or not verdict.is_anomaly:
            continue
        runs_used = min(verdict.history, config.training_window)
        message = (
            f"{agent} took {_times(verdict.ratio)} its median of the last {runs_used} runs "
            f"({_duration(verdict.value)} against {_duration(verdict.baseline)})"
        )
        found.append(_anomaly("runtime", "duration_s", str(agent), str(group.run_id.iloc[-1]), verdict, message))
    return found


def volume_anomalies(rows: pd.DataFrame, config: DetectorConfig = VOLUME) -> list[Anomaly]:
    """Each table's latest daily row count against its earlier days (`table`, `day`, `rows`)."""
    found = []
    for table, group in rows.sort_values("day").groupby("table"):
        counts = group["rows"].astype(float).tolist()
        verdict = judge(counts[:-1], counts[-1], config)
        if verdict is None or not verdict.is_anomaly:
            continue
        day = pd.Timestamp(group.day.iloc[-1]).date().isoformat()
        verb = "grew" if verdict.direction == "spike" else "shrank to"
        message = (
            f"{table} {verb} {_times(verdict.ratio)} its usual daily rows on {day} "
            f"({verdict.value:,.0f} rows against a median of {verdict.baseline:,.0f})"
        )
        found.append(_anomaly("volume", "rows", str(table), day, verdict, message))
    return found


def _kpi_points(days: list[date], lag: int, config: DetectorConfig) -> list[tuple[int, list[int], DetectorConfig]]:
    """Which points of one KPI series are judged, against which earlier points, in which directions.

    A metric that keeps growing after its day (conversions counted on the click's day, as the ad platforms
    report them, until their conversion window closes) is judged in each direction once: its newest day for
    spikes (an incomplete day can be too high, never legitimately too low), against complete days; its
    newest complete day (at least `lag` days old) for drops, against the complete days before it.
    """
    last = len(days) - 1
    if lag <= 0 or last < 0:
        return [(last, list(range(last)), config)]
    complete = [i for i, d in enumerate(days) if (days[last] - d).days >= lag]
    points = []
    spikes = tuple(d for d in config.directions if d == "spike")
    if spikes and (not complete or complete[-1] != last):
        points.append((last, complete, config.model_copy(update={"directions": spikes})))
    drops = tuple(d for d in config.directions if d == "drop")
    if complete and drops:
        points.append((complete[-1], complete[:-1], config.model_copy(update={"directions": drops})))
    return points


def kpi_anomalies(
    kpis: pd.DataFrame,
    config: DetectorConfig = KPI,
    today: date | None = None,
    maturity: Mapping[str, int] | None = None,
) -> list[Anomaly]:
    """Each channel's latest day of each KPI against its history (`channel_id`, `metric`, `date_day`, `value`).

    `maturity`: metric -> days after which a day's value is complete (see `_kpi_points`); absent: at once.
    """
    found = []
    seasonal = config.seasonality == "day_of_week"
    for (channel, metric), group in kpis.sort_values("date_day").groupby(["channel_id", "metric"]):
        days = [pd.Timestamp(d).date() for d in group.date_day]
        values = group.value.astype(float).tolist()
        lag = (maturity or {}).get(str(metric), 0)
        for index, earlier, judged_as in _kpi_points(days, lag, config):
            history = [values[i] for i in earlier]
            verdict = judge(history, values[index], judged_as, [days[i] for i in earlier], days[index])
            if verdict is None or not verdict.is_anomaly:
                continue
            day = days[index]
            when = "yesterday" if today is not None and (today - day).days == 1 else f"on {day.isoformat()}"
            usual = f"its {day.strftime('%A')} median" if seasonal else "its median"
            complete = f", complete after {lag} days" if lag > 0 and (days[-1] - day).days >= lag else ""
            message = (
                f"{channel} {metric} {when} {_times(verdict.ratio)} {usual} "
                f"({verdict.value:,.2f} against {verdict.baseline:,.2f}{complete})"
            )
            found.append(_anomaly("kpi", str(metric), str(channel), day.isoformat(), verdict, message))
    return found
