"""Every attribution model against causal truth in every simulated world, at 1x and 10x.

    python bench/attribution_worlds.py [--scales 1 10] [--worlds lagged_purchase funnel] [--bootstrap 200]
    python bench/attribution_worlds.py --intervals --seeds 42 7 13 [--scales 1] [--worlds ...]

For each world and scale the demo simulator generates 180 days; the journeys are built from its sessions
and purchases the way the path mart builds them (int_conversion_paths_built: every touch after the user's previous
purchase; the touches after the last purchase form one non-converting journey),
and the attribution agent runs every model over the whole period. Per model: the largest absolute error of a
channel's conversion share against the world's true share, and (for models with bootstrap intervals) the share
of channels whose interval covers the true share. Results go to bench/results/attribution_worlds.json.

`--intervals` measures the counterfactual model's intervals per world, scale and simulation seed, before
(`sampling`: one specification, model-based parameter draws) and after (`exchangeable`, the default: a
prediction interval over the specifications; or `--modes` with `specifications` and `centred`): coverage of
the true shares, mean width (share points) and mean width relative to the share, and the agent's wall time;
stored under "counterfactual_intervals".
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from agents.attribution import AGENT, AttributionParameters
from demo.simulate import FxTable, simulate
from demo.world import ORGANIC_CHANNELS, PAID_CHANNELS, DemoConfig
from mops.core.runtime.context import ATTRIBUTION_MODELS, RunContext

ROOT = Path(__file__).resolve().parents[1]
END = "2026-06-30"
INTERVAL_MODELS = ("markov", "shapley", "counterfactual")


def conversion_paths(
    sessions: pd.DataFrame, conversions: pd.DataFrame, history_days: int | None = None
) -> pd.DataFrame:
    """fct_conversion_paths from simulated sessions and purchases (the mart's rules, in pandas): every touch
    since the user's previous purchase; `history_days`: only those within that many days before the purchase
    (the mart capped converting paths at the 30-day lookback until DECISIONS: attribution lag)."""
    s = sessions[["user_idx", "channel_id", "started_at", "session_id"]].copy()
    c = conversions[["user_idx", "converted_at", "transaction_id", "revenue_usd"]].copy()
    epoch = pd.Timestamp("2000-01-01")
    base = 10**10

    def key(users: pd.Series, at: pd.Series) -> np.ndarray:
        return users.to_numpy(np.int64) * base + ((at - epoch).dt.total_seconds().to_numpy() * 1000 // 1000).astype(
            np.int64
        )

    c = c.sort_values(["user_idx", "converted_at"]).reset_index(drop=True)
    c["conversion_number"] = c.groupby("user_idx").cumcount() + 1
    conv_keys = key(c.user_idx, c.converted_at)
    before = np.searchsorted(conv_keys, key(s.user_idx, s.started_at), side="left")
    first = np.searchsorted(conv_keys, s.user_idx.to_numpy(np.int64) * base, side="left")
    s["journey_number"] = before - first + 1
    s = s.merge(
        c.rename(columns={"conversion_number": "journey_number"}), on=["user_idx", "journey_number"], how="left"
    )
    converting = s.transaction_id.notna()
    if history_days is not None:
        s = s[~converting | (s.started_at >= s.converted_at - pd.Timedelta(days=history_days))]
    s = s.sort_values(["user_idx", "journey_number", "started_at", "session_id"])
    journey = s.groupby(["user_idx", "journey_number"], sort=False)
    ended = s.converted_at.fillna(journey.started_at.transform("max"))
    s["hours"] = ((ended - s.started_at).dt.total_seconds() / 3600).round(3).astype(str)
    paths = journey.agg(
        conversion_id=("transaction_id", "first"),
        converted_at=("converted_at", "first"),
        revenue=("revenue_usd", "first"),
        last_touched_at=("started_at", "max"),
        channel_path=("channel_id", " > ".join),
        touch_hours_before_end=("hours", " > ".join),
    ).reset_index()
    paths["journey_id"] = paths.user_idx.astype(str) + "#" + paths.journey_number.astype(str)
    paths["is_converted"] = paths.conversion_id.notna()
    paths["conversion_value_in_reporting_currency"] = paths.revenue.fillna(0.0)
    return paths


def _world(world_name: str, scale: float, seed: int = 42, users: int = 20_000):
    config = DemoConfig(end_date=END, scale=scale, users=users, world=world_name, seed=seed)
    sim = simulate(config, FxTable(ROOT / "dbt_project" / "seeds" / "fx_rates.csv"))
    paths = conversion_paths(sim.sessions, sim.conversions)
    ads = sim.campaign_days.rename(columns={"spend_usd": "spend_in_reporting_currency"})
    ads = ads[["date_day", "channel_id", "spend_in_reporting_currency"]]
    channels = pd.DataFrame(
        {
            "channel_id": [c.channel_id for c in PAID_CHANNELS] + [c.channel_id for c in ORGANIC_CHANNELS],
            "is_paid": [True] * len(PAID_CHANNELS) + [False] * len(ORGANIC_CHANNELS),
        }
    )
    inputs = {"fct_conversion_paths": paths, "fct_ad_performance_daily": ads, "dim_channels": channels}
    truth = pd.Series({c: v.get("true_conversion_share", 0.0) for c, v in sim.truth["channels"].items()})
    end = date.fromisoformat(END)
    context = RunContext(window_start=end - timedelta(days=config.days - 1), window_end=end)
    return inputs, truth, context, paths


def interval_rows(summary: pd.DataFrame, truth: pd.Series) -> dict:
    """Coverage of the true shares by the conversion intervals (as shares), and their widths."""
    total = summary.attributed_conversions.sum()
    share = (summary.attributed_conversions / total).reindex(truth.index).fillna(0.0)
    low = (summary.attributed_conversions_low / total).reindex(truth.index).fillna(0.0)
    high = (summary.attributed_conversions_high / total).reindex(truth.index).fillna(0.0)
    covered = (low <= truth + 1e-9) & (truth - 1e-9 <= high)
    width = high - low
    return {
        "interval_coverage": round(float(covered.mean()), 3),
        "uncovered": sorted(truth.index[~covered]),
        "mean_width": round(float(width.mean()), 4),
        "mean_relative_width": round(float((width / share.where(share > 0)).mean()), 3),
        "max_abs_share_error": round(float((share - truth).abs().max()), 4),
        "miss_beyond_interval": round(float(np.maximum(low - truth, truth - high).clip(lower=0).max()), 4),
    }


def evaluate_intervals(
    world_name: str, scale: float, seed: int, bootstrap: int, modes: tuple[str, ...] = ("sampling", "exchangeable")
) -> dict:
    """The counterfactual model's intervals before and after model uncertainty, on one simulated world."""
    inputs, truth, context, paths = _world(world_name, scale, seed)
    out = {"conversions": int(paths.is_converted.sum()), "journeys": len(paths), "modes": {}}
    for mode in modes:
        clock = time.perf_counter()
        result = AGENT.run(
            inputs,
            context.model_copy(update={"attribution_model": "counterfactual"}),
            AttributionParameters(bootstrap_samples=bootstrap, counterfactual_uncertainty=mode),
        )
        row = interval_rows(result.outputs["attribution_channel_summary"].set_index("channel_id"), truth)
        row["seconds"] = round(time.perf_counter() - clock, 1)
        out["modes"][mode] = row
        print(
            f"{world_name} {scale:g}x seed {seed} {mode}: coverage {row['interval_coverage']:.0%}, mean width "
            f"{row['mean_width']:.3f} ({row['mean_relative_width']:.0%} of the share), {row['seconds']} s",
            flush=True,
        )
    return out


def evaluate(
    world_name: str, scale: float, bootstrap: int, models: tuple[str, ...], uncertainty: str = "exchangeable"
) -> dict:
    started = time.perf_counter()
    inputs, truth, context, paths = _world(world_name, scale)
    out = {"conversions": int(paths.is_converted.sum()), "journeys": len(paths), "simulate_s": 0.0, "models": {}}
    out["simulate_s"] = round(time.perf_counter() - started, 1)
    out["true_share"] = truth.round(4).to_dict()
    for model in models:
        clock = time.perf_counter()
        result = AGENT.run(
            inputs,
            context.model_copy(update={"attribution_model": model}),
            AttributionParameters(bootstrap_samples=bootstrap, counterfactual_uncertainty=uncertainty),
        )
        summary = result.outputs["attribution_channel_summary"].set_index("channel_id")
        share = summary.conversion_share.reindex(truth.index).fillna(0.0)
        error = (share - truth).abs()
        row = {
            "max_abs_share_error": round(float(error.max()), 4),
            "worst_channel": str(error.idxmax()),
            "share": share.round(4).to_dict(),
            "seconds": round(time.perf_counter() - clock, 1),
        }
        if model in INTERVAL_MODELS:
            intervals = interval_rows(summary, truth)
            row.update({k: intervals[k] for k in ("interval_coverage", "uncovered", "mean_width")})
            if model == "counterfactual":
                row["uncertainty"] = uncertainty
        out["models"][model] = row
        print(
            f"{world_name} {scale:g}x {model}: max error {row['max_abs_share_error']:.3f} ({row['worst_channel']})"
            + (f", coverage {row['interval_coverage']:.0%}" if "interval_coverage" in row else "")
            + f", {row['seconds']} s",
            flush=True,
        )
    return out


def _interval_summary(runs: dict) -> dict:
    """Per mode and scale: channels covered over all worlds and seeds, mean widths, mean fit time."""
    out: dict = {}
    for scales in runs.values():
        for scale, seeds in scales.items():
            for measured in seeds.values():
                for mode, row in measured["modes"].items():
                    into = out.setdefault(scale, {}).setdefault(mode, {"runs": 0, "rows": []})
                    into["runs"] += 1
                    into["rows"].append(row)
    for modes in out.values():
        for into in modes.values():
            rows = into.pop("rows")
            into["mean_coverage"] = round(float(np.mean([r["interval_coverage"] for r in rows])), 3)
            into["worst_coverage"] = round(float(np.min([r["interval_coverage"] for r in rows])), 3)
            into["mean_width"] = round(float(np.mean([r["mean_width"] for r in rows])), 4)
            into["mean_relative_width"] = round(float(np.mean([r["mean_relative_width"] for r in rows])), 3)
            into["mean_seconds"] = round(float(np.mean([r["seconds"] for r in rows])), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--worlds", nargs="+", default=["lagged_purchase", "funnel"])
    parser.add_argument("--models", nargs="+", default=list(ATTRIBUTION_MODELS))
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "attribution_worlds.json")
    parser.add_argument("--intervals", action="store_true", help="the counterfactual intervals, per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 13])
    modes = ["exchangeable", "specifications", "centred", "sampling"]
    parser.add_argument("--uncertainty", default="exchangeable", choices=modes)
    parser.add_argument("--modes", nargs="+", default=["sampling", "exchangeable"], help="with --intervals")
    args = parser.parse_args()
    results = {"worlds": {}, "bootstrap_samples": args.bootstrap}
    if args.output.exists():
        results = json.loads(args.output.read_text())
        results.setdefault("worlds", {})
    if args.intervals:
        study = results.setdefault("counterfactual_intervals", {"bootstrap_samples": args.bootstrap, "runs": {}})
        for world_name in args.worlds:
            for scale in args.scales:
                for seed in args.seeds:
                    measured = evaluate_intervals(world_name, scale, seed, args.bootstrap, tuple(args.modes))
                    runs = study["runs"].setdefault(world_name, {}).setdefault(f"{scale:g}x", {})
                    earlier = runs.get(str(seed), {}).get("modes", {})
                    measured["modes"] = {**earlier, **measured["modes"]}  # a run of some modes keeps the others
                    runs[str(seed)] = measured
                    study["summary"] = _interval_summary(study["runs"])
                    args.output.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(study["summary"], indent=2))
        return
    for world_name in args.worlds:
        for scale in args.scales:
            measured = evaluate(world_name, scale, args.bootstrap, tuple(args.models), args.uncertainty)
            earlier = results["worlds"].setdefault(world_name, {}).get(f"{scale:g}x", {}).get("models", {})
            measured["models"] = {**earlier, **measured["models"]}  # a run of some models keeps the others
            results["worlds"][world_name][f"{scale:g}x"] = measured
    worst = {}
    for scales in results["worlds"].values():
        for measured in scales.values():
            for model, row in measured["models"].items():
                worst[model] = max(worst.get(model, 0.0), row["max_abs_share_error"])
    results["worst_case_error"] = dict(sorted(worst.items(), key=lambda kv: kv[1]))
    results["smallest_worst_case"] = min(worst, key=worst.get)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}; smallest worst-case error: {results['smallest_worst_case']}")


if __name__ == "__main__":
    main()
