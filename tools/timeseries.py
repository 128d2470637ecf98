"""Daily cost series: weekday seasonality, robust weekday baselines, drift (hinge) fits and forecasts.

Pure functions over lists of values (index 0 = first day); no SQL. Money goes in and out as Decimal;
the least-squares fits of the drift detector work in floats (they only locate a change point and a
slope; reported money is recomputed from the exact series).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tools.stats import MAD_TO_SIGMA, mad, median, quantile, theil_sen_slope


def weekday_factors(days: Sequence[date], values: Sequence[Decimal]) -> dict[int, Decimal]:
    """Multiplicative weekday factors (mean 1) from ratios to a centred 7-day moving average.

    Classical decomposition: ratio_t = x_t / MA7(t); factor(w) = median ratio on weekday w. A trend
    does not leak into the factors because every ratio is taken against its own week.
    """
    ratios: dict[int, list[Decimal]] = {w: [] for w in range(7)}
    for i in range(3, len(values) - 3):
        window = values[i - 3:i + 4]
        ma = sum(window, Decimal(0)) / 7
        if ma > 0:
            ratios[days[i].weekday()].append(Decimal(values[i]) / ma)
    raw = {w: (median(r) if r else Decimal(1)) for w, r in ratios.items()}
    mean = sum(raw.values(), Decimal(0)) / 7
    if mean <= 0:
        return {w: Decimal(1) for w in range(7)}
    return {w: f / mean for w, f in raw.items()}


@dataclass(frozen=True)
class WeekdayBaseline:
    median: Decimal
    scale: Decimal        # robust sigma: max(1.4826 x MAD, floor x median, 1 cent)
    n: int


def weekday_baseline(values: Sequence[Decimal], i: int, first: int, weeks: int,
                     floor: Decimal = Decimal("0.05")) -> WeekdayBaseline | None:
    """Median and robust scale of the same weekday over the `weeks` weeks before day i (from `first`)."""
    prior = [values[j] for j in range(i - 7, i - 7 * weeks - 1, -7) if j >= first]
    if not prior:
        return None
    m = median(prior)
    scale = max(MAD_TO_SIGMA * mad(prior, m), floor * abs(m), Decimal("0.01"))
    return WeekdayBaseline(m, scale, len(prior))


@dataclass(frozen=True)
class HingeFit:
    t0: int               # last index at the old level; the ramp starts after it
    level: float          # a: the level before t0
    slope: float          # b: change per day after t0
    r2: float
    sse: float
    step_sse: float       # best single level-shift fit, for comparison

    def at(self, t: int) -> float:
        return self.level + self.slope * max(0, t - self.t0)


def hinge_fit(y: Sequence[float], min_before: int = 7, min_ramp: int = 14) -> HingeFit | None:
    """Least-squares fit of y = a + b * max(0, t - t0) over every admissible t0 (flat, then a ramp)."""
    n = len(y)
    if n < min_before + min_ramp + 1:
        return None
    mean_y = sum(y) / n
    sst = sum((v - mean_y) ** 2 for v in y)
    # Suffix sums of y and t*y make each candidate's regression O(1): x_t = max(0, t - t0).
    suf_y, suf_ty = [0.0] * (n + 1), [0.0] * (n + 1)
    for t in range(n - 1, -1, -1):
        suf_y[t] = suf_y[t + 1] + y[t]
        suf_ty[t] = suf_ty[t + 1] + t * y[t]
    best: tuple[float, int, float, float] | None = None
    for t0 in range(min_before - 1, n - min_ramp):
        k = n - 1 - t0
        sx = k * (k + 1) / 2
        sxx = k * (k + 1) * (2 * k + 1) / 6
        sxy = suf_ty[t0 + 1] - t0 * suf_y[t0 + 1]
        sxx_c = sxx - sx * sx / n
        if sxx_c <= 0:
            continue
        b = (sxy - sx * mean_y) / sxx_c
        a = mean_y - b * sx / n
        sse = max(0.0, sst - b * b * sxx_c)
        if best is None or sse < best[0]:
            best = (sse, t0, a, b)
    if best is None:
        return None
    sse, t0, a, b = best
    # Best single level shift (mean before / mean after), via prefix sums.
    prefix, prefix2 = [0.0], [0.0]
    for v in y:
        prefix.append(prefix[-1] + v)
        prefix2.append(prefix2[-1] + v * v)
    step_sse = sst
    for s in range(1, n):
        left = prefix2[s] - prefix[s] ** 2 / s
        right = (prefix2[n] - prefix2[s]) - (prefix[n] - prefix[s]) ** 2 / (n - s)
        step_sse = min(step_sse, left + right)
    r2 = 1.0 - sse / sst if sst > 0 else 0.0
    return HingeFit(t0=t0, level=a, slope=b, r2=r2, sse=sse, step_sse=step_sse)


@dataclass(frozen=True)
class SeriesForecast:
    days: list[date]
    values: list[Decimal]      # expected cost per future day
    total: Decimal
    low: Decimal               # p10 of the total
    high: Decimal              # p90 of the total
    slope_per_day: Decimal
    history_days: int
    method: str


FORECAST_METHOD = (
    "weekday-seasonal trend: multiplicative weekday factors (ratio to a centred 7-day average), a "
    "Theil-Sen trend (median of pairwise slopes, robust to one-off charges) through the weekday-adjusted "
    "last {fit} days, levelled on their mean so totals include the usual job bursts; the 80% interval "
    "(p10-p90) is the spread of the history's own rolling {window}-day residual sums around their median"
)


def forecast_series(days: Sequence[date], values: Sequence[Decimal], horizon: int,
                    fit_days: int = 28, skip: int = 0) -> SeriesForecast:
    """Forecast the `horizon` days that start `skip` days after the day after `days[-1]` (skip 0: the days
    right after the history) from the daily history `values`."""
    if not values:
        raise ValueError("no history to forecast from")
    n = len(values)
    factors = weekday_factors(days, values) if n >= 14 else {w: Decimal(1) for w in range(7)}

    def adjusted(d: date, v: Decimal) -> Decimal:
        f = factors[d.weekday()]
        return v / f if f > 0 else v

    fit = min(fit_days, n)
    y = [adjusted(d, v) for d, v in zip(days[-fit:], values[-fit:])]
    slope = theil_sen_slope(y) if len(y) >= 2 else Decimal(0)
    # t is counted from the first day of the fit window; history days before it get negative t.
    intercept = sum((v - slope * t for t, v in enumerate(y)), Decimal(0)) / len(y)
    offset = n - fit
    fitted = [(intercept + slope * (i - offset)) * factors[d.weekday()] for i, d in enumerate(days)]
    residuals = [v - f for v, f in zip(values, fitted)]
    ahead = range(skip + 1, skip + horizon + 1)
    out_days = [days[-1] + timedelta(days=h) for h in ahead]
    out = [max(Decimal(0), (intercept + slope * (fit - 1 + h)) * factors[d.weekday()]) for h, d in zip(ahead, out_days)]
    total = sum(out, Decimal(0))
    window = max(1, min(horizon, n // 2)) if horizon else 1
    sums = [sum(residuals[i:i + window], Decimal(0)) for i in range(0, n - window + 1)]
    # Days forecast but not counted (a later period) still add their uncertainty to the level it starts from.
    scale = (Decimal(horizon + skip) / window).sqrt() if horizon + skip > window else Decimal(1)
    # The spread around the typical window (centred on the median window, so a history the trend
    # line fits less well far back widens the interval without shifting it).
    centre = median(sums) if sums else Decimal(0)
    low_dev = (quantile(sums, "0.1") - centre) * scale if len(sums) >= 2 and horizon else Decimal(0)
    high_dev = (quantile(sums, "0.9") - centre) * scale if len(sums) >= 2 and horizon else Decimal(0)
    return SeriesForecast(days=out_days, values=out, total=total, low=max(Decimal(0), total + low_dev),
                          high=total + high_dev, slope_per_day=slope, history_days=n,
                          method=FORECAST_METHOD.format(fit=fit, window=window))
