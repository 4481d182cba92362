"""Markov-chain attribution by removal effect (Anderl et al. 2016), solved exactly.

Conventions follow the ChannelAttribution package so results are comparable: a state is the last
`order` channels (a sliding window; a path shorter than `order` is one state), consecutive repeats
of a state are collapsed, every journey starts in (start) and ends in (conversion) or (null).
Removing a channel sends every state containing it to (null); its removal effect is the relative
drop in the probability of reaching (conversion) from (start). ChannelAttribution estimates that
probability by simulating paths; here it is the absorption probability of the chain, solved as a
linear system, so there is no simulation noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.attribution.journeys import SEPARATOR

if TYPE_CHECKING:  # scipy loads on first use (Agent.preload loads it while dbt runs)
    from scipy import sparse

START = ("(start)",)


def state_path(path: str, order: int) -> list[tuple[str, ...]]:
    """The collapsed sequence of order-`order` states a channel path walks through."""
    channels = path.split(SEPARATOR)
    if len(channels) <= order:
        windows = [tuple(channels)]
    else:
        windows = [tuple(channels[i : i + order]) for i in range(len(channels) - order + 1)]
    collapsed = [windows[0]]
    for state in windows[1:]:
        if state != collapsed[-1]:
            collapsed.append(state)
    return collapsed


@dataclass(frozen=True)
class TransitionDesign:
    """Transitions made by one journey of each path key, so counts of keys give transition counts.

    design: sparse (keys x transitions) matrix of how often one journey of the key makes each
    transition; source/target: state index of each transition (target -1 = conversion, -2 = null);
    states: tuple of channels per state, state 0 being (start).
    """

    design: sparse.csr_matrix
    source: np.ndarray
    target: np.ndarray
    states: list[tuple[str, ...]]

    @property
    def channels(self) -> list[str]:
        return sorted({c for state in self.states[1:] for c in state})


CONVERSION, NULL = -1, -2


def transition_design(paths: Sequence[str], converted: Sequence[bool], order: int) -> TransitionDesign:
    from scipy import sparse

    state_index: dict[tuple[str, ...], int] = {START: 0}
    transition_index: dict[tuple[int, int], int] = {}
    rows, cols = [], []
    for key, (path, is_converted) in enumerate(zip(paths, converted, strict=True)):
        previous = 0
        for state in state_path(path, order):
            current = state_index.setdefault(state, len(state_index))
            rows.append(key)
            cols.append(transition_index.setdefault((previous, current), len(transition_index)))
            previous = current
        end = CONVERSION if is_converted else NULL
        rows.append(key)
        cols.append(transition_index.setdefault((previous, end), len(transition_index)))
    design = sparse.csr_matrix(
        (np.ones(len(rows)), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
        shape=(len(paths), len(transition_index)),
    )
    pairs = np.array(list(transition_index), dtype=np.int64).reshape(-1, 2)
    states = sorted(state_index, key=state_index.get)
    return TransitionDesign(design=design, source=pairs[:, 0], target=pairs[:, 1], states=states)


def conversion_probabilities(design: TransitionDesign, counts: np.ndarray) -> tuple[float, dict[str, float]]:
    """P(conversion) of the fitted chain, and P(conversion) with each channel removed.

    counts: how many journeys of each key (the design's rows); several count vectors (bootstrap)
    are handled by calling this once per vector.
    """
    transitions = np.asarray(design.design.T @ counts, dtype=float).ravel()
    n = len(design.states)
    into_state = design.target >= 0
    q = np.zeros((n, n))
    np.add.at(q, (design.source[into_state], design.target[into_state]), transitions[into_state])
    to_conversion = np.zeros(n)
    np.add.at(to_conversion, design.source[design.target == CONVERSION], transitions[design.target == CONVERSION])
    out = q.sum(axis=1) + to_conversion
    np.add.at(out, design.source[design.target == NULL], transitions[design.target == NULL])
    safe = np.where(out > 0, out, 1.0)
    q = q / safe[:, None]
    r = to_conversion / safe

    def solve(removed: np.ndarray) -> float:
        keep = ~removed
        system = np.eye(n) - q * keep[:, None]
        return float(np.linalg.solve(system, r * keep)[0])

    base = solve(np.zeros(n, dtype=bool))
    removed = {}
    for channel in design.channels:
        mask = np.array([channel in state for state in design.states])
        mask[0] = False
        removed[channel] = solve(mask)
    return base, removed


def removal_effects(design: TransitionDesign, counts: np.ndarray) -> pd.Series:
    """Removal effect per channel: 1 - P(conversion without it) / P(conversion)."""
    base, without = conversion_probabilities(design, counts)
    if base <= 0:
        return pd.Series(0.0, index=pd.Index(design.channels, name="channel_id"))
    return pd.Series({c: 1.0 - p / base for c, p in without.items()}, dtype=float).rename_axis("channel_id")


def channel_shares(effects: pd.Series) -> pd.Series:
    """Removal effects normalised to shares of all conversions (what ChannelAttribution reports)."""
    total = effects.clip(lower=0).sum()
    return effects.clip(lower=0) / total if total > 0 else effects * 0.0
