"""Which week a summary covers: an ISO week (`2026-W47`), by default the last full week before as_of."""

from __future__ import annotations

import re
from datetime import date, timedelta

from pydantic import BaseModel

from tools.contract import FinopsError

_WEEK = re.compile(r"(\d{4})-?[wW](\d{1,2})")


class ReportWeek(BaseModel):
    """ISO week [start, end) (Monday to the next Monday) and the reference date the tools run at."""

    label: str          # 2026-W47
    start: date
    end: date           # exclusive
    as_of: date         # first day NOT counted as past (the tools' "today")

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def partial(self) -> bool:
        """The week is not over at as_of: its later days hold no data yet."""
        return self.end > self.as_of

    def period(self) -> str:
        """The week as a period the tools parse."""
        return f"{self.start.isoformat()}..{self.last_day.isoformat()}"

    def previous_weeks(self, n: int) -> str:
        """The n whole weeks before this one, as a period the tools parse."""
        start = self.start - timedelta(days=7 * n)
        return f"{start.isoformat()}..{(self.start - timedelta(days=1)).isoformat()}"

    def describe(self) -> str:
        return f"{self.label} ({_day(self.start)} to {_day(self.last_day)})"


def _day(d: date) -> str:
    return f"{d.strftime('%a')} {d.day} {d.strftime('%b %Y')}"


def last_full_week(as_of: date) -> str:
    """The ISO week before the one holding as_of (on a Monday: the week that just ended)."""
    monday = as_of - timedelta(days=as_of.weekday())
    iso = (monday - timedelta(days=7)).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def resolve_week(text: str | None, as_of: date) -> ReportWeek:
    """Parse `2026-W47` (default: the last full week before as_of). Raises FinopsError when it cannot be
    summarised: not an ISO week, or not begun at as_of.

    Every section is as of the week's end: a past week's summary is built at the Monday after it (its
    budgets are that month's, its forecast starts there), so it reads the same whenever it is run."""
    raw = (text or last_full_week(as_of)).strip()
    m = _WEEK.fullmatch(raw)
    if m is None:
        raise FinopsError(f"--week must be an ISO week like 2026-W47, not {raw!r}")
    year, number = int(m.group(1)), int(m.group(2))
    try:
        start = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise FinopsError(f"there is no ISO week {year}-W{number:02d}") from None
    week = ReportWeek(label=f"{year}-W{number:02d}", start=start, end=start + timedelta(days=7),
                      as_of=min(as_of, start + timedelta(days=7)))
    if week.start >= as_of:
        raise FinopsError(f"{week.describe()} has not begun as of {as_of.isoformat()}; "
                          f"the last full week is {last_full_week(as_of)} (or pass a later --as-of)")
    return week
