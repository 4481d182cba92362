"""Large history by tiling: the exports of a smaller scale repeated as independent copies of its web world.

The demo generator holds its whole world in memory, so beyond ~30x it needs more than the shared machine has
(at 100x it passed 14 GB while still writing GA4). The history that grows with scale is the GA4 export, so a
100x history is the 10x exports with every GA4 file holding ten copies of its events: copy k's browsers
(`user_pseudo_id`) and transactions (`ecommerce.transaction_id`) get the suffix `.t<k>`, so its sessions,
journeys and purchases are new ones; logins (`user_id`) keep the same CRM contacts. The ad platforms, CRM,
plan and finance exports are linked unchanged: their size is set by campaigns and days, not users.
Written file by file with DuckDB (COPY streams), so memory stays that of one monthly file.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import duckdb

GA4_EVENTS = Path("ga4") / "events"


def _tiled_select(source: Path, tiles: int) -> str:
    copies = []
    for k in range(tiles):
        suffix = "" if k == 0 else f".t{k}"
        copies.append(
            f"""select * replace (
                   user_pseudo_id || '{suffix}' as user_pseudo_id,
                   case when ecommerce is null then null else struct_pack(
                       transaction_id := ecommerce.transaction_id || '{suffix}',
                       purchase_revenue := ecommerce.purchase_revenue,
                       purchase_revenue_in_usd := ecommerce.purchase_revenue_in_usd
                   ) end as ecommerce
               ) from read_parquet('{source}')"""
        )
    return "\nunion all\n".join(copies)


def tile_exports(base: Path, target: Path, tiles: int) -> Path:
    """`target` = `base` (a cached history folder: landing/ and days/) with each GA4 file tiled `tiles` times."""
    if (target / "done.json").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    con.execute("set enable_progress_bar = false")
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.name == "done.json":
            continue
        out = target / path.relative_to(base)
        out.parent.mkdir(parents=True, exist_ok=True)
        if GA4_EVENTS.as_posix() in path.relative_to(base).as_posix() and path.suffix == ".parquet":
            con.execute(f"copy ({_tiled_select(path, tiles)}) to '{out}' (format parquet)")
        else:
            os.link(path, out)
    (target / "done.json").write_text(
        json.dumps({"tiled_from": str(base), "tiles": tiles, "generate_s": round(time.perf_counter() - started, 1)})
    )
    return target
