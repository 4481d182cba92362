"""Ad-level creatives (Google responsive search ads, Meta ads): copy with known effects on CTR and CVR.

Each campaign-day's impressions, clicks, conversions and spend are split across the campaign's ads, so
ad-level rows sum exactly to the campaign-level exports. The split carries the copy effects of
`world.COPY_FEATURES`:

- clicks are split with weights rotation_weight x click-odds multiplier, and the impressions without a
  click with weights rotation_weight; so an ad's click odds (clicks / non-click impressions) relative to
  its campaign are its multiplier;
- conversions are split with weights clicks x conversion multiplier;
- spend in whole cents (yen) by largest remainder: Google by clicks (CPC), Meta by impressions (CPM).

Copy is assembled from phrase pools so each ad has exactly the features it was drawn with. A separate
random stream keeps every campaign-level number unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo import world

FEATURES = tuple(f.name for f in world.COPY_FEATURES)

# Google responsive search ad headlines (at most 30 characters each).
NEUTRAL_HEADLINES = (
    "Acme Running Shoes",
    "Official Acme Store",
    "Comfort For Every Run",
    "Lightweight And Durable",
    "Built For Daily Miles",
    "Designed By Runners",
)
FEATURE_HEADLINES = {
    "has_number": ("Save 20% On Your First Pair", "Over 10,000 Happy Runners", "Free Returns For 60 Days"),
    "has_question": ("Ready For Your Next Run?", "Need New Running Shoes?", "Tired Of Sore Feet?"),
    "has_call_to_action": ("Shop Now", "Order Online", "Get Yours At Acme"),
    "has_urgency": ("Sale Ends Today", "Limited Time Offer", "Last Chance To Save"),
}
# Google descriptions (at most 90 characters); two per ad, short or long.
SHORT_DESCRIPTIONS = (
    "Cushioned soles, breathable mesh.",
    "Made for road and trail.",
    "Fits your stride from the first mile.",
    "Designed with runners in mind.",
)
LONG_DESCRIPTIONS = (
    "Responsive cushioning, breathable knit uppers and grippy outsoles for every runner.",
    "From easy recovery jogs to long weekend trails, our shoes keep your feet fresh.",
    "Each pair is tested by club runners on road, track and trail before reaching our shelves.",
)
# Meta: a neutral title; the body is a base text plus one sentence per feature.
META_TITLES = ("Acme Trail Runner", "The Everyday Runner", "Acme Road Pro", "Acme Cloud Lite")
SHORT_BODIES = ("Running shoes built for real miles.", "Comfort that lasts all week.", "Designed by runners.")
LONG_BODIES = (
    "Our running shoes pair responsive cushioning with breathable knit uppers and grippy outsoles, "
    "so easy recovery jogs and long weekend trails both feel fresh from the first mile to the last.",
    "Every pair is tested by club runners on road, track and trail before it reaches our shelves, "
    "which is why so many of them wear nothing else for their daily training and their race days.",
)
FEATURE_SENTENCES = {
    "has_number": ("Save 20% on your first pair.", "Loved by 10,000 runners.", "Free returns for 60 days."),
    "has_question": ("Ready for your next run?", "Tired of sore feet?", "Need new running shoes?"),
    "has_call_to_action": ("Shop now.", "Order online.", "Get yours at Acme."),
    "has_urgency": ("Sale ends today.", "Limited time offer.", "Last chance to save."),
}
FIRST_ID = {
    "google_ads": (150_000_000_001, 700_000_000_001),  # ad group, ad
    "meta_ads": (120_210_000_100_001, 120_210_000_200_001),  # ad set, ad
}


def _pick(rng: np.random.Generator, pool: tuple[str, ...]) -> str:
    return pool[int(rng.integers(len(pool)))]


def _google_copy(rng, flags: dict[str, bool]) -> tuple[list[str], list[str]]:
    headlines = [_pick(rng, NEUTRAL_HEADLINES)]
    headlines += [_pick(rng, FEATURE_HEADLINES[f]) for f in FEATURE_HEADLINES if flags[f]]
    for neutral in rng.permutation(NEUTRAL_HEADLINES):
        if len(headlines) >= 3:
            break
        if neutral not in headlines:
            headlines.append(str(neutral))
    pool = LONG_DESCRIPTIONS if flags["is_long_copy"] else SHORT_DESCRIPTIONS
    first, second = rng.choice(len(pool), 2, replace=False)
    return headlines, [pool[first], pool[second]]


def _meta_copy(rng, flags: dict[str, bool]) -> tuple[str, str]:
    base = _pick(rng, LONG_BODIES if flags["is_long_copy"] else SHORT_BODIES)
    sentences = [_pick(rng, FEATURE_SENTENCES[f]) for f in FEATURE_SENTENCES if flags[f]]
    return _pick(rng, META_TITLES), " ".join([base, *sentences])


def _ads(rng: np.random.Generator, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Every ad of every creative platform's campaigns, with its features, copy and true multipliers."""
    rows = []
    next_id = {platform: list(ids) for platform, ids in FIRST_ID.items()}
    per_campaign = world.AD_GROUPS_PER_CAMPAIGN * world.ADS_PER_AD_GROUP
    effects = {f.name: f for f in world.COPY_FEATURES}
    for camp in campaigns[campaigns.platform.isin(world.CREATIVE_PLATFORMS)].itertuples():
        flags = rng.random((per_campaign, len(FEATURES))) < world.COPY_FEATURE_PROBABILITY
        rotation = rng.lognormal(0.0, world.AD_ROTATION_SIGMA, per_campaign)
        quality = rng.normal(0.0, world.AD_QUALITY_SIGMA, (per_campaign, 2))
        for k in range(per_campaign):
            if k % world.ADS_PER_AD_GROUP == 0:
                ad_group_id = next_id[camp.platform][0]
                next_id[camp.platform][0] += 1
            ad_flags = dict(zip(FEATURES, flags[k].tolist(), strict=True))
            row = {
                "platform": camp.platform,
                "account_id": camp.account_id,
                "campaign_id": camp.campaign_id,
                "ad_group_id": str(ad_group_id),
                "ad_group_name": f"{camp.campaign_name.split(' | ')[1]} | Group {k // world.ADS_PER_AD_GROUP + 1}",
                "ad_id": str(next_id[camp.platform][1]),
                "ad_name": f"{camp.campaign_name.split(' | ')[1]} | Ad {k + 1:02d}",
                "rotation_weight": rotation[k],
                "ctr_odds_multiplier": np.exp(quality[k, 0]),
                "cvr_multiplier": np.exp(quality[k, 1]),
                **ad_flags,
            }
            next_id[camp.platform][1] += 1
            for name, present in ad_flags.items():
                if present:
                    row["ctr_odds_multiplier"] *= effects[name].ctr_odds_multiplier
                    row["cvr_multiplier"] *= effects[name].cvr_multiplier
            if camp.platform == "google_ads":
                row["headlines"], row["descriptions"] = _google_copy(rng, ad_flags)
                row["headline"], row["body"] = " | ".join(row["headlines"]), " ".join(row["descriptions"])
            else:
                row["headline"], row["body"] = _meta_copy(rng, ad_flags)
            rows.append(row)
    return pd.DataFrame(rows)


