"""Spread channel-level totals (Markov, Shapley) over individual conversions.

Data-driven models give a total per channel, not a credit per conversion. Each conversion's credit
starts proportional to the channel's global weight among the channels on its path, then is raked
(iterative proportional fitting) so channel totals match the model's totals while each conversion's
credit still sums to 1 and stays on its own path's channels.
"""

from __future__ import annotations

import numpy as np

MAX_ITERATIONS = 500
TOLERANCE = 1e-9


def rake(incidence: np.ndarray, counts: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, float]:
    """Credit per path key and channel (rows sum to 1) whose count-weighted column sums meet targets.

    incidence: (keys x channels) 1 where the channel is on the key's path; counts: conversions per
    key; targets: conversions per channel (summing to counts.sum()). Returns the credit matrix and
    the largest remaining gap between a channel's total and its target, relative to all conversions
    (0 when the targets are reachable; positive when a path's channels all have target 0).
    """
    weights = np.clip(targets, 0.0, None)
    credit = incidence * np.where(weights > 0, weights, 1e-12)[None, :]
    credit = credit / credit.sum(axis=1, keepdims=True)
    total = counts.sum()
    gap = 0.0
    for _ in range(MAX_ITERATIONS):
        columns = counts @ credit
        gap = float(np.max(np.abs(columns - weights)) / total) if total > 0 else 0.0
        if gap < TOLERANCE:
            break
        factor = np.divide(weights, columns, out=np.ones_like(weights), where=columns > 0)
        credit = credit * factor[None, :]
        rows = credit.sum(axis=1, keepdims=True)
        credit = np.divide(credit, rows, out=incidence / incidence.sum(axis=1, keepdims=True), where=rows > 0)
    return credit, gap
