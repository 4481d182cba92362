"""The funnel world: channels move users through purchase stages; a session closes only a user who is ready.

After Abhishek, Fader & Hosanagar (2012), "Media exposure through the funnel: a model of multi-stage
attribution": each user is in a latent stage (0 unaware, 1 aware, 2 considering). Every session of channel c
first moves the user one stage up with probability lift[c][stage], then ends in a purchase with probability
close[c][stage]; after a purchase the user is back at stage 1. Display-like channels (Meta, TikTok, LinkedIn)
lift much and close little; search and direct close well, but only users another touch brought to
consideration. Unlike the lagged-purchase world (independent causes, one causing session per purchase), effects
interact and direct visits have an effect that depends on earlier touches, so no conversion has one cause.

The causal truth is counterfactual: channel c's removal effect is the drop in conversions when every session of c
is removed and the same users live the same random draws (common random numbers per session); a channel's true
share is its removal effect over the sum of all removal effects.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from demo import world

SOURCE = (
    "Abhishek, V., Fader, P. S., Hosanagar, K. (2012). Media Exposure through the Funnel: A Model of Multi-Stage "
    "Attribution. SSRN 2158421."
)
INITIAL_AWARE_SHARE = 0.2  # users who start aware of the brand (stage 1); the rest start unaware
# channel -> (lift from stage 0, lift from stage 1), (close at stage 0, 1, 2)
LIFT: dict[str, tuple[float, float]] = {
    "google_ads": (0.10, 0.15),
    "microsoft_ads": (0.10, 0.12),
    "meta_ads": (0.40, 0.25),
    "linkedin_ads": (0.30, 0.30),
    "tiktok_ads": (0.45, 0.15),
    "organic_search": (0.15, 0.15),
    "email": (0.05, 0.35),
    "referral": (0.25, 0.20),
    "direct": (0.00, 0.05),
}
CLOSE: dict[str, tuple[float, float, float]] = {
    "google_ads": (0.002, 0.020, 0.200),
    "microsoft_ads": (0.002, 0.020, 0.150),
    "meta_ads": (0.001, 0.005, 0.050),
    "linkedin_ads": (0.001, 0.010, 0.080),
    "tiktok_ads": (0.000, 0.003, 0.030),
    "organic_search": (0.002, 0.020, 0.150),
    "email": (0.001, 0.020, 0.120),
    "referral": (0.002, 0.010, 0.080),
    "direct": (0.001, 0.030, 0.250),
}


def _run(users: np.ndarray, channels: np.ndarray, u_lift: np.ndarray, u_close: np.ndarray, initial: np.ndarray):
    """Purchases (bool per session) of sessions sorted by user and time, stage by stage over session ranks."""
    order = list(LIFT)
    code = pd.Categorical(channels, categories=order).codes
    lift = np.array([LIFT[c] + (0.0,) for c in order])  # no lift beyond stage 2
    close = np.array([CLOSE[c] for c in order])
    start_of_user = np.r_[0, np.flatnonzero(users[1:] != users[:-1]) + 1]
    rank = np.arange(len(users)) - np.repeat(start_of_user, np.diff(np.r_[start_of_user, len(users)]))
    stage = initial.copy()
    bought = np.zeros(len(users), dtype=bool)
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(rank))]
    for r in range(len(bounds) - 1):
        rows = by_rank[bounds[r] : bounds[r + 1]]
        who, c = users[rows], code[rows]
        s = stage[who]
        s = s + (u_lift[rows] < lift[c, s])
        buy = u_close[rows] < close[c, s]
        bought[rows] = buy
        stage[who] = np.where(buy, 1, s)
    return bought


def simulate_funnel(rng: np.random.Generator, sessions: pd.DataFrame, end, n_users: int):
    """(sessions, conversions, truth) of the funnel world over the exogenous sessions of the demo."""
    sessions = sessions.sort_values(["user_idx", "started_at"], kind="stable").reset_index(drop=True)
    period_end = pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(hours=14)
    sessions = sessions[sessions.started_at < period_end].reset_index(drop=True)
    users = sessions.user_idx.to_numpy()
    channels = sessions.channel_id.to_numpy()
    u_lift, u_close = rng.random(len(sessions)), rng.random(len(sessions))
    initial = (rng.random(n_users) < INITIAL_AWARE_SHARE).astype(np.int64)
    bought = _run(users, channels, u_lift, u_close, initial)
    sessions["is_purchase"] = bought
    removal = {}
    for channel in LIFT:
        keep = channels != channel
        without = _run(users[keep], channels[keep], u_lift[keep], u_close[keep], initial)
        removal[channel] = int(bought.sum() - without.sum())

    sessions = sessions.sort_values(["started_at", "user_idx"], kind="stable").reset_index(drop=True)
    sessions["session_id"] = np.arange(len(sessions)) + 1_000_000
    buys = sessions[sessions.pop("is_purchase").to_numpy()]
    sigma = 0.5
    conversions = pd.DataFrame(
        {
            "user_idx": buys.user_idx.to_numpy(),
            "causal_channel_id": buys.channel_id.to_numpy(),  # the closing session's channel (no single cause)
            "causal_session_id": buys.session_id.to_numpy(),
            "purchase_session_id": buys.session_id.to_numpy(),
            "converted_at": buys.started_at.to_numpy() + pd.to_timedelta(rng.integers(60, 1200, len(buys)), unit="s"),
            "revenue_usd": np.round(
                rng.lognormal(math.log(world.AVERAGE_ORDER_VALUE_USD) - sigma**2 / 2, sigma, len(buys)), 2
            ),
            "lag_days": 0,
        }
    )
    conversions = conversions.sort_values(["converted_at", "purchase_session_id"]).reset_index(drop=True)
    conversions["transaction_id"] = [f"T{100000 + i}" for i in range(len(conversions))]
    return sessions, conversions, removal


def apply_truth(truth: dict, removal: dict[str, int]) -> dict:
    """Counterfactual shares replace the causal-session shares of the lagged-purchase world."""
    positive = {c: max(v, 0) for c, v in removal.items()}
    total = sum(positive.values())
    for channel, row in truth["channels"].items():
        row["removal_effect_conversions"] = int(removal.get(channel, 0))
        row["true_conversion_share"] = round(positive.get(channel, 0) / total, 6) if total else 0.0
        row.pop("caused_conversions", None)
        row.pop("caused_revenue_usd", None)
    truth["world"] = "funnel"
    truth["world_source"] = SOURCE
    truth["description"] = (
        "Ground truth of the funnel world: channels lift users through stages (unaware, aware, considering) and "
        "close the ready ones; a channel's true share is its removal effect (conversions lost when all its "
        "sessions vanish, same random draws) over the sum of all removal effects."
    )
    truth["funnel"] = {"lift": LIFT, "close": CLOSE, "initial_aware_share": INITIAL_AWARE_SHARE}
    return truth
