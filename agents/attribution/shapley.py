"""Shapley-value attribution over channel sets (Zhao et al. 2018, the simplified coalition form).

A coalition S is a set of channels; its worth v(S) is, by default, the number of conversions whose
path's channel set lies within S ("conversions"); or the conversion rate of all journeys (converting
or not) whose channel set lies within S ("conversion_rate"). With n channels there are 2^n
coalitions (9 -> 512), so everything is computed on bit masks with numpy: subset sums by a zeta
transform, then each channel's average marginal worth.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial

import numpy as np
import pandas as pd

MAX_CHANNELS = 16  # 65,536 coalitions


def channel_masks(channel_sets: Sequence[frozenset[str]], channels: Sequence[str]) -> np.ndarray:
    bit = {c: 1 << i for i, c in enumerate(channels)}
    return np.array([sum(bit[c] for c in s) for s in channel_sets], dtype=np.int64)


def subset_sums(values: np.ndarray, n: int) -> np.ndarray:
    """out[S] = sum of values[T] over all T within S (zeta transform)."""
    out = values.astype(float).copy()
    for i in range(n):
        step = 1 << i
        view = out.reshape(-1, 2 * step)
        view[:, step:] += view[:, :step]
    return out


def shapley_values(
    masks: np.ndarray, conversions: np.ndarray, journeys: np.ndarray, n: int, worth: str = "conversions"
) -> np.ndarray:
    """Shapley value of each of n channels; masks/conversions/journeys describe journeys by channel set."""
    if n > MAX_CHANNELS:
        raise ValueError(f"Shapley attribution supports at most {MAX_CHANNELS} channels, got {n}")
    size = 1 << n
    conv = subset_sums(np.bincount(masks, weights=conversions, minlength=size), n)
    seen = subset_sums(np.bincount(masks, weights=journeys, minlength=size), n)
    if worth == "conversions":
        worth_of = conv
    elif worth == "conversion_rate":
        worth_of = np.divide(conv, seen, out=np.zeros(size), where=seen > 0)
    else:
        raise ValueError(f"unknown Shapley worth {worth!r}")
    coalitions = np.arange(size)
    popcount = np.array([bin(m).count("1") for m in coalitions])
    weight = np.array([factorial(k) * factorial(n - k - 1) / factorial(n) if k < n else 0.0 for k in popcount])
    values = np.zeros(n)
    for i in range(n):
        without = coalitions[(coalitions >> i) & 1 == 0]
        values[i] = np.sum(weight[without] * (worth_of[without | (1 << i)] - worth_of[without]))
    return values


def channel_shares(
    keys: pd.DataFrame, counts: np.ndarray, channels: Sequence[str], worth: str = "conversions"
) -> pd.Series:
    """Shares of conversions per channel: positive Shapley values, normalised.

    keys: one row per (channel set, is_converted) with column `mask`; counts: journeys per key.
    A channel whose Shapley value is negative (possible with conversion_rate worth: its journeys
    convert less than those without it) gets no credit.
    """
    converted = keys["is_converted"].to_numpy()
    values = shapley_values(keys["mask"].to_numpy(), counts * converted, counts, len(channels), worth)
    positive = np.clip(values, 0.0, None)
    total = positive.sum()
    shares = positive / total if total > 0 else positive
    return pd.Series(shares, index=pd.Index(list(channels), name="channel_id"))
