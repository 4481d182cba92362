"""When in its day a channel crossed its threshold, estimated from daily data.

Spend is reported per account-local day, with no intraday detail, so the estimate assumes each
account spends uniformly over its own 24 hours. A channel's cumulative spend is then piecewise linear
in time (accounts in different time zones start their days at different UTC instants), and the
crossing is the first instant it reaches threshold x budget. For a single account this is
day start + 24h x threshold / pace.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHOD = "uniform_spend_within_account_day"
DAY = np.timedelta64(24 * 3600 * 10**6, "us")


def crossing_time(starts: np.ndarray, spends: np.ndarray, target: float) -> np.datetime64 | None:
    """First instant the accounts' summed spend reaches `target`, each account spending `spend`
    uniformly from its `start` over 24 hours; None if the day's spend stays below the target."""
    starts = np.asarray(starts, dtype="datetime64[us]")
    spends = np.asarray(spends, dtype=float)
    if spends.sum() < target or not (spends > 0).any():
        return None
    if target <= 0:
        return starts[spends > 0].min()
    points = np.unique(np.concatenate([starts, starts + DAY]))
    elapsed = (points[:, None] - starts[None, :]) / DAY  # fraction of each account's day gone at each point
    cumulative = (np.clip(elapsed, 0.0, 1.0) * spends[None, :]).sum(axis=1)
    k = int(np.argmax(cumulative >= target - 1e-9 * max(target, 1.0)))
    if k == 0:
        return points[0]
    before, after = cumulative[k - 1], cumulative[k]
    share = (target - before) / (after - before)
    offset = np.timedelta64(int(round(share * (points[k] - points[k - 1]).astype("int64"))), "us")
    return points[k - 1] + offset


def crossing_times(account_days: pd.DataFrame, days: pd.DataFrame) -> pd.Series:
    """Crossing instant of each channel-day in `days` (columns channel_id, date_day, target), from the
    per-account spend in `account_days` (channel_id, date_day, day_started_at_utc, spend)."""
    groups = dict(list(account_days.groupby(["channel_id", "date_day"])))
    out = []
    for row in days.itertuples():
        accounts = groups.get((row.channel_id, row.date_day))
        if accounts is None:
            out.append(pd.NaT)
            continue
        crossed = crossing_time(accounts.day_started_at_utc.to_numpy(), accounts.spend.to_numpy(), row.target)
        out.append(pd.NaT if crossed is None else pd.Timestamp(crossed))
    return pd.Series(pd.to_datetime(out), index=days.index, dtype="datetime64[us]")
