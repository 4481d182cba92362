"""Simulate the demo world: spend -> clicks -> sessions -> caused purchases, with every cause recorded.

Vectorised with numpy/pandas so 10x scale stays in seconds. The result is platform-neutral tables
(campaign-days, sessions, conversions, contacts); `exports` writes them in each platform's format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from demo import creatives, funnel, world
from demo.world import DemoConfig

FIRST_NAMES = ("ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo", "ines", "jon", "kai", "lena")
LAST_NAMES = ("smith", "garcia", "muller", "rossi", "tanaka", "dubois", "silva", "novak", "kowalski", "brown")


@dataclass
class SimulatedWorld:
    config: DemoConfig
    start: date
    end: date
    campaigns: pd.DataFrame
    campaign_days: pd.DataFrame
    sessions: pd.DataFrame
    conversions: pd.DataFrame
    contacts: pd.DataFrame
    deals: pd.DataFrame
    truth: dict
    ads: pd.DataFrame  # creative platforms' ads: copy, features, true multipliers
    ad_days: pd.DataFrame  # one row per ad and day; sums to campaign_days of those platforms


class FxTable:
    """Monthly 'units per USD' rates from the dbt seed, looked up as of a date (latest valid_from <=)."""

    def __init__(self, seed_csv: Path):
        rates = pd.read_csv(seed_csv, parse_dates=["valid_from"])
        self._by_ccy = {
            ccy: (grp["valid_from"].to_numpy(), grp["units_per_usd"].to_numpy())
            for ccy, grp in rates.sort_values("valid_from").groupby("currency_code")
        }

    def units_per_usd(self, currency: str, days: pd.Series) -> np.ndarray:
        valid_from, values = self._by_ccy[currency]
        idx = np.searchsorted(valid_from, pd.to_datetime(days).to_numpy(), side="right") - 1
        if (idx < 0).any():
            raise ValueError(f"fx_rates has no {currency} rate before {pd.to_datetime(days).min():%Y-%m-%d}")
        return values[idx]


def hill(spend: np.ndarray, half_saturation: float, shape: float) -> np.ndarray:
    spend = np.maximum(spend, 0.0)
    return spend**shape / (spend**shape + half_saturation**shape)


def _local_to_utc(local: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(local).dt.tz_localize(tz).dt.tz_convert("UTC").dt.tz_localize(None)


def simulate(config: DemoConfig, fx: FxTable) -> SimulatedWorld:
    rng = np.random.default_rng(config.seed)
    end = date.fromisoformat(config.end_date) if config.end_date else date.today() - timedelta(days=1)
    start = end - timedelta(days=config.days - 1)
    days = pd.date_range(start, end, freq="D")
    n_users = max(100, int(config.users * config.scale))
    all_channels = [c.channel_id for c in world.PAID_CHANNELS] + [c.channel_id for c in world.ORGANIC_CHANNELS]

    # users: activity level x channel affinity, so journeys mix a few favourite channels
    activity = rng.lognormal(0.0, 1.0, n_users)
    affinity = rng.dirichlet(np.full(len(all_channels), 0.5), n_users) * activity[:, None]
    user_p = affinity / affinity.sum(axis=0, keepdims=True)

    campaigns = _campaigns(config, rng)
    campaign_days = _campaign_days(config, rng, days, campaigns, fx)
    sessions = _sessions(config, rng, campaign_days, days, user_p, all_channels)
    if config.world == "funnel":
        sessions, conversions, removal = funnel.simulate_funnel(rng, sessions, end, n_users)
    elif config.world == "lagged_purchase":
        sessions, conversions = _conversions(rng, sessions, end)
    else:
        raise ValueError(f"unknown demo world {config.world!r}: lagged_purchase or funnel")
    campaign_days = _platform_claims(campaign_days, sessions, conversions, campaigns)
    contacts, deals = _crm(rng, sessions, conversions)
    truth = _truth(config, start, end, campaign_days, conversions)
    truth["world"] = config.world
    if config.world == "funnel":
        truth = funnel.apply_truth(truth, removal)
    ads, ad_days = creatives.simulate_creatives(config.seed, campaigns, campaign_days)
    truth["copy_effects"] = creatives.truth(ads)
    return SimulatedWorld(
        config, start, end, campaigns, campaign_days, sessions, conversions, contacts, deals, truth, ads, ad_days
    )


def _campaigns(config: DemoConfig, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    next_id = {
        "google_ads": 20_000_000_001,
        "microsoft_ads": 530_000_001,
        "meta_ads": 120_210_000_000_001,
        "linkedin_ads": 310_000_001,
        "tiktok_ads": 1_780_000_000_000_001,
    }
    for account in world.ACCOUNTS:
        weights = rng.dirichlet(np.full(config.campaigns_per_account, 2.0))
        for k in range(config.campaigns_per_account):
            theme = world.CAMPAIGN_THEMES[k % len(world.CAMPAIGN_THEMES)]
            rows.append(
                {
                    "platform": account.platform,
                    "account_id": account.account_id,
                    "account_name": account.name,
                    "currency": account.currency,
                    "time_zone": account.time_zone,
                    "campaign_id": str(next_id[account.platform]),
                    "campaign_name": f"{account.name.split()[-1]} | {theme} | {k + 1:02d}",
                    "weight": account.share * weights[k],
                    "ctr": (0.045 if account.platform in ("google_ads", "microsoft_ads") else 0.011)
                    * rng.lognormal(0, 0.2),
                }
            )
            next_id[account.platform] += 1
    return pd.DataFrame(rows)


def _campaign_days(config, rng, days, campaigns, fx: FxTable) -> pd.DataFrame:
    frames = []
    n_weeks = len(days) // 7 + 2
    for channel in world.PAID_CHANNELS:
        search = channel.channel_id in ("google_ads", "microsoft_ads")
        weekday = np.where(days.day_of_week < 5, 1.08, 0.8) if search else np.where(days.day_of_week < 5, 0.95, 1.12)
        flights = rng.lognormal(0.0, 0.35, n_weeks)  # weekly budget tests make the curves identifiable
        week = (np.arange(len(days)) + days[0].day_of_week) // 7
        spend = channel.base_daily_spend_usd * config.scale * weekday * flights[week] * rng.lognormal(0, 0.1, len(days))
        expected_clicks = (
            channel.max_clicks * config.scale * hill(spend, channel.half_saturation_usd * config.scale, channel.shape)
        )
        clicks = rng.poisson(expected_clicks)
        camps = campaigns[campaigns.platform == channel.channel_id].reset_index(drop=True)
        jitter = camps.weight.to_numpy()[None, :] * rng.lognormal(0, 0.15, (len(days), len(camps)))
        share = jitter / jitter.sum(axis=1, keepdims=True)
        camp_clicks = np.vstack([rng.multinomial(clicks[i], share[i]) for i in range(len(days))])
        frame = pd.DataFrame(
            {
                "date_day": np.repeat(days.date, len(camps)),
                "campaign_idx": np.tile(np.arange(len(camps)), len(days)),
                "spend_usd": (spend[:, None] * share).ravel(),
                "clicks": camp_clicks.ravel(),
            }
        )
        frame = frame.join(camps.drop(columns="weight"), on="campaign_idx").drop(columns="campaign_idx")
        frame["channel_id"] = channel.channel_id
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["spend_usd"] = out["spend_usd"].round(2)
    out["impressions"] = np.maximum(
        out["clicks"], np.round(out["clicks"] / out["ctr"] * rng.lognormal(0, 0.1, len(out)))
    ).astype("int64")
    out["units_per_usd"] = 1.0
    for ccy in out.currency.unique():
        mask = out.currency == ccy
        out.loc[mask, "units_per_usd"] = fx.units_per_usd(ccy, out.loc[mask, "date_day"])
    decimals = np.where(out.currency == "JPY", 0, 2)
    out["spend_account"] = [
        round(s * u, int(d)) for s, u, d in zip(out.spend_usd, out.units_per_usd, decimals, strict=True)
    ]
    return out.drop(columns="ctr")


def _sessions(config, rng, campaign_days, days, user_p, all_channels) -> pd.DataFrame:
    # paid: tracked share of each campaign-day's clicks, at a local time of the account's day
    paid = campaign_days[campaign_days.clicks > 0]
    n = rng.binomial(paid.clicks.to_numpy(), world.SESSION_TRACKING_RATE)
    idx = np.repeat(paid.index.to_numpy(), n)
    s = campaign_days.loc[
        idx, ["channel_id", "platform", "account_id", "campaign_id", "campaign_name", "time_zone", "date_day"]
    ].reset_index(drop=True)
    seconds = rng.integers(7 * 3600, 23 * 3600, len(s))
    local = pd.to_datetime(s.date_day) + pd.to_timedelta(seconds, unit="s")
    s["started_at"] = pd.NaT
    for tz in s.time_zone.unique():
        mask = s.time_zone == tz
        s.loc[mask, "started_at"] = _local_to_utc(local[mask], tz)
    utm = s.channel_id.map(world.PAID_UTM)
    s["source"] = utm.str[0]
    s["medium"] = utm.str[1]
    # organic: sessions per day in the property's time zone
    organic = []
    for channel in world.ORGANIC_CHANNELS:
        counts = rng.poisson(channel.sessions_per_day * config.scale, len(days))
        day = np.repeat(days.date, counts)
        local = pd.to_datetime(day) + pd.to_timedelta(rng.integers(0, 24 * 3600, counts.sum()), unit="s")
        organic.append(
            pd.DataFrame(
                {
                    "channel_id": channel.channel_id,
                    "started_at": _local_to_utc(pd.Series(local), config.property_time_zone),
                    "source": channel.source,
                    "medium": channel.medium,
                }
            )
        )
    s = pd.concat([s.drop(columns=["time_zone", "date_day"]), *organic], ignore_index=True)
    s["started_at"] = pd.to_datetime(s["started_at"])
    s["user_idx"] = -1
    for c_idx, channel_id in enumerate(all_channels):
        mask = (s.channel_id == channel_id).to_numpy()
        s.loc[mask, "user_idx"] = rng.choice(len(user_p), mask.sum(), p=user_p[:, c_idx])
    s["is_return_visit"] = False
    return s


def _conversions(rng, sessions, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each session causes a purchase with its channel's probability, after a geometric lag."""
    probability = {c.channel_id: c.conversion_probability for c in world.PAID_CHANNELS + world.ORGANIC_CHANNELS}
    carryover = {c.channel_id: c.carryover for c in world.PAID_CHANNELS + world.ORGANIC_CHANNELS}
    sessions = sessions.reset_index(drop=True)
    sessions["sid"] = np.arange(len(sessions))
    p = sessions.channel_id.map(probability).to_numpy()
    caused = sessions[rng.random(len(sessions)) < p][["sid", "user_idx", "channel_id", "started_at"]].copy()
    theta = caused.channel_id.map(carryover).to_numpy()
    caused["lag_days"] = rng.geometric(1.0 - theta) - 1
    caused["purchase_sid"] = caused.sid
    # a lagged purchase happens on a later direct return visit
    lagged = (caused.lag_days > 0).to_numpy()
    jitter = pd.to_timedelta(rng.integers(-4 * 3600, 4 * 3600, lagged.sum()), unit="s")
    returns = pd.DataFrame(
        {
            "channel_id": "direct",
            "source": "(direct)",
            "medium": "(none)",
            "started_at": (
                caused.started_at[lagged] + pd.to_timedelta(caused.lag_days[lagged], unit="D") + jitter
            ).to_numpy(),
            "user_idx": caused.user_idx[lagged].to_numpy(),
            "is_return_visit": True,
            "sid": len(sessions) + np.arange(lagged.sum()),
        }
    )
    caused.loc[lagged, "purchase_sid"] = returns.sid.to_numpy()
    period_end = pd.Timestamp(end + timedelta(days=1)) - pd.Timedelta(hours=14)  # before any zone's day ends
    sessions = pd.concat([sessions, returns], ignore_index=True)
    sessions = sessions[sessions.started_at < period_end].sort_values(["started_at", "sid"]).reset_index(drop=True)
    sessions["session_id"] = np.arange(len(sessions)) + 1_000_000
    session_of = sessions.set_index("sid").session_id
    started_of = sessions.set_index("sid").started_at
    caused = caused[caused.purchase_sid.isin(session_of.index)].copy()  # purchases after the period end
    caused["causal_session_id"] = caused.sid.map(session_of).to_numpy()
    caused["purchase_session_id"] = caused.purchase_sid.map(session_of).to_numpy()
    caused["converted_at"] = caused.purchase_sid.map(started_of).to_numpy() + pd.to_timedelta(
        rng.integers(60, 1200, len(caused)), unit="s"
    )
    sigma = 0.5
    caused["revenue_usd"] = np.round(
        rng.lognormal(math.log(world.AVERAGE_ORDER_VALUE_USD) - sigma**2 / 2, sigma, len(caused)), 2
    )
    conversions = (
        caused.rename(columns={"channel_id": "causal_channel_id"})[
            [
                "user_idx",
                "causal_channel_id",
                "causal_session_id",
                "purchase_session_id",
                "converted_at",
                "revenue_usd",
                "lag_days",
            ]
        ]
        .sort_values(["converted_at", "purchase_session_id"])
        .reset_index(drop=True)
    )
    conversions["transaction_id"] = [f"T{100000 + i}" for i in range(len(conversions))]
    return sessions.drop(columns="sid"), conversions


