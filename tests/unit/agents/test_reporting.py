"""Reporting agent on tiny hand-made frames: KPI math, prior period, attribution, alerts, HTML/Markdown."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.reporting import AGENT, ReportingParameters
from agents.reporting.kpis import Periods
from mops.core.contracts import load_contracts, validate_frame
from mops.core.runtime.context import RunContext

CONTRACT = load_contracts(Path(__file__).parents[3] / "contracts" / "agents")["report_kpis"]
CONTEXT = RunContext(
    window_start=date(2026, 1, 3), window_end=date(2026, 1, 4), attribution_model="markov", run_id="unit"
)

AD_ROWS = [
    # date, platform/channel, campaign, spend, impressions, clicks, conversions, revenue
    ("2025-12-31", "google_ads", "google_ads:g1", 1000.0, 9999, 999, 99.0, 9999.0),  # before both periods
    ("2026-01-01", "google_ads", "google_ads:g1", 10.0, 1000, 10, 1.0, 30.0),
    ("2026-01-02", "google_ads", "google_ads:g1", 10.0, 1000, 10, 1.0, 30.0),
    ("2026-01-02", "meta_ads", "meta_ads:m1", 40.0, 4000, 40, 4.0, 200.0),
    ("2026-01-03", "google_ads", "google_ads:g1", 15.0, 1000, 20, 2.0, 45.0),
    ("2026-01-04", "google_ads", "google_ads:g1", 15.0, 1000, 20, 1.0, 15.0),
    ("2026-01-03", "meta_ads", "meta_ads:m1", 20.0, 2000, 10, 0.0, 0.0),
    ("2026-01-04", "meta_ads", "meta_ads:m2", 10.0, 500, 5, 1.0, 50.0),  # new in the window
]


def ads() -> pd.DataFrame:
    frame = pd.DataFrame(
        AD_ROWS,
        columns=[
            "date_day",
            "platform",
            "campaign_key",
            "spend_in_reporting_currency",
            "impressions",
            "clicks",
            "conversions",
            "conversion_value_in_reporting_currency",
        ],
    )
    frame["date_day"] = pd.to_datetime(frame.date_day)
    frame["channel_id"] = frame.platform
    return frame


PURCHASES = pd.DataFrame(
    {  # the site's purchases, credited to the purchase session's channel
        "converted_at": pd.to_datetime(
            [
                "2025-12-31 12:00",  # before both periods
                "2026-01-01 09:00",
                "2026-01-02 23:59",
                "2026-01-02 10:00",
                "2026-01-01 08:00",
                "2026-01-03 00:00",
                "2026-01-04 18:00",
                "2026-01-04 07:00",
                "2026-01-03 13:00",
            ]
        ),
        "session_channel_id": [
            "google_ads",
            "google_ads",
            "google_ads",
            "meta_ads",
            "direct",
            "google_ads",
            "google_ads",
            "meta_ads",
            "direct",
        ],
        "revenue_in_reporting_currency": [999.0, 30.0, 30.0, 100.0, 50.0, 40.0, 20.0, 30.0, 50.0],
    }
)
CHANNELS = pd.DataFrame(
    {
        "channel_id": ["google_ads", "meta_ads", "direct", "email"],
        "channel_name": ["Google Ads", "Meta Ads", "Direct", "Email"],
        "platform": ["google_ads", "meta_ads", None, None],
    }
)
CAMPAIGNS = pd.DataFrame(
    {
        "campaign_key": ["google_ads:g1", "meta_ads:m1", "meta_ads:m2"],
        "campaign_name": ["Brand", "Generic", "Generic"],
        "account_name": ["US", "US", "EU"],
    }
)
CREDIT = pd.DataFrame(
    {
        "conversion_id": ["c1", "c2", "c3", "c4", "c5"],
        "channel_id": ["google_ads", "google_ads", "direct", "meta_ads", "email"],
        "conversion_value": [10.0, 20.0, 30.0, 40.0, 50.0],
    }
)


def summary() -> pd.DataFrame:
    rows = {
        "channel_id": ["google_ads", "meta_ads", "direct", "email"],
        "is_paid": [True, True, False, False],
        "attributed_conversions": [1.6, 1.2, 1.4, 0.8],
        "attributed_conversions_low": [1.0, 0.5, 0.9, 0.2],
        "attributed_conversions_high": [2.2, 1.9, 1.8, 1.3],
        "attributed_revenue": [32.0, 48.0, 40.0, 30.0],
        "attributed_revenue_low": [20.0, 30.0, 25.0, 10.0],
        "attributed_revenue_high": [45.0, 60.0, 55.0, 50.0],
        "spend": [30.0, 30.0, None, None],
        "roas": [32.0 / 30.0, 48.0 / 30.0, None, None],
        "roas_low": [0.6, 1.0, None, None],
        "roas_high": [1.5, 2.0, None, None],
        "cpa": [30.0 / 1.6, 30.0 / 1.2, None, None],
        "cpa_low": [13.0, 15.0, None, None],
        "cpa_high": [30.0, 60.0, None, None],
        "is_underperforming": [False, False, False, False],
    }
    return pd.DataFrame(rows)


SEGMENTS = pd.DataFrame(
    {
        "reference_date": pd.to_datetime(["2026-01-04", "2026-01-04"]),
        "segment": ["champions", "lost"],
        "segment_order": [1, 7],
        "rule": ["active & frequent", "dormant & one, or gone"],
        "customers": [10, 30],
        "share": [0.25, 0.75],
        "orders": [40, 30],
        "revenue": [4000.0, 1500.0],
        "revenue_share": [4000 / 5500, 1500 / 5500],
        "average_order_value": [100.0, 50.0],
        "top_channel": ["google_ads", None],
    }
)
BUDGET = pd.DataFrame(
    {
        "channel_id": ["google_ads", "meta_ads"],
        "objective": ["revenue", "revenue"],
        "current_daily_spend": [15.0, 15.0],
        "recommended_daily_spend": [18.0, 12.0],
        "change_share": [0.2, -0.2],
        "is_locked": [False, False],
        "expected_uplift": [4.5, -1.5],
        "expected_uplift_low": [1.25, -3.0],
        "expected_uplift_high": [7.0, -0.5],
        "rationale": ["marginal ROAS above the other channel", "saturated"],
    }
)


def inputs(**extra: pd.DataFrame) -> dict[str, pd.DataFrame]:
    base = {
        "fct_ad_performance_daily": ads(),
        "fct_conversions": PURCHASES,
        "dim_channels": CHANNELS,
        "dim_campaigns": CAMPAIGNS,
        "attribution_credit": CREDIT,
        "attribution_channel_summary": summary(),
    }
    base.update(extra)
    return base


def run(context: RunContext = CONTEXT, params: ReportingParameters | None = None, **extra):
    return AGENT.run(inputs(**extra), context, params)


def kpi(result, level: str, key: str, metric: str) -> pd.Series:
    frame = result.outputs["report_kpis"]
    rows = frame[(frame.level == level) & (frame.key == key) & (frame.metric == metric)]
    assert len(rows) == 1, (level, key, metric)
    return rows.iloc[0]


def test_output_matches_its_contract():
    result = run(segment_summary=SEGMENTS, budget_recommendations=BUDGET)
    assert validate_frame(result.outputs["report_kpis"], CONTRACT.version(1), "report_kpis") == []


def test_total_kpis_and_prior_period_by_hand():
    result = run()
    expected = {  # window 01-03..01-04 / prior 01-01..01-02 (the 12-31 row is in neither)
        "spend": (60.0, 60.0),
        "impressions": (4500.0, 6000.0),
        "clicks": (55.0, 60.0),
        "ctr": (55 / 4500, 60 / 6000),
        "conversions": (4.0, 6.0),
        "revenue": (110.0, 260.0),
        "cpa": (15.0, 10.0),
        "roas": (110 / 60, 260 / 60),
    }
    for metric, (value, prior) in expected.items():
        row = kpi(result, "total", "all", metric)
        assert row.value == pytest.approx(value), metric
        assert row.prior_value == pytest.approx(prior), metric
        assert row.change == pytest.approx(value - prior), metric
        assert row.change_share == pytest.approx(value / prior - 1), metric
        assert (row.days, row.prior_days) == (2, 2)
        assert row.prior_start == pd.Timestamp("2026-01-01") and row.prior_end == pd.Timestamp("2026-01-02")


def test_channel_platform_and_campaign_levels():
    result = run()
    assert kpi(result, "channel", "google_ads", "spend").value == 30.0
    assert kpi(result, "channel", "google_ads", "roas").value == pytest.approx(2.0)
    assert kpi(result, "channel", "google_ads", "roas").prior_value == pytest.approx(3.0)
    assert kpi(result, "platform", "meta_ads", "spend").value == 30.0
    assert kpi(result, "platform", "meta_ads", "spend").prior_value == 40.0
    assert kpi(result, "channel", "meta_ads", "cpa").value == pytest.approx(30.0)
    # a campaign without conversions has no CPA; one without prior spend has no relative change
    assert np.isnan(kpi(result, "campaign", "meta_ads:m1", "cpa").value)
    new = kpi(result, "campaign", "meta_ads:m2", "spend")
    assert (new.value, new.prior_value) == (10.0, 0.0) and np.isnan(new.change_share)
    assert kpi(result, "campaign", "meta_ads:m2", "spend").channel_id == "meta_ads"
    assert kpi(result, "campaign", "meta_ads:m2", "spend").label == "Generic (EU)"
    assert kpi(result, "platform", "google_ads", "spend").label == "Google Ads"


def test_site_purchases_by_purchase_day_and_session_channel():
    result = run()
    assert kpi(result, "total", "all", "site_conversions").value == 4
    assert kpi(result, "total", "all", "site_conversions").prior_value == 4
    assert kpi(result, "total", "all", "site_revenue").value == 140.0
    assert kpi(result, "total", "all", "site_revenue").prior_value == 210.0
    google = kpi(result, "channel", "google_ads", "site_roas")
    assert (google.value, google.prior_value) == (pytest.approx(60 / 30), pytest.approx(60 / 20))
    assert google.source == "ga4_conversions"
    assert kpi(result, "channel", "direct", "site_revenue").value == 50.0
    assert np.isnan(kpi(result, "channel", "direct", "site_roas").value)  # no spend
    frame = result.outputs["report_kpis"]
    assert frame[(frame.key == "direct") & (frame.source == "ad_platforms")].empty
    assert "| Direct | USD" not in result.artifacts["report.md"].split("## By channel")[1].split("## By platform")[0]


def test_shorter_prior_period_compares_daily_averages():
    result = run(params=ReportingParameters(prior_days=1))  # prior: 01-02 only
    spend = kpi(result, "total", "all", "spend")
    assert spend.prior_value == 50.0 and spend.prior_days == 1
    assert spend.change_share == pytest.approx((60 / 2) / (50 / 1) - 1)
    roas = kpi(result, "total", "all", "roas")
    assert roas.change_share == pytest.approx((110 / 60) / (230 / 50) - 1)


def test_no_prior_data_leaves_prior_empty():
    early = RunContext(window_start=date(2025, 12, 31), window_end=date(2025, 12, 31), run_id="early")
    result = run(context=early)
    spend = kpi(result, "total", "all", "spend")
    assert spend.value == 1000.0 and np.isnan(spend.prior_value) and np.isnan(spend.change_share)
    assert "has ad data on 0 of 1 days" in result.artifacts["report.md"]


def test_late_ad_data_is_stated():
    late = CONTEXT.model_copy(update={"window_end": date(2026, 1, 6)})
    markdown = run(context=late).artifacts["report.md"]
    assert "Ad data ends on 2026-01-04, 2 day(s) before the window end" in markdown
    assert "Ad data ends" not in run().artifacts["report.md"]


def test_periods_default_to_the_window_length():
    periods = Periods.before(date(2026, 1, 29), date(2026, 2, 25))
    assert (periods.days, periods.prior_days) == (28, 28)
    assert (periods.prior_start, periods.prior_end) == (date(2026, 1, 1), date(2026, 1, 28))


def test_attributed_counts_and_model_intervals():
    result = run()
    assert kpi(result, "channel", "google_ads", "attributed_conversions").value == 2
    assert kpi(result, "channel", "google_ads", "attributed_revenue").value == 30.0
    assert kpi(result, "total", "all", "attributed_conversions").value == 5  # every conversion once
    assert kpi(result, "total", "all", "attributed_revenue").value == 150.0
    model = kpi(result, "channel", "google_ads", "model_conversions")
    assert (model.value, model.value_low, model.value_high) == (1.6, 1.0, 2.2)
    assert model.source == "attribution_channel_summary_v1" and np.isnan(model.prior_value)
    assert kpi(result, "total", "all", "model_conversions").value == pytest.approx(5.0)
    assert np.isnan(kpi(result, "total", "all", "model_conversions").value_low)
    assert kpi(result, "channel", "meta_ads", "model_roas").value_low == 1.0
    assert not result.outputs["report_kpis"].is_stale.any()


def test_spend_up_and_site_roas_down_is_an_alert_with_binomial_confidence():
    result = run()
    alerts = {d.subject: d for d in result.decisions}
    assert set(alerts) == {"channel:google_ads"}  # spend 20 -> 30 (+50%), site ROAS 60/20 -> 60/30
    alert = alerts["channel:google_ads"]
    assert alert.kind == "kpi_alert" and alert.value == pytest.approx(-1 / 3)
    # purchases 2 on spend 30 vs 2 on spend 20: 1 - P(X <= 2), X ~ Binomial(4, 0.6) = 4*0.6^3*0.4 + 0.6^4
    assert alert.confidence == pytest.approx(4 * 0.6**3 * 0.4 + 0.6**4, abs=1e-4)
    quiet = run(params=ReportingParameters(alert_spend_increase=0.6))
    assert quiet.decisions == []


def test_html_is_self_contained_and_states_the_context():
    html = run(segment_summary=SEGMENTS, budget_recommendations=BUDGET).artifacts["report.html"]
    assert not re.search(r"https?://", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html and " src=" not in html
    assert html.count("<svg") >= 5  # trend, spend, ROAS, attribution, segments, budget
    assert "Window 2026-01-03 to 2026-01-04 (2 days)" in html
    assert "prior period 2026-01-01 to 2026-01-02 (2 days)" in html
    assert "Attribution model markov, attribution version v2" in html and "attribution_credit v1, pinned" in html
    assert "STALE" not in html and "not available in this run" in html  # pacing and creatives did not run


def test_markdown_and_html_show_the_same_headline_numbers():
    result = run()
    markdown, html = result.artifacts["report.md"], result.artifacts["report.html"]
    rows = {  # formatted by hand from the totals above
        "Spend": ("USD 60", "USD 60", "+0.0%"),
        "Impressions": ("4,500", "6,000", "-25.0%"),
        "CTR": ("1.22%", "1.00%", "+22.2%"),
        "CPA": ("USD 15.00", "USD 10.00", "+50.0%"),
        "ROAS": ("1.83", "4.33", "-57.7%"),
        "Purchases (site)": ("4", "4", "+0.0%"),
        "Revenue (site)": ("USD 140", "USD 210", "-33.3%"),
    }
    for label, cells in rows.items():
        assert f"| {label} | {' | '.join(cells)} |" in markdown
        assert f"<td>{label}</td>" + "".join(f"<td class=n>{c}</td>" for c in cells) in html
    assert "Conversions in the window (GA4, attributed to channels): 5, revenue USD 150." in markdown
    assert "Conversions in the window (GA4, attributed to channels): 5, revenue USD 150." in html


def test_stale_inputs_are_marked_in_both_formats_and_in_the_table():
    stale = CONTEXT.model_copy(update={"stale_inputs": ("attribution_credit",)})
    result = run(context=stale)
    html, markdown = result.artifacts["report.html"], result.artifacts["report.md"]
    assert "STALE INPUTS: attribution_credit" in html and "STALE INPUTS: attribution_credit" in markdown
    assert '<span class="badge stale">STALE: attribution_credit</span>' in html
    assert "## Attributed conversions and revenue — **STALE: attribution_credit**" in markdown
    kpis = result.outputs["report_kpis"]
    assert set(kpis[kpis.is_stale].metric) == {"attributed_conversions", "attributed_revenue"}
    assert validate_frame(kpis, CONTRACT.version(1), "report_kpis") == []


def test_report_renders_when_no_other_agent_ran():
    empty = {name: pd.DataFrame() for name in ("attribution_credit", "attribution_channel_summary")}
    result = run(**empty)
    kpis = result.outputs["report_kpis"]
    assert set(kpis.source) == {"ad_platforms", "ga4_conversions"}
    assert validate_frame(kpis, CONTRACT.version(1), "report_kpis") == []
    markdown = result.artifacts["report.md"]
    for title in ("Attributed conversions and revenue", "Customer segments", "Budget recommendations"):
        assert f"## {title} — _not available in this run_" in markdown
    assert '<section id="segment_summary" class="missing">' in result.artifacts["report.html"]


def test_optional_sections_show_segments_and_budget():
    result = run(segment_summary=SEGMENTS, budget_recommendations=BUDGET)
    markdown = result.artifacts["report.md"]
    champions = "| champions | 10 | 25.0% | 40 | USD 4,000 | 72.7% | USD 100.00 | google_ads | active & frequent |"
    assert champions in markdown
    assert "| Google Ads | USD 15 | USD 18 | +20.0% | USD 4 [USD 1 – USD 7] | no | marginal ROAS" in markdown
    assert "| Google Ads | 2 | USD 30 | 1.6 [1.0 – 2.2] | USD 32 [USD 20 – USD 45] | 1.07 [0.60 – 1.50] | no |" in (
        markdown
    )