def _split(rng: np.random.Generator, totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Multinomial split of each row's total across its columns, proportional to weights."""
    sums = weights.sum(axis=1, keepdims=True)
    p = np.where(sums > 0, weights / np.where(sums > 0, sums, 1.0), 1.0 / weights.shape[1])
    return rng.multinomial(totals.astype("int64"), p)


def _largest_remainder(units: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split whole units (cents, yen) proportionally, exactly summing to each row's total."""
    sums = weights.sum(axis=1, keepdims=True)
    ideal = units[:, None] * weights / np.where(sums > 0, sums, 1.0)
    base = np.floor(ideal)
    left = (units - base.sum(axis=1)).astype("int64")
    order = np.argsort(-(ideal - base), axis=1, kind="stable")
    rank = np.argsort(order, axis=1, kind="stable")
    return (base + (rank < left[:, None])).astype("int64")


def _ad_days(rng: np.random.Generator, campaign_days: pd.DataFrame, ads: pd.DataFrame) -> pd.DataFrame:
    frames = []
    per_campaign = world.AD_GROUPS_PER_CAMPAIGN * world.ADS_PER_AD_GROUP
    for platform in world.CREATIVE_PLATFORMS:
        days = campaign_days[campaign_days.platform == platform].reset_index(drop=True)
        platform_ads = ads[ads.platform == platform].reset_index(drop=True)
        campaign_ids = platform_ads.campaign_id.unique()
        position = {c: i for i, c in enumerate(campaign_ids)}
        shape = (len(campaign_ids), per_campaign)
        rotation = platform_ads.rotation_weight.to_numpy().reshape(shape)[days.campaign_id.map(position)]
        ctr = platform_ads.ctr_odds_multiplier.to_numpy().reshape(shape)[days.campaign_id.map(position)]
        cvr = platform_ads.cvr_multiplier.to_numpy().reshape(shape)[days.campaign_id.map(position)]
        clicks = _split(rng, days.clicks.to_numpy(), rotation * ctr)
        impressions = clicks + _split(rng, (days.impressions - days.clicks).to_numpy(), rotation)
        conversions = _split(rng, days.claimed_conversions.to_numpy(), clicks * cvr)
        decimals = np.where(days.currency == "JPY", 0, 2)
        units = np.round(days.spend_account.to_numpy() * 10.0**decimals).astype("int64")
        spend_weights = (clicks if platform == "google_ads" else impressions) + 1e-9 * rotation
        spend = _largest_remainder(units, spend_weights) / (10.0 ** decimals[:, None])
        frame = pd.DataFrame(
            {
                "row": np.repeat(np.arange(len(days)), per_campaign),
                "ad_idx": (days.campaign_id.map(position).to_numpy()[:, None] * per_campaign + np.arange(per_campaign))
                .ravel()
                .astype("int64"),
                "impressions": impressions.ravel(),
                "clicks": clicks.ravel(),
                "conversions": conversions.ravel(),
                "spend_account": spend.ravel(),
            }
        )
        frame = frame[(frame.impressions > 0) | (frame.spend_account > 0) | (frame.conversions > 0)]
        day_columns = ["date_day", "account_id", "account_name", "currency", "campaign_id", "campaign_name"]
        frame = frame.join(days[day_columns], on="row").join(
            platform_ads[["ad_group_id", "ad_group_name", "ad_id", "ad_name"]], on="ad_idx"
        )
        frame["platform"] = platform
        frames.append(frame.drop(columns=["row", "ad_idx"]))
    return pd.concat(frames, ignore_index=True)


def simulate_creatives(
    seed: int, campaigns: pd.DataFrame, campaign_days: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ads, ad_days): the creative platforms' ads and their daily rows, summing to campaign_days."""
    rng = np.random.default_rng([seed, 2024])  # own stream: campaign-level data stay as they were
    ads = _ads(rng, campaigns)
    return ads, _ad_days(rng, campaign_days, ads)


def truth(ads: pd.DataFrame) -> dict:
    return {
        "description": "Copy features multiply an ad's click odds (clicks per non-click impression) and its "
        "conversions per click, relative to the other ads of its campaign; ads also carry an unexplained "
        "log-normal quality on both (sd ad_quality_sigma). Per-ad truth in ads.csv.",
        "features": {
            f.name: {
                "ctr_odds_multiplier": f.ctr_odds_multiplier,
                "cvr_multiplier": f.cvr_multiplier,
                "description": f.description,
            }
            for f in world.COPY_FEATURES
        },
        "long_copy_min_chars": world.LONG_COPY_MIN_CHARS,
        "ad_quality_sigma": world.AD_QUALITY_SIGMA,
        "ads": int(len(ads)),
        "ads_per_platform": {p: int(n) for p, n in ads.platform.value_counts().sort_index().items()},
    }
