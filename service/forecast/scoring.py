"""Scores of a forecast against what happened: absolute error of the point forecast and the
weighted interval score (Bracher, Ray, Gneiting and Reich 2021) over the central intervals and
the median; lower is better for both."""

from __future__ import annotations

from collections.abc import Mapping


def interval_score(lower: float, upper: float, observed: float, alpha: float) -> float:
    """(u - l) + 2/alpha (l - y) if y < l + 2/alpha (y - u) if y > u."""
    score = upper - lower
    if observed < lower:
        score += 2 / alpha * (lower - observed)
    elif observed > upper:
        score += 2 / alpha * (observed - upper)
    return score


def weighted_interval_score(
    median: float, intervals: Mapping[float, tuple[float, float]], observed: float
) -> float:
    """WIS = (|y - m| / 2 + sum_k alpha_k / 2 * IS_alpha_k) / (K + 1/2), over the K intervals
    given as alpha -> (lower, upper)."""
    total = 0.5 * abs(observed - median)
    for alpha, (lower, upper) in intervals.items():
        total += alpha / 2 * interval_score(lower, upper, observed, alpha)
    return total / (len(intervals) + 0.5)
