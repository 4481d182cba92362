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
import pyarrow as pa
import pyarrow.parquet as pq

from demo import world
from demo.simulate import SimulatedWorld

TRUTH_DIR = "_truth"  # under the landing folder; ingest skips folders starting with "_"


def _month_key(days: pd.Series) -> pd.Series:
    return pd.to_datetime(days).dt.strftime("%Y-%m")


def drift_dates(sim: SimulatedWorld) -> dict[str, date]:
    """First day of the month after each platform's drift point: where its export switches version."""
    out = {}
    for platform, point in sim.config.drift.items():
        day = sim.start + timedelta(days=int(sim.config.days * point))
        out[platform] = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return out


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")


def _fmt(value: float, decimals: int = 2) -> str:
    return f"{value:.{decimals}f}"


def write_google_ads(sim: SimulatedWorld, landing: Path, switch: date) -> None:
    days = sim.campaign_days[sim.campaign_days.platform == "google_ads"].copy()
    days["month"] = _month_key(days.date_day)
    accounts = {a.account_id: a for a in world.ACCOUNTS if a.platform == "google_ads"}
    for (account_id, month), rows in days.groupby(["account_id", "month"]):
        account = accounts[account_id]
        v2 = date.fromisoformat(f"{month}-01") >= switch
        conv, value = (
            ("metrics.all_conversions", "metrics.all_conversions_value")
            if v2
            else ("metrics.conversions", "metrics.conversions_value")
        )
        frame = pd.DataFrame(
            {
                "segments.date": pd.to_datetime(rows.date_day).dt.strftime("%Y-%m-%d"),
                "customer.id": account_id,
                "customer.descriptive_name": account.name,
                "customer.currency_code": account.currency,
                "customer.time_zone": account.time_zone,
                "campaign.id": rows.campaign_id,
                "campaign.name": rows.campaign_name,
                "campaign.status": "ENABLED",
                "metrics.cost_micros": (np.round(rows.spend_account * 100) * 10_000).astype("int64"),
                "metrics.impressions": rows.impressions,
                "metrics.clicks": rows.clicks,
                conv: rows.claimed_conversions.astype(float),
                value: rows.claimed_value_account,
            }
        )
        path = landing / "google_ads" / "campaign_stats" / f"{account_id}_{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)


def write_meta_ads(sim: SimulatedWorld, landing: Path, switch: date) -> None:
    days = sim.campaign_days[sim.campaign_days.platform == "meta_ads"].copy()
    days["month"] = _month_key(days.date_day)
    purchase = "offsite_conversion.fb_pixel_purchase"
    for (account_id, month), rows in days.groupby(["account_id", "month"]):
        v2 = date.fromisoformat(f"{month}-01") >= switch
        records = []
        for row in rows.itertuples():
            day = row.date_day.isoformat()
            record = {
                "date_start": day,
                "date_stop": day,
                "account_id": account_id,
                "account_name": row.account_name,
                "account_currency": row.currency,
                "campaign_id": row.campaign_id,
                "campaign_name": row.campaign_name,
                "spend": _fmt(row.spend_account),
                "impressions": str(row.impressions),
                "clicks": str(int(round(row.clicks * 1.6))),
            }
            if v2:
                record["outbound_clicks"] = [{"action_type": "outbound_click", "value": str(row.clicks)}]
            else:
                record["inline_link_clicks"] = str(row.clicks)
            actions = [{"action_type": "link_click", "value": str(row.clicks)}]
            if row.claimed_conversions:
                actions.append({"action_type": purchase, "value": str(row.claimed_conversions)})
                record["action_values"] = [{"action_type": purchase, "value": _fmt(row.claimed_value_account)}]
            record["actions"] = actions
            records.append(record)
        _write_jsonl(landing / "meta_ads" / "insights" / f"act_{account_id}_{month}.jsonl", records)
    accounts = [
        {
            "id": f"act_{a.account_id}",
            "account_id": a.account_id,
            "name": a.name,
            "currency": a.currency,
            "timezone_name": a.time_zone,
        }
        for a in world.ACCOUNTS
        if a.platform == "meta_ads"
    ]
    _write_jsonl(landing / "meta_ads" / "ad_accounts" / "ad_accounts.jsonl", accounts)


