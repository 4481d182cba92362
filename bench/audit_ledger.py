"""Cost of the audit ledger: time per append, and `verify` over a year of simulated daily runs.

A daily run writes a few entries (the run, each decision decided, grants, refusals); the year is
simulated at ENTRIES_PER_DAY (a generous bound) with the real writer, so the chain is genuine.
Writes bench/results/audit_ledger.json and prints the numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from mops.core.governance.ledger import Ledger
from mops.core.settings import Settings
from mops.core.warehouse.adapter import open_warehouse

RESULTS = Path(__file__).parent / "results" / "audit_ledger.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--entries-per-day", type=int, default=20)
    parser.add_argument("--warehouse-url", default=None, help="PostgreSQL URL (default: a DuckDB file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = Settings(warehouse=str(root / "w.duckdb"), var_dir=root / "var", warehouse_url=args.warehouse_url)
        with open_warehouse(settings) as warehouse:
            book = Ledger(warehouse, settings.audit_head_path)
            total = args.days * args.entries_per_day
            started = time.perf_counter()
            for i in range(total):
                book.append(f"user{i % 7}", "run_agent", f"agent:a{i % 5}", {"day": i // args.entries_per_day}, f"r{i}")
            append_s = time.perf_counter() - started
            started = time.perf_counter()
            result = book.verify()
            verify_s = time.perf_counter() - started
    assert result.ok, result.problem
    numbers = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "backend": "postgres" if args.warehouse_url else "duckdb",
        "days": args.days,
        "entries_per_day": args.entries_per_day,
        "entries": total,
        "append_ms_per_entry": round(1000 * append_s / total, 2),
        "per_daily_run_s": round(append_s / args.days, 3),
        "verify_s": round(verify_s, 2),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(numbers, indent=2) + "\n")
    print(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
