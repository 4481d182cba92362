"""Anomaly holds: an anomaly on a step's inputs, open on the run date, holds the step's money decisions.

A workflow step declares which anomalies hold it (`hold_on_anomalies` in the spec): KPIs of the ad
performance mart (spend, clicks, conversions per channel) or `input_rows` (the rows the agent read per
input, against its earlier comparable reads). Before the step's decisions are applied, the detectors run
on those inputs for the run date; each anomaly found holds every money decision of the step (an
allocation is one joint decision: a spike on one channel distorts the shares of all), recorded as held
with the anomaly named. A check that cannot run holds too: money never moves on an unchecked input.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from mops.core.monitoring.anomalies import KPI, VOLUME, Anomaly, kpi_anomalies, volume_anomalies
from mops.core.monitoring.detectors import DetectorConfig
from mops.core.monitoring.kpis import KPI_MODEL, METRICS, daily_kpis, kpi_relation
from mops.core.ops.records import OpsLog

INPUT_ROWS = "input_rows"
HOLDABLE: tuple[str, ...] = (*METRICS, INPUT_ROWS)


def plan_problems(step_id: str, holds: tuple[str, ...], reads: tuple[str, ...], decides: set[str]) -> list[str]:
    """What makes a declared hold meaningless for this agent: a KPI it does not read, nothing to hold."""
    problems = []
    kpis = [h for h in holds if h in METRICS]
    if kpis and KPI_MODEL not in reads:
        problems.append(
            f"step {step_id}: hold_on_anomalies names {', '.join(kpis)}, which come from {KPI_MODEL}, "
            "and the step's agent does not read it"
        )
    if holds and not decides:
        problems.append(
            f"step {step_id}: hold_on_anomalies holds money decisions, and the step's agent makes none "
            "(no money_decisions in its manifest, no approval rule in the step)"
        )
    return problems


def kpi_holds(
    log: OpsLog,
    metrics: list[str],
    run_date: date,
    config: DetectorConfig = KPI,
    relation: str | None = None,
    maturity: Mapping[str, int] | None = None,
) -> list[Anomaly]:
    """KPI anomalies of the run date (each channel's value that day against its own history; a metric still
    maturing on the run date, such as its conversions, only for spikes)."""
    where = kpi_relation(log.warehouse, relation)
    if not log.warehouse.exists(*where):
        raise LookupError(f"{'.'.join(where)} does not exist, so {', '.join(metrics)} cannot be checked")
    days = config.training_window + 1 + max((maturity or {}).values(), default=0)
    series = daily_kpis(log.warehouse, where, days, until=run_date)
    series = series[series.metric.isin(metrics)]
    return [a for a in kpi_anomalies(series, config, maturity=maturity) if a.observed == run_date.isoformat()]


def volume_holds(log: OpsLog, agent: str, run_id: str, config: DetectorConfig = VOLUME) -> list[Anomaly]:
    """Inputs whose rows read in this run are anomalous against the agent's comparable earlier reads."""
    reads = log.query("agent_reads", "agent = ?", [agent], order="read_at")
    now = reads[reads.run_id == run_id]
    found = []
    for read in now.itertuples():
        same = reads[
            (reads.input == read.input)
            & (reads["mode"].fillna("live") == (read.mode or "live"))
            & (reads.window_days.fillna(-1) == (-1 if pd.isna(read.window_days) else read.window_days))
            & ~(reads.is_optional.fillna(False).astype(bool) & reads["rows"].eq(0))
        ]
        series = same.assign(table=same.input, day=pd.to_datetime(same.read_at))[["table", "day", "rows"]]
        found += [a for a in volume_anomalies(series, config) if same.run_id.iloc[-1] == run_id]
    return found


def open_holds(
    log: OpsLog,
    holds: tuple[str, ...],
    run_date: date,
    agent: str,
    run_id: str,
    kpi: DetectorConfig = KPI,
    volume: DetectorConfig = VOLUME,
    relation: str | None = None,
    maturity: Mapping[str, int] | None = None,
) -> list[str]:
    """Why the step's decisions are held (one reason per open anomaly); empty: nothing holds them."""
    reasons: list[str] = []
    metrics = [h for h in holds if h in METRICS]
    try:
        if metrics:
            reasons += [
                f"{a.metric} anomaly: {a.message}" for a in kpi_holds(log, metrics, run_date, kpi, relation, maturity)
            ]
        if INPUT_ROWS in holds:
            reasons += [f"input volume anomaly: {a.message}" for a in volume_holds(log, agent, run_id, volume)]
    except Exception as exc:  # an unchecked input never moves money
        reasons.append(f"the anomaly check of {', '.join(holds)} could not run ({type(exc).__name__}: {exc})")
    return reasons
