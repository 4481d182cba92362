"""The demo world: channels with known causal effects and response curves, accounts, campaigns.

Everything the simulation treats as ground truth is declared here, so the truth file written beside
the data is exactly what generated it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class PaidChannel:
    """A paid platform whose clicks follow a saturating curve of spend (USD/day).

    clicks/day = max_clicks * spend^shape / (spend^shape + half_saturation^shape)
    Each tracked session converts with `conversion_probability` (the causal, incremental effect);
    the purchase happens after a geometric lag: P(lag = k days) = (1 - carryover) * carryover^k,
    which is geometric adstock with decay `carryover` in media-mix terms.
    """

    channel_id: str
    base_daily_spend_usd: float
    half_saturation_usd: float
    max_clicks: float
    conversion_probability: float
    carryover: float
    shape: float = 1.0


@dataclass(frozen=True)
class OrganicChannel:
    channel_id: str
    source: str
    medium: str
    sessions_per_day: float
    conversion_probability: float
    carryover: float = 0.3


@dataclass(frozen=True)
class Account:
    platform: str
    account_id: str
    name: str
    currency: str
    time_zone: str  # IANA; Microsoft accounts also carry their own time zone name below
    share: float  # of the platform's spend
    microsoft_time_zone: str | None = None


PAID_CHANNELS: tuple[PaidChannel, ...] = (
    PaidChannel("google_ads", 600.0, 800.0, 450.0, 0.060, 0.30),
    PaidChannel("microsoft_ads", 150.0, 250.0, 110.0, 0.050, 0.30),
    PaidChannel("meta_ads", 500.0, 400.0, 320.0, 0.020, 0.50),
    PaidChannel("linkedin_ads", 300.0, 900.0, 160.0, 0.040, 0.60),
    PaidChannel("tiktok_ads", 200.0, 150.0, 180.0, 0.015, 0.40),
)

ORGANIC_CHANNELS: tuple[OrganicChannel, ...] = (
    OrganicChannel("organic_search", "google", "organic", 150.0, 0.030),
    OrganicChannel("email", "newsletter", "email", 60.0, 0.050),
    OrganicChannel("referral", "partnerblog.example", "referral", 30.0, 0.030),
    OrganicChannel("direct", "(direct)", "(none)", 80.0, 0.040, carryover=0.0),
)

# How each paid platform's clicks arrive in GA4 (collected_traffic_source).
PAID_UTM: dict[str, tuple[str, str]] = {
    "google_ads": ("google", "cpc"),
    "microsoft_ads": ("bing", "cpc"),
    "meta_ads": ("facebook", "paid_social"),
    "linkedin_ads": ("linkedin", "paid_social"),
    "tiktok_ads": ("tiktok", "paid_social"),
}

ACCOUNTS: tuple[Account, ...] = (
    Account("google_ads", "1234567890", "Acme US Search", "USD", "America/New_York", 0.7),
    Account("google_ads", "2345678901", "Acme UK Search", "GBP", "Europe/London", 0.3),
    Account(
        "microsoft_ads",
        "180012345",
        "Acme Bing US",
        "USD",
        "America/Chicago",
        1.0,
        microsoft_time_zone="CentralTimeUSCanada",
    ),
    Account("meta_ads", "10150001", "Acme EU Social", "EUR", "Europe/Berlin", 0.6),
    Account("meta_ads", "10150002", "Acme US Social", "USD", "America/Los_Angeles", 0.4),
    Account("linkedin_ads", "508000001", "Acme B2B", "EUR", "UTC", 1.0),
    Account("tiktok_ads", "7012345678901234567", "Acme JP Video", "JPY", "Asia/Tokyo", 1.0),
)

CAMPAIGN_THEMES = ("Brand", "Generic", "Competitor", "Retargeting", "Prospecting", "Promo", "Launch")

# Share of ad clicks that become a tracked GA4 session (bounces before the tag, blockers).
SESSION_TRACKING_RATE = 0.9
# Average order value (USD) of a purchase; revenue is log-normal around it.
AVERAGE_ORDER_VALUE_USD = 180.0
# Platforms claim a conversion when the user clicked them within this many days (click-through).
PLATFORM_CLAIM_WINDOW_DAYS = 30
# Share of purchases GA4 logs twice (a known tag quirk; staging dedupes on transaction_id).
DUPLICATE_PURCHASE_RATE = 0.01


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 42
    days: int = 180
    end_date: str | None = None  # ISO date; default yesterday (UTC)
    scale: float = 1.0  # multiplies spend, clicks, organic sessions and users
    users: int = 20_000
    campaigns_per_account: int = 3
    property_time_zone: str = "UTC"
    # the causal world: "lagged_purchase" (each session causes a purchase independently, lagged ones on a
    # direct return visit) or "funnel" (channels lift users through stages and close ready ones; demo/funnel.py)
    world: str = "lagged_purchase"
    drift: dict[str, float] = field(
        default_factory=lambda: {"google_ads": 0.5, "meta_ads": 0.6, "linkedin_ads": 0.4}
    )  # platform -> point in the period (share of days) where its export switches format version

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CopyFeature:
    """A property of ad copy with a known causal effect.

    ctr_odds_multiplier multiplies an ad's odds of a click per impression; cvr_multiplier multiplies its
    conversions per click (within its campaign: campaign-day totals are split across the campaign's ads).
    """

    name: str
    ctr_odds_multiplier: float
    cvr_multiplier: float
    description: str


# Body (Google: descriptions joined by a space; Meta: primary text) longer than this is long copy.
LONG_COPY_MIN_CHARS = 140

COPY_FEATURES: tuple[CopyFeature, ...] = (
    CopyFeature("has_number", 1.20, 1.00, "a digit in the headline(s) or body (a price, a percentage, a count)"),
    CopyFeature("has_question", 0.88, 1.00, "a question mark in the headline(s) or body"),
    CopyFeature("has_call_to_action", 1.10, 1.12, "an imperative call to action (shop now, order online, get yours)"),
    CopyFeature("has_urgency", 1.06, 1.15, "urgency words (today, limited time, last chance, hurry)"),
    CopyFeature("is_long_copy", 0.93, 1.10, f"body text longer than {LONG_COPY_MIN_CHARS} characters"),
)
# Platforms whose exports carry ad-level creative data (Google responsive search ads, Meta ads).
CREATIVE_PLATFORMS = ("google_ads", "meta_ads")
# Ad groups (Meta: ad sets) per campaign and ads per ad group.
AD_GROUPS_PER_CAMPAIGN = 2
ADS_PER_AD_GROUP = 4
# Chance an ad's copy has each feature (independently), so the design is balanced and uncorrelated.
COPY_FEATURE_PROBABILITY = 0.5
# Standard deviation of each ad's unexplained log-multiplier on click odds and on conversion rate.
AD_QUALITY_SIGMA = 0.05
# Standard deviation of the log of each ad's rotation weight (its share of the campaign's impressions).
AD_ROTATION_SIGMA = 0.3
