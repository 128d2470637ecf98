"""Date anchors for gold SQL, computed here from the store's as_of (independently of tools/periods.py).

All ranges are half-open [start, end) in days; "last week" is the ISO week (Monday..Sunday) before the
one holding as_of, "last month" the calendar month before as_of's, "last N days" the N days before as_of.
Gold SQL refers to them as named parameters, e.g. `ChargePeriodStart >= $last_month_start`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta


def _first_of_month(d: date) -> date:
    return d.replace(day=1)


def _shift_month(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def anchors(as_of: date, window_days: int = 90) -> dict[str, date]:
    monday = as_of - timedelta(days=as_of.weekday())
    this_month = _first_of_month(as_of)
    return {
        "as_of": as_of,
        "yesterday": as_of - timedelta(days=1),
        "this_week_start": monday,
        "last_week_start": monday - timedelta(days=7),
        "last_week_end": monday,
        "this_month_start": this_month,
        "next_month_start": _shift_month(this_month, 1),
        "next_month_end": _shift_month(this_month, 2),
        "last_month_start": _shift_month(this_month, -1),
        "last_month_end": this_month,
        "month_before_start": _shift_month(this_month, -2),
        "month_before_end": _shift_month(this_month, -1),
        "d7_start": as_of - timedelta(days=7),
        "d14_start": as_of - timedelta(days=14),
        "d30_start": as_of - timedelta(days=30),
        "d60_start": as_of - timedelta(days=60),
        "window_start": as_of - timedelta(days=window_days),
    }


_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def params_for(sql: str, values: dict[str, object]) -> dict[str, object]:
    """The named parameters `sql` uses, from `values`; an unknown name is an error in the question file."""
    wanted = set(_PARAM.findall(sql))
    missing = wanted - set(values)
    if missing:
        raise KeyError(f"unknown gold parameter(s): {', '.join('$' + m for m in sorted(missing))}")
    return {k: values[k] for k in wanted}