def write_google_ads_ads(sim: SimulatedWorld, landing: Path) -> None:
    """GAQL `FROM ad_group_ad` rows as the Python client's proto JSON (snake_case, int64 as strings)."""
    rows = sim.ad_days[sim.ad_days.platform == "google_ads"].copy()
    rows["month"] = _month_key(rows.date_day)
    google_ads = sim.ads[sim.ads.platform == "google_ads"]
    copy = {
        ad.ad_id: {
            "headlines": [{"text": text} for text in ad.headlines],
            "descriptions": [{"text": text} for text in ad.descriptions],
        }
        for ad in google_ads.itertuples()
    }
    micros = (np.round(rows.spend_account.to_numpy() * 100) * 10_000).astype("int64")
    for (account_id, month), part in rows.groupby(["account_id", "month"]):
        records = []
        for row, cost in zip(part.itertuples(), micros[rows.index.get_indexer(part.index)], strict=True):
            records.append(
                {
                    "customer": {"id": account_id, "currency_code": row.currency},
                    "campaign": {"id": row.campaign_id, "name": row.campaign_name},
                    "ad_group": {"id": row.ad_group_id, "name": row.ad_group_name},
                    "ad_group_ad": {
                        "status": "ENABLED",
                        "ad": {
                            "id": row.ad_id,
                            "type": "RESPONSIVE_SEARCH_AD",
                            "final_urls": ["https://shop.example.com/running"],
                            "responsive_search_ad": copy[row.ad_id],
                        },
                    },
                    "metrics": {
                        "impressions": str(row.impressions),
                        "clicks": str(row.clicks),
                        "conversions": float(row.conversions),
                        "cost_micros": str(cost),
                    },
                    "segments": {"date": row.date_day.isoformat()},
                }
            )
        _write_jsonl(landing / "google_ads" / "ad_group_ad_stats" / f"{account_id}_{month}.jsonl", records)


def write_meta_ads_ads(sim: SimulatedWorld, landing: Path) -> None:
    """Ad-level insights (level=ad) and the ads with their creative's title and body."""
    rows = sim.ad_days[sim.ad_days.platform == "meta_ads"].copy()
    rows["month"] = _month_key(rows.date_day)
    purchase = "offsite_conversion.fb_pixel_purchase"
    for (account_id, month), part in rows.groupby(["account_id", "month"]):
        records = []
        for row in part.itertuples():
            day = row.date_day.isoformat()
            actions = [{"action_type": "link_click", "value": str(row.clicks)}] if row.clicks else []
            if row.conversions:
                actions.append({"action_type": purchase, "value": str(row.conversions)})
            record = {
                "date_start": day,
                "date_stop": day,
                "account_id": account_id,
                "account_currency": row.currency,
                "campaign_id": row.campaign_id,
                "campaign_name": row.campaign_name,
                "adset_id": row.ad_group_id,
                "adset_name": row.ad_group_name,
                "ad_id": row.ad_id,
                "ad_name": row.ad_name,
                "spend": _fmt(row.spend_account),
                "impressions": str(row.impressions),
                "clicks": str(int(round(row.clicks * 1.6))),
                "inline_link_clicks": str(row.clicks),
            }
            if actions:
                record["actions"] = actions
            records.append(record)
        _write_jsonl(landing / "meta_ads" / "ad_insights" / f"act_{account_id}_{month}.jsonl", records)
    ads = sim.ads[sim.ads.platform == "meta_ads"]
    _write_jsonl(
        landing / "meta_ads" / "ads" / "ads.jsonl",
        [
            {
                "id": ad.ad_id,
                "name": ad.ad_name,
                "account_id": ad.account_id,
                "campaign_id": ad.campaign_id,
                "adset_id": ad.ad_group_id,
                "status": "ACTIVE",
                "creative": {"id": str(int(ad.ad_id) + 500_000_000), "title": ad.headline, "body": ad.body},
            }
            for ad in ads.itertuples()
        ],
    )


