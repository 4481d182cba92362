"""`mops check` reads only the landing folder: what is present, what is missing, what can run."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from mops.app.cli import app


def _drop(landing: Path, *tables: str) -> None:
    for table in tables:
        folder = landing / table
        folder.mkdir(parents=True)
        (folder / "export.csv").write_text("a\n1\n")  # check reads names, not contents


def _check(landing: Path):
    return CliRunner().invoke(app, ["check", str(landing)], env={"COLUMNS": "250"})


def test_google_ads_and_ga4_alone_can_run_every_required_mart_and_name_what_is_skipped(tmp_path):
    _drop(tmp_path, "google_ads/campaign_stats", "ga4/events")
    result = _check(tmp_path)
    assert result.exit_code == 0, result.output
    assert "required and missing" not in result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") >= 3}
    assert "1 file(s)" in lines["ga4.events"] and "required" in lines["ga4.events"]
    assert "built empty" in lines["fct_budget_plan_daily"] and "plan/budget_plan/" in lines["fct_budget_plan_daily"]
    assert "yes" in lines["fct_touchpoints"]
    assert "skipped" in lines["pacing"] and "fct_budget_plan_daily is empty" in lines["pacing"]
    assert "skipped" in lines["content_performance"]
    assert "skipped" in lines["segmentation"] and "hubspot/contacts/" in lines["segmentation"]
    assert "yes" in lines["attribution"] and "yes" in lines["reporting"]


def test_a_missing_required_source_is_named_and_exits_1(tmp_path):
    _drop(tmp_path, "meta_ads/insights")
    result = _check(tmp_path)
    assert result.exit_code == 1
    assert "required and missing" in result.output and "ga4/events/" in result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") >= 3}
    assert "no" in lines["fct_touchpoints"].split("│")[2]
    assert "skipped" in lines["attribution"] and "fct_conversion_paths is not built" in lines["attribution"]
    # Meta's report rows carry no time zone: check says which export gives it
    assert "meta_ads/ad_accounts/" in lines["meta_ads.insights"]


def test_every_source_is_listed_with_present_files_counted(tmp_path):
    _drop(tmp_path, "google_ads/campaign_stats", "ga4/events", "plan/budget_plan", "hubspot/contacts")
    (tmp_path / "ga4" / "events" / "more.jsonl").write_text("{}\n")
    result = _check(tmp_path)
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") >= 3}
    assert "2 file(s)" in lines["ga4.events"]
    assert "skipped" not in lines["pacing"] and "skipped" not in lines["segmentation"]
    assert lines["tiktok_ads.campaign_report"].split("│")[2].strip() == "-"
