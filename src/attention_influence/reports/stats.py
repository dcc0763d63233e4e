"""Rank statistics for the report, the random-heads control and `compare` (numpy only)."""

from __future__ import annotations

import math

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `values` (n,), ties given the mean of the ranks they span."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # first index of each run of ties
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rank correlation of two arrays (ties averaged) over the pairs where both are
    finite; None when undefined (fewer than 3 pairs, or one side constant)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(average_ranks(x), average_ranks(y))[0, 1])


def top_overlap(x: np.ndarray, y: np.ndarray, fraction: float) -> tuple[float | None, int]:
    """(share of the top ceil(fraction x n) by `x` that are also in the top by `y`, that count k);
    ties broken by position, so the result is deterministic. None when n is 0."""
    n = len(x)
    k = min(n, math.ceil(fraction * n - 1e-9))
    if k == 0:
        return None, 0
    top_x = set(np.lexsort((np.arange(n), -np.asarray(x)))[:k].tolist())
    top_y = set(np.lexsort((np.arange(n), -np.asarray(y)))[:k].tolist())
    return len(top_x & top_y) / k, k


def jaccard(a: set, b: set) -> float | None:
    """|a ∩ b| / |a ∪ b|; None when both are empty."""
    union = a | b
    return len(a & b) / len(union) if union else None
