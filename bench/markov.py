"""Markov attribution on 10M journeys: path keys, transition design and the exact removal effects, timed.

The journeys frame is synthetic (what `build_journeys` returns: one row per journey with its path):
paths are random walks over 8 channels drawn from a pool of distinct paths with a heavy-tailed
popularity, so the frame has the many repeated short paths and the long tail of real data.
Usage: python bench/markov.py [journeys] (default 10,000,000); writes bench/results/markov.json.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.attribution import markov  # noqa: E402
from agents.attribution.journeys import SEPARATOR, Journeys  # noqa: E402
from agents.attribution.models import _keys, fit  # noqa: E402
from agents.attribution.parameters import AttributionParameters  # noqa: E402

PARTS = ("path_keys", "transition_design", "removal_effects")
CHANNELS = ["paid_search", "paid_social", "display", "email", "organic_search", "direct", "referral", "video"]


def synthetic_journeys(n: int, pool: int = 300_000, seed: int = 7) -> Journeys:
    """What `build_journeys` returns for n journeys: a journeys frame (with `path`) and its touches."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(0.45, size=pool), 12)
    walks = rng.integers(0, len(CHANNELS), size=lengths.sum())
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    names = np.array(CHANNELS, dtype=object)
    paths = np.array([SEPARATOR.join(names[walks[bounds[i] : bounds[i + 1]]]) for i in range(pool)], dtype=object)
    lift = np.array([0.02, 0.015, 0.005, 0.03, 0.02, 0.01, 0.012, 0.004])
    p_convert = np.clip(np.add.reduceat(lift[walks], bounds[:-1]), 0.001, 0.6)
    popularity = 1.0 / np.arange(1, pool + 1) ** 1.1
    pick = rng.choice(pool, size=n, p=popularity / popularity.sum())
    converted = rng.random(n) < p_convert[pick]
    journeys = pd.DataFrame(
        {
            "journey_id": np.arange(n),  # the Markov fit never reads it; strings would only cost memory here
            "is_converted": converted,
            "conversion_value": np.where(converted, rng.gamma(2.0, 40.0, size=n), 0.0),
            "path": paths[pick],
        }
    )
    per_journey = lengths[pick]
    first = np.repeat(bounds[pick], per_journey)
    position = np.arange(per_journey.sum()) - np.repeat(np.cumsum(per_journey) - per_journey, per_journey)
    touches = pd.DataFrame(
        {
            "journey": np.repeat(np.arange(n), per_journey),
            "channel_id": names[walks[first + position]],
            "position": position,
        }
    )
    return Journeys(journeys=journeys, touches=touches)


def _timed(label: str, timings: dict, call):
    """Wall time, and this process's CPU time (what the machine's other load does not inflate)."""
    clock, cpu = time.perf_counter(), time.process_time()
    value = call()
    timings[label] = round(time.perf_counter() - clock, 2)
    timings[label.replace("_s", "_cpu_s")] = round(time.process_time() - cpu, 2)
    return value


def run(n: int, order: int, data: Journeys) -> dict:
    timings: dict[str, float] = {}
    keys, _ = _timed("path_keys_s", timings, lambda: _keys(data.journeys))
    design = _timed(
        "transition_design_s",
        timings,
        lambda: markov.transition_design(keys["path"].tolist(), keys["is_converted"].tolist(), order),
    )
    counts = keys["n"].to_numpy().astype(float)
    shares = _timed("removal_effects_s", timings, lambda: markov.channel_shares(markov.removal_effects(design, counts)))
    params = AttributionParameters(markov_order=order)
    fitted = _timed("agent_markov_fit_s", timings, lambda: fit(data, "markov", params))
    replicate = _timed("one_bootstrap_refit_s", timings, lambda: fitted.refit(counts))
    assert np.isclose(replicate.sum(), float(counts @ keys["is_converted"].to_numpy()))
    return {
        "journeys": n,
        "touches": len(data.touches),
        "markov_order": order,
        "path_keys": len(keys),
        "states": len(design.states),
        **timings,
        "markov_exact_s": round(sum(timings[f"{p}_s"] for p in PARTS), 2),
        "markov_exact_cpu_s": round(sum(timings[f"{p}_cpu_s"] for p in PARTS), 2),
        "load_average_1min": os.getloadavg()[0],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "shares": {k: round(float(v), 6) for k, v in shares.items()},
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    clock = time.perf_counter()
    data = synthetic_journeys(n)
    print(f"generated {n:,} journeys in {time.perf_counter() - clock:.1f} s")
    results = [run(n, order, data) for order in (1, 2)]
    for r in results:
        print({k: v for k, v in r.items() if k != "shares"})
    out = ROOT / "bench" / "results" / "markov.json"
    out.write_text(json.dumps({"machine": "2 shared cores", "runs": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
