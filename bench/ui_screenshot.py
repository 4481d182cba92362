"""Screenshots of the Prefect UI for the docs: the latest run of a workflow (graph, logs, artifacts).

Headless Chromium (Debian's `chromium`, driven by Playwright through executable_path). Uses the
project's persistent server (`mops server start`) unless --api is given. Writes PNGs to docs/screenshots/.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def latest_run(api: str, workflow: str, state: str | None = None):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    wanted = FlowRunFilter(tags=FlowRunFilterTags(all_=[f"workflow:{workflow}"]))
    if state:
        wanted.state = FlowRunFilterState(type=FlowRunFilterStateType(any_=[state]))
    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=wanted, sort=FlowRunSort.START_TIME_DESC, limit=1)
    if not runs:
        raise SystemExit(f"no {state or ''} run of {workflow} on {api}")
    return runs[0]


def shoot(api: str, flow_run_id, name: str, tabs: list[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    ui = api.removesuffix("/api")
    shots = []
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{ui}/runs/flow-run/{flow_run_id}", wait_until="networkidle")
        time.sleep(3)  # the graph draws after the data arrives
        for tab in tabs:
            if tab != "Logs":
                page.get_by_text(tab, exact=True).first.click()
                page.wait_for_load_state("networkidle")
                time.sleep(2)
            target = OUT / f"{name}-{tab.lower().replace(' ', '-')}.png"
            page.screenshot(path=str(target), full_page=True)
            shots.append(target)
        browser.close()
    return shots


def main() -> None:
    from mops.app.server import running_url
    from mops.core.settings import get_settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--api", default=None, help="Prefect API URL (default: the project's persistent server)")
    parser.add_argument("--workflow", default="daily")
    args = parser.parse_args()
    api = args.api or running_url(get_settings())
    if not api:
        raise SystemExit("no Prefect server: `mops server start` first (or --api)")
    run = latest_run(api, args.workflow)
    for shot in shoot(api, run.id, f"{args.workflow}-run", ["Logs", "Task Runs", "Artifacts"]):
        print(shot)
    try:
        paused = latest_run(api, args.workflow, "PAUSED")
    except SystemExit:
        return
    for shot in shoot(api, paused.id, f"{args.workflow}-approval-pending", ["Logs"]):
        print(shot)


if __name__ == "__main__":
    main()
