"""Deterministic demo data: a simulated marketing world with known truth, exported as platforms do."""

from __future__ import annotations

import shutil
from pathlib import Path

from demo.world import DemoConfig


def generate(config: DemoConfig, landing: Path, fx_seed_csv: Path) -> Path:
    """Simulate and write a fresh landing folder; returns the path of the truth file."""
    from demo.exports import write_all
    from demo.simulate import FxTable, simulate

    world = simulate(config, FxTable(fx_seed_csv))
    if landing.exists():
        shutil.rmtree(landing)
    landing.mkdir(parents=True)
    return write_all(world, landing)
