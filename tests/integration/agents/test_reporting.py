"""The reporting agent on the demo warehouse, through the runtime, after the real attribution and budget agents.

Checks the report's conversion totals against fct_conversions, its ad KPIs against an independent SQL
aggregation of the mart (window and prior period), the saved artifacts, and stale marking (with the toy
attribution producer, which is quicker).
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta

import pandas as pd
import pytest

from agents.attribution import AGENT as ATTRIBUTION
from agents.budget_optimizer import AGENT as BUDGET
from agents.reporting import AGENT
from mops.core.contracts import Contract, load_contracts, validate_frame
from mops.core.runtime.context import RunContext
from mops.core.runtime.runner import Runner
from mops.core.warehouse.adapter import DuckDBWarehouse
from tests.conftest import DEMO_END_DATE, make_settings
from tests.toy_agents import ATTRIBUTION_V2

DAY = date.fromisoformat(DEMO_END_DATE)
CONTEXT = RunContext.for_day(DAY, 28, attribution_model="markov", run_id="report-a")


def contracts_for(warehouse) -> dict[str, Contract]:
    """The project's contracts, plus a stand-in for each optional input whose producer's contract is not
    merged yet (its table then does not exist, which is what the report must survive)."""
    contracts = dict(load_contracts(warehouse.settings.contracts_dir / "agents"))
    for read in AGENT.manifest.reads:
        if read.optional and read.name not in contracts:
            columns = [{"name": c, "type": "varchar", "nullable": True} for c in read.columns]
            contracts[read.name] = Contract.model_validate(
                {
                    "table": read.name,
                    "owner": "stand-in",
                    "description": "stand-in until the producer's contract is merged",
                    "versions": [{"version": 1, "grain": "-", "key": list(read.key), "columns": columns}],
                }
            )
    return contracts


@pytest.fixture
def warehouse(built_warehouse, tmp_path):
    settings = make_settings(tmp_path)
    shutil.copy(built_warehouse.settings.warehouse_path, settings.warehouse_path)
    with DuckDBWarehouse(settings) as wh:
        yield wh


def sql_kpis(warehouse, start: date, end: date) -> pd.DataFrame:
    """Independent: the ad KPIs per channel straight from the mart."""
    return warehouse.query(
        """
        select channel_id,
               sum(spend_in_reporting_currency)::double as spend,
               sum(impressions)::double as impressions,
               sum(clicks)::double as clicks,
               sum(conversions)::double as conversions,
               sum(conversion_value_in_reporting_currency)::double as revenue,
               sum(conversion_value_in_reporting_currency)::double / sum(spend_in_reporting_currency)::double as roas
        from marts.fct_ad_performance_daily_v1
        where date_day between ? and ?
        group by channel_id
        """,
        [start, end],
    ).set_index("channel_id")


def written_kpis(warehouse, context: RunContext) -> pd.DataFrame:
    return warehouse.query("select * from agents.report_kpis_v1 where _mops_context_key = ?", [context.key])


def test_report_totals_match_the_warehouse(warehouse):
    runner = Runner(warehouse, contracts=contracts_for(warehouse))
    runner.run(ATTRIBUTION, CONTEXT)
    runner.run(BUDGET, CONTEXT)
    run = runner.run(AGENT, CONTEXT)
    assert run.status == "succeeded"

    kpis = written_kpis(warehouse, CONTEXT)
    contract = runner.contracts["report_kpis"].version(1)
    assert validate_frame(kpis[[c for c in kpis if not c.startswith("_mops_")]], contract, "report_kpis") == []

    conversions = warehouse.query(
        "select count(*) as n, sum(revenue_in_reporting_currency)::double as revenue from marts.fct_conversions_v1 "
        "where converted_at >= ? and converted_at < ?",
        [CONTEXT.window_start, CONTEXT.window_end + timedelta(days=1)],
    ).iloc[0]
    total = kpis[(kpis.level == "total") & (kpis.metric == "attributed_conversions")].value.item()
    assert conversions.n > 100 and total == conversions.n
    revenue = kpis[(kpis.level == "total") & (kpis.metric == "attributed_revenue")].value.item()
    assert revenue == pytest.approx(conversions.revenue, rel=1e-9)
    # the model's fractional credit adds up to the same conversions; every channel has an interval around it
    model = kpis[(kpis.metric == "model_conversions")]
    assert model[model.level == "total"].value.item() == pytest.approx(conversions.n, rel=1e-9)
    channels_model = model[model.level == "channel"]
    assert (
        (channels_model.value_low <= channels_model.value) & (channels_model.value <= channels_model.value_high)
    ).all()
    per_channel = (
        warehouse.query(
            "select channel_id, count(*)::double as n from agents.attribution_credit_v1 "
            "where _mops_context_key = ? group by channel_id",
            [CONTEXT.key],
        )
        .set_index("channel_id")
        .n
    )
    attributed = kpis[(kpis.level == "channel") & (kpis.metric == "attributed_conversions")].set_index("key").value
    # channels with model credit but no whole conversion (e.g. 'other') show 0
    expected = per_channel.reindex(attributed.index, fill_value=0.0)
    assert set(per_channel.index) <= set(attributed.index)
    pd.testing.assert_series_equal(attributed.sort_index(), expected.sort_index(), check_names=False)

    prior_end = CONTEXT.window_start - timedelta(days=1)
    now, before = (
        sql_kpis(warehouse, CONTEXT.window_start, CONTEXT.window_end),
        sql_kpis(warehouse, prior_end - timedelta(days=27), prior_end),
    )
    channels = kpis[(kpis.level == "channel") & (kpis.source == "ad_platforms")]
    for metric in ("spend", "impressions", "clicks", "conversions", "revenue", "roas"):
        got = channels[channels.metric == metric].set_index("key")
        assert got.value.sort_index().to_numpy() == pytest.approx(now[metric].sort_index().to_numpy(), rel=1e-9)
        assert got.prior_value.sort_index().to_numpy() == pytest.approx(
            before[metric].sort_index().to_numpy(), rel=1e-9
        )
    assert run.metrics["total_spend"] == pytest.approx(now.spend.sum(), rel=1e-9)
    site = warehouse.query(
        "select session_channel_id as key, count(*)::double as n, sum(revenue_in_reporting_currency)::double as r "
        "from marts.fct_conversions_v1 where converted_at >= ? and converted_at < ? group by 1",
        [CONTEXT.window_start, CONTEXT.window_end + timedelta(days=1)],
    ).set_index("key")
    site_rows = kpis[(kpis.level == "channel") & (kpis.source == "ga4_conversions")]
    purchases = site_rows[site_rows.metric == "site_conversions"].set_index("key").value
    assert purchases.sort_index().to_numpy() == pytest.approx(site.n.sort_index().to_numpy())
    site_roas = site_rows[site_rows.metric == "site_roas"].set_index("key").value.dropna()
    assert site_roas.sort_index().to_numpy() == pytest.approx(
        (site.r / now.spend).dropna().sort_index().to_numpy(), rel=1e-9
    )

    html = run.artifacts["report.html"].read_text()
    markdown = run.artifacts["report.md"].read_text()
    assert run.artifacts["report.html"].parent == warehouse.settings.var_path / "runs" / "report-a" / "reporting"
    assert not re.search(r"https?://", html)
    statement = f"Window {CONTEXT.window_start} to {CONTEXT.window_end} (28 days)"
    assert statement in html and statement in markdown
    assert "Attribution model markov, attribution version v2" in markdown
    headline = f"Conversions in the window (GA4, attributed to channels): {int(conversions.n):,}"
    assert headline in html and headline in markdown
    assert "## Customer segments — _not available in this run_" in markdown  # segmentation did not run
    recommendations = warehouse.query(  # this context's rows (other tests may write other contexts to the build)
        "select channel_id from agents.budget_recommendations_v1 where _mops_context_key = ?", [CONTEXT.key]
    ).channel_id
    budget = markdown.split("## Budget recommendations")[1].split("\n## ")[0]
    assert len(recommendations) > 0 and budget.count("\n| ") == len(recommendations) + 1  # header + one per channel


def test_stale_attribution_is_read_from_the_earlier_run_and_marked(warehouse):
    runner = Runner(warehouse, contracts=contracts_for(warehouse))
    runner.run(ATTRIBUTION_V2, CONTEXT)
    # the next day's run: attribution failed under the skip policy, so the engine lets reporting read yesterday's
    today = RunContext.for_day(
        DAY + timedelta(days=1), 28, attribution_model="markov", run_id="report-b", stale_inputs=("attribution_credit",)
    )
    run = runner.run(AGENT, today)
    kpis = written_kpis(warehouse, today)
    stale = kpis[kpis.is_stale]
    assert set(stale.metric) == {"attributed_conversions", "attributed_revenue"} and len(stale) > 2
    assert not kpis[kpis.source == "ad_platforms"].is_stale.any()
    markdown = run.artifacts["report.md"].read_text()
    assert "STALE INPUTS: attribution_credit" in markdown
    assert "STALE: attribution_credit" in run.artifacts["report.html"].read_text()


def test_report_without_attribution_says_so(warehouse):
    run = Runner(warehouse, contracts=contracts_for(warehouse)).run(AGENT, CONTEXT)
    kpis = written_kpis(warehouse, CONTEXT)
    assert set(kpis.source) == {"ad_platforms", "ga4_conversions"}
    assert (
        "## Attributed conversions and revenue — _not available in this run_" in run.artifacts["report.md"].read_text()
    )
