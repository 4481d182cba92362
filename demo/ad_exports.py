"""The ad platforms' exports of the simulated world: campaign and ad reports with their field names, units,
quirks and drift (a format change happens at a file boundary: the month after the drift point)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from demo import world
from demo.files import fmt, month_key, write_jsonl
from demo.simulate import SimulatedWorld


def write_google_ads(sim: SimulatedWorld, landing: Path, switch: date) -> None:
    days = sim.campaign_days[sim.campaign_days.platform == "google_ads"].copy()
    days["month"] = month_key(days.date_day)
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
    days["month"] = month_key(days.date_day)
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
                "spend": fmt(row.spend_account),
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
                record["action_values"] = [{"action_type": purchase, "value": fmt(row.claimed_value_account)}]
            record["actions"] = actions
            records.append(record)
        write_jsonl(landing / "meta_ads" / "insights" / f"act_{account_id}_{month}.jsonl", records)
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
    write_jsonl(landing / "meta_ads" / "ad_accounts" / "ad_accounts.jsonl", accounts)


def write_google_ads_ads(sim: SimulatedWorld, landing: Path) -> None:
    """GAQL `FROM ad_group_ad` rows as the Python client's proto JSON (snake_case, int64 as strings)."""
    rows = sim.ad_days[sim.ad_days.platform == "google_ads"].copy()
    rows["month"] = month_key(rows.date_day)
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
        write_jsonl(landing / "google_ads" / "ad_group_ad_stats" / f"{account_id}_{month}.jsonl", records)


def write_meta_ads_ads(sim: SimulatedWorld, landing: Path) -> None:
    """Ad-level insights (level=ad) and the ads with their creative's title and body."""
    rows = sim.ad_days[sim.ad_days.platform == "meta_ads"].copy()
    rows["month"] = month_key(rows.date_day)
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
                "spend": fmt(row.spend_account),
                "impressions": str(row.impressions),
                "clicks": str(int(round(row.clicks * 1.6))),
                "inline_link_clicks": str(row.clicks),
            }
            if actions:
                record["actions"] = actions
            records.append(record)
        write_jsonl(landing / "meta_ads" / "ad_insights" / f"act_{account_id}_{month}.jsonl", records)
    ads = sim.ads[sim.ads.platform == "meta_ads"]
    write_jsonl(
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
    days["month"] = month_key(days.date_day)
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
                "conversionValueInLocalCurrency": fmt(row.claimed_value_account),
            }
            if v2:
                record["costInLocalCurrency"] = fmt(row.spend_account)
            else:
                record["costInUsd"] = fmt(row.spend_usd)
            records.append(record)
        write_jsonl(landing / "linkedin_ads" / "ad_analytics" / f"campaign_daily_{month}.jsonl", records)
    campaigns = sim.campaigns[sim.campaigns.platform == "linkedin_ads"]
    write_jsonl(
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
    write_jsonl(
        landing / "linkedin_ads" / "ad_accounts" / "ad_accounts.jsonl",
        [
            {"id": int(a.account_id), "name": a.name, "currency": a.currency}
            for a in world.ACCOUNTS
            if a.platform == "linkedin_ads"
        ],
    )


def write_tiktok_ads(sim: SimulatedWorld, landing: Path) -> None:
    days = sim.campaign_days[sim.campaign_days.platform == "tiktok_ads"].copy()
    days["month"] = month_key(days.date_day)
    for (account_id, month), rows in days.groupby(["account_id", "month"]):
        records = [
            {
                "stat_time_day": f"{row.date_day.isoformat()} 00:00:00",
                "advertiser_id": account_id,
                "campaign_id": row.campaign_id,
                "campaign_name": row.campaign_name,
                "currency": row.currency,
                "spend": fmt(row.spend_account, 0 if row.currency == "JPY" else 2),
                "impressions": str(row.impressions),
                "clicks": str(row.clicks),
                "conversion": str(row.claimed_conversions),
                "complete_payment": str(row.claimed_conversions),
                "total_complete_payment_rate": fmt(row.claimed_value_account, 0 if row.currency == "JPY" else 2),
            }
            for row in rows.itertuples()
        ]
        write_jsonl(landing / "tiktok_ads" / "campaign_report" / f"{account_id}_{month}.jsonl", records)
    write_jsonl(
        landing / "tiktok_ads" / "advertisers" / "advertisers.jsonl",
        [
            {"advertiser_id": a.account_id, "name": a.name, "currency": a.currency, "timezone": a.time_zone}
            for a in world.ACCOUNTS
            if a.platform == "tiktok_ads"
        ],
    )


def write_microsoft_ads(sim: SimulatedWorld, landing: Path) -> None:
    days = sim.campaign_days[sim.campaign_days.platform == "microsoft_ads"].copy()
    days["month"] = month_key(days.date_day)
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
                "Spend": rows.spend_account.map(fmt),
                "Impressions": rows.impressions,
                "Clicks": rows.clicks,
                "Conversions": rows.claimed_conversions.astype(float),
                "Revenue": rows.claimed_value_account.map(fmt),
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