def write_linkedin_ads(sim: SimulatedWorld, landing: Path, switch: date) -> None:
    days = sim.campaign_days[sim.campaign_days.platform == "linkedin_ads"].copy()
    days["month"] = _month_key(days.date_day)
    for month, rows in days.groupby("month"):
        v2 = date.fromisoformat(f"{month}-01") >= switch
        records = []
        for row in rows.itertuples():
            d = row.date_day
            record = {
                "dateRange": {
                    "start": {"year": d.year, "month": d.month, "day": d.day},
                    "end": {"year": d.year, "month": d.month, "day": d.day},
                },
                "pivotValues": [f"urn:li:sponsoredCampaign:{row.campaign_id}"],
                "impressions": int(row.impressions),
                "clicks": int(row.clicks),
                "externalWebsiteConversions": int(row.claimed_conversions),
                "conversionValueInLocalCurrency": _fmt(row.claimed_value_account),
            }
            if v2:
                record["costInLocalCurrency"] = _fmt(row.spend_account)
            else:
                record["costInUsd"] = _fmt(row.spend_usd)
            records.append(record)
        _write_jsonl(landing / "linkedin_ads" / "ad_analytics" / f"campaign_daily_{month}.jsonl", records)
    campaigns = sim.campaigns[sim.campaigns.platform == "linkedin_ads"]
    _write_jsonl(
        landing / "linkedin_ads" / "campaigns" / "campaigns.jsonl",
        [
            {
                "id": int(c.campaign_id),
                "name": c.campaign_name,
                "account": f"urn:li:sponsoredAccount:{c.account_id}",
                "status": "ACTIVE",
            }
            for c in campaigns.itertuples()
        ],
    )
    _write_jsonl(
        landing / "linkedin_ads" / "ad_accounts" / "ad_accounts.jsonl",
        [
            {"id": int(a.account_id), "name": a.name, "currency": a.currency}
            for a in world.ACCOUNTS
            if a.platform == "linkedin_ads"
        ],
    )


def write_tiktok_ads(sim: SimulatedWorld, landing: Path) -> None:
    days = sim.campaign_days[sim.campaign_days.platform == "tiktok_ads"].copy()
    days["month"] = _month_key(days.date_day)
    for (account_id, month), rows in days.groupby(["account_id", "month"]):
        records = [
            {
                "stat_time_day": f"{row.date_day.isoformat()} 00:00:00",
                "advertiser_id": account_id,
                "campaign_id": row.campaign_id,
                "campaign_name": row.campaign_name,
                "currency": row.currency,
                "spend": _fmt(row.spend_account, 0 if row.currency == "JPY" else 2),
                "impressions": str(row.impressions),
                "clicks": str(row.clicks),
                "conversion": str(row.claimed_conversions),
                "complete_payment": str(row.claimed_conversions),
                "total_complete_payment_rate": _fmt(row.claimed_value_account, 0 if row.currency == "JPY" else 2),
            }
            for row in rows.itertuples()
        ]
        _write_jsonl(landing / "tiktok_ads" / "campaign_report" / f"{account_id}_{month}.jsonl", records)
    _write_jsonl(
        landing / "tiktok_ads" / "advertisers" / "advertisers.jsonl",
        [
            {"advertiser_id": a.account_id, "name": a.name, "currency": a.currency, "timezone": a.time_zone}
            for a in world.ACCOUNTS
            if a.platform == "tiktok_ads"
        ],
    )


def write_microsoft_ads(sim: SimulatedWorld, landing: Path) -> None:
    days = sim.campaign_days[sim.campaign_days.platform == "microsoft_ads"].copy()
    days["month"] = _month_key(days.date_day)
    for (account_id, month), rows in days.groupby(["account_id", "month"]):
        frame = pd.DataFrame(
            {
                "TimePeriod": pd.to_datetime(rows.date_day).dt.strftime("%Y-%m-%d"),
                "AccountId": account_id,
                "AccountName": rows.account_name,
                "CampaignId": rows.campaign_id,
                "CampaignName": rows.campaign_name,
                "CampaignStatus": "Active",
                "CurrencyCode": rows.currency,
                "Spend": rows.spend_account.map(_fmt),
                "Impressions": rows.impressions,
                "Clicks": rows.clicks,
                "Conversions": rows.claimed_conversions.astype(float),
                "Revenue": rows.claimed_value_account.map(_fmt),
            }
        )
        first, last = frame.TimePeriod.min(), frame.TimePeriod.max()
        header = (
            '"Report Name: Campaign Performance"\n"Report Time: ' + f'{first} - {last}"\n'
            f'"Time Zone: (GMT-06:00) Central Time (US & Canada)"\n"Rows: {len(frame)}"\n\n'
        )
        path = landing / "microsoft_ads" / "campaign_performance" / f"{account_id}_{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            header + frame.to_csv(index=False, quoting=1) + '\n"©2026 Microsoft Corporation. All rights reserved. "\n'
        )
    accounts = pd.DataFrame(
        [
            {"Id": a.account_id, "Name": a.name, "CurrencyCode": a.currency, "TimeZone": a.microsoft_time_zone}
            for a in world.ACCOUNTS
            if a.platform == "microsoft_ads"
        ]
    )
    path = landing / "microsoft_ads" / "accounts" / "accounts.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    accounts.to_csv(path, index=False)


