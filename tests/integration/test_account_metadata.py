"""Account metadata: from the report rows, else the account exports, else landing/accounts/settings/.

A missing currency or time zone is refused at build with what to export and where, not a test name;
a landing folder without GA4 (a required source) still builds the ad marts and says what it skipped.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from tests.conftest import DEMO_END_DATE, FX_SEED, make_settings

pytestmark = pytest.mark.slow


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_missing_account_metadata_is_refused_with_what_to_export_until_a_settings_file_fills_it(tmp_path, monkeypatch):
    from demo import generate
    from demo.world import DemoConfig
    from mops.app.cli import app

    full = tmp_path / "full"
    generate(DemoConfig(end_date=DEMO_END_DATE, scale=0.1, users=1_000), full, FX_SEED)
    settings = make_settings(tmp_path)
    landing = settings.landing_path
    for table in ("meta_ads/insights", "linkedin_ads/ad_analytics"):  # no account exports, no GA4
        shutil.copytree(full / table, landing / table)
    for name, value in {
        "MOPS_WAREHOUSE": str(settings.warehouse_path),
        "MOPS_VAR_DIR": str(settings.var_path),
        "MOPS_LANDING_DIR": str(landing),
        "COLUMNS": "250",
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def build():
        assert runner.invoke(app, ["ingest"]).exit_code == 0
        return runner.invoke(app, ["build"])

    first = build()
    assert first.exit_code == 1
    text = _flat(first.output)
    assert "export the LinkedIn campaigns (GET /adCampaigns) into landing/linkedin_ads/campaigns/" in text
    # GA4 is required for the web marts: they are skipped, named with the folder, not failed
    assert "skipped: fct_touchpoints: required input missing: no data from" in text and "ga4/events/" in text

    shutil.copytree(full / "linkedin_ads/campaigns", landing / "linkedin_ads/campaigns")
    second = build()
    assert second.exit_code == 1
    text = _flat(second.output)
    meta_accounts = sorted({p.name.split("_")[1] for p in (landing / "meta_ads/insights").iterdir()})
    linkedin_account = json.loads((landing / "linkedin_ads/campaigns").glob("*").__next__().read_text().split("\n")[0])
    linkedin_account = linkedin_account["account"].rsplit(":", 1)[1]
    for account in meta_accounts:
        assert (
            f"meta_ads account {account} has no time zone: export the Meta ad accounts "
            "(GET /act_<id>?fields=account_id,name,currency,timezone_name) into landing/meta_ads/ad_accounts/, "
            "or add a row (platform, account_id, currency_code, time_zone) to landing/accounts/settings/*.csv"
        ) in text
    assert f"linkedin_ads account {linkedin_account} has no currency" in text
    assert "account_metadata_present" not in text.split("dbt build failed")[0]  # the cause, not the test name

    rows = [f"meta_ads,{a},EUR,Asia/Tokyo" for a in meta_accounts] + [f"linkedin_ads,{linkedin_account},GBP,"]
    (landing / "accounts/settings").mkdir(parents=True)
    (landing / "accounts/settings/accounts.csv").write_text(
        "platform,account_id,currency_code,time_zone\n" + "\n".join(rows) + "\n"
    )
    third = build()
    assert third.exit_code == 0, third.output
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        campaigns = con.execute(
            "select platform, account_id, any_value(account_currency), any_value(account_time_zone) "
            "from marts.dim_campaigns_v1 group by all order by all"
        ).fetchall()
        meta_currency = dict(
            con.execute("select distinct account_id, account_currency from raw.meta_ads__insights").fetchall()
        )
    for platform, account, currency, zone in campaigns:
        if platform == "meta_ads":  # the report rows' currency wins over the settings file; the zone fills in
            assert (currency, zone) == (meta_currency[account], "Asia/Tokyo")
        else:
            assert (platform, account, currency, zone) == ("linkedin_ads", linkedin_account, "GBP", "UTC")
