"""Periods: parse what people say ("last week", "since Oct 1", "2026-W47") into a half-open date range.

A `Period` is [start, end) in whole days (naive UTC dates). `today` is passed in (a store's reference
date, see `knowledge.store.Store.today`), so parsing is pure and testable.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from pydantic import BaseModel, model_validator

from tools.contract import PeriodError

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fourteen": 14, "thirty": 30, "ninety": 90}


class Period(BaseModel):
    """A half-open range of days [start, end) with the label a person would use."""

    start: date
    end: date
    label: str

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end <= self.start:
            raise PeriodError(f"empty period {self.start}..{self.end}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> "Period":
        """The period just before, of the same kind: previous month for a month, else same length."""
        if self.start.day == 1 and self.end.day == 1 and _months_between(self.start, self.end) >= 1:
            n = _months_between(self.start, self.end)
            start = _add_months(self.start, -n)
            return Period(start=start, end=self.start, label=f"previous {n} month(s)" if n > 1 else start.strftime("%B %Y"))
        return Period(start=self.start - timedelta(days=self.days), end=self.start, label=f"the previous {self.days} days")

    def describe(self) -> str:
        return f"{self.label} ({self.start.isoformat()} to {self.last_day.isoformat()})"


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def add_months(d: date, n: int) -> date:
    return _add_months(d, n)


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    year, month = d.year + m // 12, m % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _month(year: int, month: int, label: str | None = None) -> Period:
    start = date(year, month, 1)
    return Period(start=start, end=_add_months(start, 1), label=label or start.strftime("%B %Y"))


def _quarter(year: int, q: int, label: str | None = None) -> Period:
    start = date(year, 3 * (q - 1) + 1, 1)
    return Period(start=start, end=_add_months(start, 3), label=label or f"Q{q} {year}")


def _iso_week(year: int, week: int, label: str | None = None) -> Period:
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise PeriodError(f"no ISO week {year}-W{week:02d}") from exc
    return Period(start=start, end=start + timedelta(days=7), label=label or f"{year}-W{week:02d}")


def _year_for_month(month: int, today: date) -> int:
    """A month named without a year means its latest occurrence not after today."""
    return today.year if month <= today.month else today.year - 1


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _WORD_NUMBERS[token]


def parse_period(text: str | None, today: date, *, allow_future: bool = False) -> Period:
    """Parse a period phrase relative to `today`. Raises PeriodError with what is understood."""
    raw = (text or "last 30 days").strip()
    s = raw.lower().strip().rstrip("?.!").strip()
    s = re.sub(r"^(in|for|during|over|of|from)\s+(the\s+)?", "", s)
    s = re.sub(r"\s+", " ", s)
    period = _parse(s, today)
    if period is None:
        raise PeriodError(
            f"cannot understand the period '{raw}'; try 'last week', 'last month', 'this quarter', "
            "'last 30 days', 'since Oct 1', '2026-W47', '2026-11' or '2026-11-01..2026-11-15'"
        )
    if not allow_future and period.start > today:
        raise PeriodError(f"{period.describe()} is in the future (today is {today.isoformat()})")
    return period


def _parse(s: str, today: date) -> Period | None:  # noqa: C901 - a flat list of phrase rules
    tomorrow = today + timedelta(days=1)
    if s in ("today",):
        return Period(start=today, end=tomorrow, label="today")
    if s in ("yesterday",):
        return Period(start=today - timedelta(days=1), end=today, label="yesterday")
    if s in ("all", "all time", "everything", "ever", "to date"):
        return Period(start=date(2000, 1, 1), end=tomorrow, label="all time")
    m = re.fullmatch(r"(?:the )?(?:last|past|previous|trailing) (\d+|[a-z]+) (day|week|month)s?", s)
    if m and (m.group(1).isdigit() or m.group(1) in _WORD_NUMBERS):
        n, unit = _number(m.group(1)), m.group(2)
        days = n * {"day": 1, "week": 7, "month": 30}[unit]
        return Period(start=today - timedelta(days=days), end=today, label=f"the last {n} {unit}{'s' if n > 1 else ''}")
    if s in ("last week", "previous week", "past week"):
        monday = today - timedelta(days=today.weekday())
        return Period(start=monday - timedelta(days=7), end=monday, label="last week")
    if s in ("this week", "current week", "week to date", "wtd"):
        monday = today - timedelta(days=today.weekday())
        return Period(start=monday, end=tomorrow, label="this week")
    if s in ("last month", "previous month", "past month"):
        first = today.replace(day=1)
        return _month(_add_months(first, -1).year, _add_months(first, -1).month, "last month")
    if s in ("this month", "current month", "month to date", "mtd"):
        return Period(start=today.replace(day=1), end=tomorrow, label="this month")
    if s in ("this quarter", "current quarter", "quarter to date", "qtd"):
        q = (today.month - 1) // 3 + 1
        return Period(start=date(today.year, 3 * (q - 1) + 1, 1), end=tomorrow, label="this quarter")
    if s in ("last quarter", "previous quarter"):
        q = (today.month - 1) // 3 + 1
        year, q = (today.year, q - 1) if q > 1 else (today.year - 1, 4)
        return _quarter(year, q, "last quarter")
    if s in ("this year", "current year", "year to date", "ytd"):
        return Period(start=date(today.year, 1, 1), end=tomorrow, label="this year")
    if s in ("last year", "previous year"):
        return Period(start=date(today.year - 1, 1, 1), end=date(today.year, 1, 1), label=str(today.year - 1))
    m = re.fullmatch(r"(\d{4})-?w(\d{1,2})", s)
    if m:
        return _iso_week(int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"q([1-4]) ?(\d{4})|(\d{4}) ?q([1-4])", s)
    if m:
        q, year = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return _quarter(int(year), int(q))
    m = re.fullmatch(r"(\d{4})-(\d{2})", s)
    if m:
        return _month(int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}) ?(?:\.\.|to|until|through|-|–) ?(\d{4}-\d{2}-\d{2})", s)
    if m:
        start, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        return Period(start=start, end=last + timedelta(days=1), label=f"{start.isoformat()} to {last.isoformat()}")
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})", s)
    if m:
        d = date.fromisoformat(m.group(1))
        return Period(start=d, end=d + timedelta(days=1), label=d.isoformat())
    m = re.fullmatch(rf"({_MONTH_RE}),? ?(\d{{4}})?", s)
    if m:
        month = _MONTHS[m.group(1)]
        year = int(m.group(2)) if m.group(2) else _year_for_month(month, today)
        return _month(year, month)
    m = re.fullmatch(rf"since ({_MONTH_RE}) (\d{{1,2}})(?:st|nd|rd|th)?,? ?(\d{{4}})?", s)
    if m:
        month = _MONTHS[m.group(1)]
        year = int(m.group(3)) if m.group(3) else _year_for_month(month, today)
        start = date(year, month, int(m.group(2)))
        return Period(start=start, end=tomorrow, label=f"since {start.strftime('%b')} {start.day}")
    m = re.fullmatch(r"since (\d{4}-\d{2}-\d{2})", s)
    if m:
        start = date.fromisoformat(m.group(1))
        return Period(start=start, end=tomorrow, label=f"since {start.isoformat()}")
    return None


def find_period_phrase(question: str) -> str | None:
    """The first period phrase inside a free-text question (for the offline planner), or None."""
    q = question.lower()
    patterns = [
        r"\d{4}-\d{2}-\d{2} ?(?:\.\.|to|until|through) ?\d{4}-\d{2}-\d{2}",
        r"since (?:%s) \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?" % _MONTH_RE,
        r"since \d{4}-\d{2}-\d{2}",
        r"(?:last|past|previous|trailing) (?:\d+|%s) (?:day|week|month)s?" % "|".join(_WORD_NUMBERS),
        r"\d{4}-?w\d{1,2}",
        r"q[1-4] ?\d{4}|\d{4} ?q[1-4]",
        r"(?:last|this|previous|current|past) (?:week|month|quarter|year)",
        r"\b(?:month|quarter|year|week) to date\b|\bytd\b|\bmtd\b|\bqtd\b",
        r"\b(?:%s),? \d{4}\b" % _MONTH_RE,
        r"\d{4}-\d{2}-\d{2}",
        r"\b\d{4}-\d{2}\b",
        r"\b(?:%s)\b" % "|".join(m for m in _MONTHS if len(m) > 3 and m != "sept"),
        r"\byesterday\b|\btoday\b|\ball time\b",
    ]
    for pattern in patterns:
        m = re.search(pattern, q)
        if m:
            return m.group(0)
    return None
