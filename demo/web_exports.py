"""The web and CRM exports of the simulated world: the GA4 BigQuery export (Parquet, nested records) and
HubSpot contacts and deals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from demo import world
from demo.files import fmt, write_jsonl
from demo.simulate import SimulatedWorld


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
    write_jsonl(
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
    write_jsonl(
        landing / "hubspot" / "deals" / "deals.jsonl",
        [
            {
                "id": row.deal_id,
                "properties": {
                    "dealname": row.deal_name,
                    "amount": fmt(row.amount),
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