def _ga4_events(sim: SimulatedWorld, rng: np.random.Generator) -> pd.DataFrame:
    s = sim.sessions
    conv = sim.conversions
    contact_of = sim.contacts.set_index("user_idx").contact_id
    first_conversion = conv.groupby("user_idx").converted_at.min()
    users = s.user_idx.to_numpy()
    base = pd.DataFrame(
        {
            "session_id": s.session_id.to_numpy(),
            "user_idx": users,
            "source": s.source.to_numpy(),
            "medium": s.medium.to_numpy(),
            "campaign_name": s.campaign_name.to_numpy(),
            "campaign_id": s.campaign_id.to_numpy(),
            "channel_id": s.channel_id.to_numpy(),
        }
    )
    start = pd.DataFrame({**base, "event_name": "session_start", "at": s.started_at.to_numpy()})
    view = pd.DataFrame({**base, "event_name": "page_view", "at": (s.started_at + pd.Timedelta(seconds=2)).to_numpy()})
    view[["source", "medium", "campaign_name", "campaign_id"]] = None  # collected on session_start only
    buys = conv.merge(base.drop(columns="user_idx"), left_on="purchase_session_id", right_on="session_id")
    buys = buys.assign(event_name="purchase", at=buys.converted_at)
    buys[["source", "medium", "campaign_name", "campaign_id"]] = None
    dupes = buys[rng.random(len(buys)) < world.DUPLICATE_PURCHASE_RATE].assign(
        at=lambda d: d["at"] + pd.Timedelta(seconds=1)
    )
    events = pd.concat([start, view, buys, dupes], ignore_index=True).sort_values(["at", "session_id"])
    # GA4 keys events by user, timestamp (µs) and name: at large scale two sessions of a user can start
    # in the same microsecond, so later ones move by a microsecond each, as GA4's own ordering would
    events["at"] += pd.to_timedelta(events.groupby(["user_idx", "event_name", "at"]).cumcount(), unit="us")
    events["user_id"] = events.user_idx.map(contact_of)
    first = events.user_idx.map(first_conversion)
    events.loc[~(events["at"] >= first), "user_id"] = None  # logged in from the first purchase on
    first_touch = s.sort_values("started_at").groupby("user_idx").first()
    for col in ("source", "medium", "campaign_name"):
        events["first_" + col] = events.user_idx.map(first_touch[col])
    return events.reset_index(drop=True)


def write_ga4(sim: SimulatedWorld, landing: Path, rng: np.random.Generator) -> None:
    events = _ga4_events(sim, rng)
    tz = sim.config.property_time_zone
    local = events["at"].dt.tz_localize("UTC").dt.tz_convert(tz)
    events["event_date"] = local.dt.strftime("%Y%m%d")
    events["month"] = local.dt.strftime("%Y-%m")
    events["event_timestamp"] = events["at"].astype("datetime64[us]").astype("int64")
    gclid_needed = events.channel_id.eq("google_ads") & events.event_name.eq("session_start")
    events["gclid"] = None
    events.loc[gclid_needed, "gclid"] = [f"Cj0KCQjw{sid:012x}" for sid in events.session_id[gclid_needed]]
    for month, rows in events.groupby("month"):
        _write_ga4_parquet(rows, landing / "ga4" / "events" / f"events_{month}.parquet")


def _strings(values: pd.Series) -> pa.Array:
    return pa.array([None if pd.isna(v) else str(v) for v in values], pa.string())


def _struct(names_values: dict[str, pd.Series]) -> pa.StructArray:
    return pa.StructArray.from_arrays([_strings(v) for v in names_values.values()], names=list(names_values))


