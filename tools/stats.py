"""Robust statistics on exact Decimals, in Python (docs/architecture.md, "Portable SQL": percentiles stay out of tool SQL).

This is the one place percentiles, medians and MADs are computed, so every tool agrees on the method:
linear interpolation between order statistics (the same as DuckDB's `quantile_cont` and numpy's
default), which gives the same figure whatever engine fetched the values.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

# 1.4826 x MAD estimates the standard deviation of normally distributed data.
MAD_TO_SIGMA = Decimal("1.4826")


def quantile(values: Sequence[Decimal], q: Decimal | float | str) -> Decimal:
    """The q-quantile (0..1) of `values` by linear interpolation between order statistics."""
    if not values:
        raise ValueError("quantile of no values")
    qd = Decimal(str(q))
    if not Decimal(0) <= qd <= Decimal(1):
        raise ValueError(f"quantile {q} outside 0..1")
    ordered = sorted(Decimal(v) for v in values)
    position = qd * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def median(values: Sequence[Decimal]) -> Decimal:
    return quantile(values, "0.5")


def mad(values: Sequence[Decimal], centre: Decimal | None = None) -> Decimal:
    """Median absolute deviation from `centre` (default: the median)."""
    c = median(values) if centre is None else centre
    return median([abs(Decimal(v) - c) for v in values])


def mean(values: Sequence[Decimal]) -> Decimal:
    if not values:
        raise ValueError("mean of no values")
    return sum((Decimal(v) for v in values), Decimal(0)) / len(values)


def stdev(values: Sequence[Decimal]) -> Decimal:
    """Sample standard deviation (n - 1); 0 for fewer than two values."""
    if len(values) < 2:
        return Decimal(0)
    m = mean(values)
    return (sum(((Decimal(v) - m) ** 2 for v in values), Decimal(0)) / (len(values) - 1)).sqrt()


def theil_sen_slope(ys: Sequence[Decimal]) -> Decimal:
    """Median of pairwise slopes of ys against their index (robust to outliers)."""
    slopes = [(ys[j] - ys[i]) / (j - i) for i in range(len(ys)) for j in range(i + 1, len(ys))]
    return median(slopes) if slopes else Decimal(0)


def weighted_quantile(pairs: Sequence[tuple[Decimal, int]], q: Decimal | float | str) -> Decimal:
    """`quantile` of the multiset where each value appears `count` times, without expanding it."""
    items = sorted((Decimal(v), int(n)) for v, n in pairs if int(n) > 0)
    total = sum(n for _, n in items)
    if total == 0:
        raise ValueError("quantile of no values")
    position = Decimal(str(q)) * (total - 1)
    lower = int(position)
    fraction = position - lower

    def nth(k: int) -> Decimal:
        seen = 0
        for v, n in items:
            seen += n
            if k < seen:
                return v
        return items[-1][0]

    lo = nth(lower)
    hi = nth(min(lower + 1, total - 1))
    return lo + (hi - lo) * fraction