def _platform_claims(campaign_days, sessions, conversions, campaigns) -> pd.DataFrame:
    """Every platform clicked within the claim window claims the purchase (platforms over-count)."""
    paid = sessions[sessions.platform.notna()][["user_idx", "started_at", "channel_id", "campaign_id"]]
    pairs = conversions[["transaction_id", "user_idx", "converted_at", "revenue_usd"]].merge(paid, on="user_idx")
    window = pd.Timedelta(days=world.PLATFORM_CLAIM_WINDOW_DAYS)
    pairs = pairs[(pairs.started_at <= pairs.converted_at) & (pairs.started_at >= pairs.converted_at - window)]
    last = pairs.sort_values("started_at").groupby(["transaction_id", "channel_id"]).tail(1)
    last = last.merge(campaigns[["campaign_id", "time_zone"]], on="campaign_id")
    last["date_day"] = None
    for tz in last.time_zone.unique():
        mask = last.time_zone == tz
        last.loc[mask, "date_day"] = last.loc[mask, "started_at"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.date
    claims = (
        last.groupby(["campaign_id", "date_day"])
        .agg(claimed_conversions=("transaction_id", "size"), claimed_value_usd=("revenue_usd", "sum"))
        .reset_index()
    )
    out = campaign_days.merge(claims, on=["campaign_id", "date_day"], how="left")
    out["claimed_conversions"] = out.claimed_conversions.fillna(0).astype("int64")
    out["claimed_value_account"] = (out.claimed_value_usd.fillna(0) * out.units_per_usd).round(2)
    return out.drop(columns="claimed_value_usd")


def _crm(rng, sessions, conversions) -> tuple[pd.DataFrame, pd.DataFrame]:
    first = conversions.groupby("user_idx").converted_at.min().sort_values()
    contacts = pd.DataFrame({"user_idx": first.index, "created_at": first.to_numpy(), "lifecycle_stage": "customer"})
    # leads: email readers who never bought
    readers = sessions[(sessions.channel_id == "email") & ~sessions.user_idx.isin(first.index)]
    readers = readers.groupby("user_idx").started_at.min()
    readers = readers[rng.random(len(readers)) < 0.2]
    leads = pd.DataFrame({"user_idx": readers.index, "created_at": readers.to_numpy(), "lifecycle_stage": "lead"})
    contacts = pd.concat([contacts, leads], ignore_index=True)
    contacts["contact_id"] = (500_000 + np.arange(len(contacts))).astype(str)
    first_names = rng.choice(FIRST_NAMES, len(contacts))
    last_names = rng.choice(LAST_NAMES, len(contacts))
    contacts["first_name"] = [n.title() for n in first_names]
    contacts["last_name"] = [n.title() for n in last_names]
    contacts["email"] = [
        f"{f}.{la}.{c}@example.com" for f, la, c in zip(first_names, last_names, contacts.contact_id, strict=True)
    ]
    contact_of = contacts.set_index("user_idx").contact_id
    won = pd.DataFrame(
        {
            "deal_id": [f"9{t[1:]}" for t in conversions.transaction_id],
            "deal_name": "Order " + conversions.transaction_id,
            "amount": conversions.revenue_usd,
            "deal_stage": "closedwon",
            "closed_at": conversions.converted_at,
            "created_at": conversions.converted_at
            - pd.to_timedelta(rng.integers(0, 3 * 86400, len(conversions)), unit="s"),
            "contact_id": conversions.user_idx.map(contact_of).to_numpy(),
        }
    )
    lead_rows = contacts[contacts.lifecycle_stage == "lead"]
    lead_rows = lead_rows[rng.random(len(lead_rows)) < 0.3]
    lost = rng.random(len(lead_rows)) < 0.5
    open_deals = pd.DataFrame(
        {
            "deal_id": [f"8{i:07d}" for i in range(len(lead_rows))],
            "deal_name": "Quote " + lead_rows.contact_id,
            "amount": np.round(rng.lognormal(math.log(400), 0.6, len(lead_rows)), 2),
            "deal_stage": np.where(lost, "closedlost", "appointmentscheduled"),
            "closed_at": np.where(lost, lead_rows.created_at + pd.Timedelta(days=7), pd.NaT),
            "created_at": lead_rows.created_at + pd.Timedelta(hours=2),
            "contact_id": lead_rows.contact_id.to_numpy(),
        }
    )
    return contacts, pd.concat([won, open_deals], ignore_index=True)


def _truth(config, start, end, campaign_days, conversions) -> dict:
    caused = conversions.groupby("causal_channel_id").agg(
        conversions=("transaction_id", "size"), revenue_usd=("revenue_usd", "sum")
    )
    total = caused.conversions.sum()
    spend = campaign_days.groupby("channel_id").spend_usd.sum()
    channels = {}
    for channel in world.PAID_CHANNELS:
        value_per_click = world.SESSION_TRACKING_RATE * channel.conversion_probability * world.AVERAGE_ORDER_VALUE_USD
        channels[channel.channel_id] = {
            "is_paid": True,
            "conversion_probability": channel.conversion_probability,
            "carryover": channel.carryover,
            "response_curve": {
                "formula": "revenue_usd_per_day = max_revenue_usd * x^shape / (x^shape + half_saturation_usd^shape),"
                " x = adstocked daily spend in USD (geometric, decay = carryover, weights sum to 1)",
                "max_revenue_usd": channel.max_clicks * config.scale * value_per_click,
                "half_saturation_usd": channel.half_saturation_usd * config.scale,
                "shape": channel.shape,
                "max_clicks": channel.max_clicks * config.scale,
            },
            "spend_usd": round(float(spend.get(channel.channel_id, 0.0)), 2),
        }
    for channel in world.ORGANIC_CHANNELS:
        channels[channel.channel_id] = {
            "is_paid": False,
            "conversion_probability": channel.conversion_probability,
            "carryover": channel.carryover,
            "sessions_per_day": channel.sessions_per_day * config.scale,
        }
    for channel_id, row in caused.iterrows():
        channels[channel_id]["caused_conversions"] = int(row.conversions)
        channels[channel_id]["caused_revenue_usd"] = round(float(row.revenue_usd), 2)
        channels[channel_id]["true_conversion_share"] = round(float(row.conversions / total), 6)
    return {
        "description": "Ground truth of the simulated demo world; every conversion has one causal session.",
        "config": config.as_dict(),
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "average_order_value_usd": world.AVERAGE_ORDER_VALUE_USD,
        "session_tracking_rate": world.SESSION_TRACKING_RATE,
        "platform_claim_window_days": world.PLATFORM_CLAIM_WINDOW_DAYS,
        "total_conversions": int(total),
        "channels": channels,
    }
