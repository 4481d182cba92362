"""Write the simulated world as the platforms export it: their field names, units, quirks and drift.

One file per account and month (as a scheduled export would land), so a platform's format change
happens at a file boundary: the month after the configured drift point uses the new field names.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from demo.ad_exports import (
    write_google_ads,
    write_google_ads_ads,
    write_linkedin_ads,
    write_meta_ads,
    write_meta_ads_ads,
    write_microsoft_ads,
    write_tiktok_ads,
)
from demo.files import fmt
from demo.simulate import SimulatedWorld
from demo.web_exports import write_ga4, write_hubspot

TRUTH_DIR = "_truth"  # under the landing folder; ingest skips folders starting with "_"


def drift_dates(sim: SimulatedWorld) -> dict[str, date]:
    """First day of the month after each platform's drift point: where its export switches version."""
    out = {}
    for platform, point in sim.config.drift.items():
        day = sim.start + timedelta(days=int(sim.config.days * point))
        out[platform] = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return out


PLAN_CURRENCY = {
    "google_ads": "USD",
    "microsoft_ads": "USD",
    "meta_ads": "EUR",
    "linkedin_ads": "EUR",
    "tiktok_ads": "JPY",
}
PLAN_OWNER = {"google_ads": "paid-search", "microsoft_ads": "paid-search"}  # the rest: paid-social
PACING_THRESHOLD = 0.8  # share of the daily budget at which pacing flags a channel (the agent's default)
# budget / spend: normal days leave headroom (pace 0.67-0.77, under the threshold); over-pacing days
# get a budget at or below the spend (pace 1.0-1.18), so the threshold is crossed on exactly those days
PLAN_HEADROOM = (1.3, 1.5)
OVER_PACING_HEADROOM = (0.85, 1.0)


def over_pacing_days(channel_id: str, days: pd.Series) -> np.ndarray:
    """Days a channel is planned to over-pace: Meta on weekends (flat plan, weekend social runs hot),
    TikTok in the last 7 days of each month (a month-end push the plan does not fund)."""
    stamps = pd.to_datetime(days)
    if channel_id == "meta_ads":
        return (stamps.dt.day_of_week >= 5).to_numpy()
    if channel_id == "tiktok_ads":
        return (stamps.dt.days_in_month - stamps.dt.day < 7).to_numpy()
    return np.zeros(len(stamps), dtype=bool)


def write_budget_plan(sim: SimulatedWorld, landing: Path) -> dict:
    """One daily-budget row per paid channel and day (a CSV per month); returns what the plan implies."""
    rng = np.random.default_rng(sim.config.seed + 2)  # its own stream: the other exports stay as they were
    days = sim.campaign_days
    spend = days.groupby(["channel_id", "date_day"], as_index=False).spend_usd.sum()
    rows = []
    truth_days = {}
    for channel_id, channel_spend in spend.groupby("channel_id", sort=True):
        currency = PLAN_CURRENCY[channel_id]
        rates = days[days.currency == currency].groupby("date_day").units_per_usd.first()
        over = over_pacing_days(channel_id, channel_spend.date_day)
        low = np.where(over, OVER_PACING_HEADROOM[0], PLAN_HEADROOM[0])
        high = np.where(over, OVER_PACING_HEADROOM[1], PLAN_HEADROOM[1])
        headroom = rng.uniform(low, high)
        amount = channel_spend.spend_usd.to_numpy() * headroom * channel_spend.date_day.map(rates).to_numpy()
        day_text = pd.to_datetime(channel_spend.date_day).dt.strftime("%Y-%m-%d")
        rows.append(
            pd.DataFrame(
                {
                    "channel_id": channel_id,
                    "start_date": day_text.to_numpy(),
                    "end_date": day_text.to_numpy(),
                    "budget_amount": [fmt(a, 0 if currency == "JPY" else 2) for a in amount],
                    "currency_code": currency,
                    "owner": PLAN_OWNER.get(channel_id, "paid-social"),
                }
            )
        )
        truth_days[channel_id] = day_text[over].tolist()
    plan = pd.concat(rows, ignore_index=True)
    for month, month_rows in plan.groupby(plan.start_date.str[:7]):
        path = landing / "plan" / "budget_plan" / f"budget_plan_{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        month_rows.to_csv(path, index=False)
    return {
        "threshold": PACING_THRESHOLD,
        "rule": "daily budget = spend x U"
        f"{PLAN_HEADROOM} on normal days, x U{OVER_PACING_HEADROOM} on over-pacing days "
        "(meta_ads on weekends, tiktok_ads in the last 7 days of each month)",
        "currencies": PLAN_CURRENCY,
        "over_pacing_days": truth_days,
    }


def write_truth(sim: SimulatedWorld, landing: Path, switches: dict[str, date], budget_plan: dict) -> Path:
    folder = landing / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    truth = dict(sim.truth)
    truth["budget_plan"] = budget_plan
    truth["format_switches"] = {
        "google_ads": {
            "date": switches["google_ads"].isoformat(),
            "change": "metrics.conversions -> metrics.all_conversions",
        },
        "meta_ads": {"date": switches["meta_ads"].isoformat(), "change": "inline_link_clicks -> outbound_clicks"},
        "linkedin_ads": {"date": switches["linkedin_ads"].isoformat(), "change": "costInUsd -> costInLocalCurrency"},
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=2, default=str) + "\n")
    sim.campaign_days.drop(columns=["units_per_usd"]).to_csv(folder / "campaign_days.csv", index=False)
    conv = sim.conversions.copy()
    conv["converted_at"] = conv.converted_at.astype(str)
    conv.to_csv(folder / "conversions.csv", index=False)
    sim.ads.drop(columns=["headlines", "descriptions"]).to_csv(folder / "ads.csv", index=False)
    return folder / "truth.json"


def write_all(sim: SimulatedWorld, landing: Path) -> Path:
    rng = np.random.default_rng(sim.config.seed + 1)
    switches = drift_dates(sim)
    write_google_ads(sim, landing, switches["google_ads"])
    write_meta_ads(sim, landing, switches["meta_ads"])
    write_google_ads_ads(sim, landing)
    write_meta_ads_ads(sim, landing)
    write_linkedin_ads(sim, landing, switches["linkedin_ads"])
    write_tiktok_ads(sim, landing)
    write_microsoft_ads(sim, landing)
    write_ga4(sim, landing, rng)
    write_hubspot(sim, landing)
    budget_plan = write_budget_plan(sim, landing)
    return write_truth(sim, landing, switches, budget_plan)