def _write_ga4_parquet(rows: pd.DataFrame, path: Path) -> None:
    n = len(rows)
    is_purchase = rows.event_name.eq("purchase").to_numpy()
    page = np.where(
        rows.medium.notna(),
        "https://shop.example.com/?utm_source=" + rows.source.fillna("") + "&utm_medium=" + rows.medium.fillna(""),
        "https://shop.example.com/",
    )
    # event_params: ga_session_id (int), page_location (string), currency on purchases
    keys, strings, ints, offsets = [], [], [], [0]
    for sid, url, buy in zip(rows.session_id.to_numpy(), page, is_purchase, strict=True):
        keys += ["ga_session_id", "page_location"]
        strings += [None, url]
        ints += [int(sid), None]
        if buy:
            keys.append("currency")
            strings.append("USD")
            ints.append(None)
        offsets.append(len(keys))
    value = pa.StructArray.from_arrays(
        [pa.array(strings, pa.string()), pa.array(ints, pa.int64())], names=["string_value", "int_value"]
    )
    params = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), pa.StructArray.from_arrays([pa.array(keys), value], names=["key", "value"])
    )
    collected_present = rows.medium.notna().to_numpy()
    collected = _struct(
        {
            "manual_source": rows.source,
            "manual_medium": rows.medium,
            "manual_campaign_name": rows.campaign_name,
            "manual_campaign_id": rows.campaign_id,
            "gclid": rows.gclid,
        }
    )
    collected = pa.StructArray.from_arrays(
        collected.flatten(), names=[f.name for f in collected.type], mask=pa.array(~collected_present)
    )
    revenue = pa.array(rows.revenue_usd.where(is_purchase).to_numpy(), pa.float64(), from_pandas=True)
    ecommerce = pa.StructArray.from_arrays(
        [_strings(rows.transaction_id.where(is_purchase)), revenue, revenue],
        names=["transaction_id", "purchase_revenue", "purchase_revenue_in_usd"],
        mask=pa.array(~is_purchase),
    )
    table = pa.table(
        {
            "event_date": _strings(rows.event_date),
            "event_timestamp": pa.array(rows.event_timestamp.to_numpy(), pa.int64()),
            "event_name": _strings(rows.event_name),
            "event_params": params,
            "user_pseudo_id": pa.array([f"{u}.{1_700_000_000 + u}" for u in rows.user_idx], pa.string()),
            "user_id": _strings(rows.user_id),
            "traffic_source": _struct(
                {"name": rows.first_campaign_name, "medium": rows.first_medium, "source": rows.first_source}
            ),
            "collected_traffic_source": collected,
            "ecommerce": ecommerce,
            "device": _struct({"category": pd.Series(np.where(rows.session_id % 3 == 0, "desktop", "mobile"))}),
        }
    )
    assert table.num_rows == n
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def _iso_ms(values: pd.Series) -> list[str | None]:
    return [
        None
        if pd.isna(v)
        else pd.Timestamp(v).strftime("%Y-%m-%dT%H:%M:%S.") + f"{pd.Timestamp(v).microsecond // 1000:03d}Z"
        for v in values
    ]


def write_hubspot(sim: SimulatedWorld, landing: Path) -> None:
    c = sim.contacts
    created = _iso_ms(c.created_at)
    _write_jsonl(
        landing / "hubspot" / "contacts" / "contacts.jsonl",
        [
            {
                "id": row.contact_id,
                "properties": {
                    "email": row.email,
                    "firstname": row.first_name,
                    "lastname": row.last_name,
                    "lifecyclestage": row.lifecycle_stage,
                    "createdate": created[i],
                },
            }
            for i, row in enumerate(c.itertuples())
        ],
    )
    d = sim.deals
    closed, created = _iso_ms(d.closed_at), _iso_ms(d.created_at)
    _write_jsonl(
        landing / "hubspot" / "deals" / "deals.jsonl",
        [
            {
                "id": row.deal_id,
                "properties": {
                    "dealname": row.deal_name,
                    "amount": _fmt(row.amount),
                    "deal_currency_code": "USD",
                    "dealstage": row.deal_stage,
                    "pipeline": "default",
                    "closedate": closed[i],
                    "createdate": created[i],
                },
                "associations": {"contacts": {"results": [{"id": row.contact_id, "type": "deal_to_contact"}]}},
            }
            for i, row in enumerate(d.itertuples())
        ],
    )


# The budget plan: daily budgets per channel near the simulated spend, in the currency each team plans in.
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
                    "budget_amount": [_fmt(a, 0 if currency == "JPY" else 2) for a in amount],
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
