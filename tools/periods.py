"""Periods: parse what people say ("last week", "since Oct 1", "2026-W47") into a half-open date range.

A `Period` is [start, end) in whole days (naive UTC dates). `today` is passed in (a store's reference
date, see `knowledge.store.Store.today`), so parsing is pure and testable.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
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
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise PeriodError(f"empty period {self.start}..{self.end}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def whole_months(self) -> int:
        """How many calendar months the period is when it is whole months (October: 1), else 0."""
        if self.start.day == 1 and self.end.day == 1:
            return max(_months_between(self.start, self.end), 0)
        return 0

    def previous(self) -> Period:
        """The period just before, of the same kind: previous month for a month, else same length."""
        n = self.whole_months
        if n >= 1:
            start = _add_months(self.start, -n)
            return Period(start=start, end=self.start, label=f"previous {n} month(s)" if n > 1 else start.strftime("%B %Y"))
        label = "the day before" if self.days == 1 else f"the previous {self.days} days"
        return Period(start=self.start - timedelta(days=self.days), end=self.start, label=label)

    @property
    def dates(self) -> str:
        """'2026-11-01 to 2026-11-30', or one date for a one-day period."""
        if self.days == 1:
            return self.start.isoformat()
        return f"{self.start.isoformat()} to {self.last_day.isoformat()}"

    def describe(self) -> str:
        """The label and its dates, said once when the label is the dates ('2026-11-03 to 2026-11-10')."""
        if self.label in (self.dates, f"{self.start.isoformat()} to {self.last_day.isoformat()}"):
            return self.dates
        return f"{self.label} ({self.dates})"


def _to_date_months(period: Period) -> int | None:
    """How many months back the same days of the previous month/quarter/year lie, for a period that
    starts on a month/quarter/year boundary and ends inside it (month, quarter or year to date)."""
    if period.start.day != 1 or period.end.day == 1:
        return None
    if period.days <= 31:
        return 1
    if period.start.month in (1, 4, 7, 10) and period.days <= 92:
        return 3
    if period.start.month == 1 and period.days <= 366:
        return 12
    return None


def comparison_period(period: Period, how: str = "previous") -> Period | None:
    """The period a change is measured against, explicit (never "whatever lies before `period`").

    'none': no comparison; 'year_ago': the same dates a year earlier; otherwise month, quarter or year to
    date compares with the same days of the previous month, quarter or year (Dec 1-3 with Nov 1-3, Oct 1 -
    Dec 3 with Jul 1 - Sep 3), and any other period with the one just before it (`Period.previous`).
    """
    if how == "none":
        return None
    if how == "year_ago":
        return Period(start=_add_months(period.start, -12), end=_add_months(period.end, -12),
                      label="the same dates a year earlier")
    if period.label == WEEKEND_LABEL:       # a weekend is compared with the weekend before, not Thursday-Friday
        return Period(start=period.start - timedelta(days=7), end=period.end - timedelta(days=7),
                      label="the weekend before")
    n = _to_date_months(period)
    if n is None:
        return period.previous()
    start = _add_months(period.start, -n)
    end = min(_add_months(period.last_day, -n) + timedelta(days=1), period.start)
    name = {1: start.strftime("%B %Y"), 3: f"Q{(start.month - 1) // 3 + 1} {start.year}", 12: str(start.year)}[n]
    return Period(start=start, end=end, label=f"the same days of {name}")


def complete_days(period: Period, today: date, data_end: date | None) -> Period:
    """A period that runs to today (this month, this quarter, since Monday …) counted over the days the
    data covers completely: [start, data_end), labelled "… through Dec 3". `data_end` is the first day
    without complete data (the day of the data's latest instant). Other periods are returned unchanged,
    as is a period with no complete day of data yet (the tool then reports what is missing)."""
    if data_end is None or period.end <= today or not period.start < data_end < period.end:
        return period
    last = data_end - timedelta(days=1)
    return Period(start=period.start, end=data_end, label=f"{period.label} through {last.strftime('%b')} {last.day}")


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


_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WEEKDAYS.update({name.lower(): i for i, name in enumerate(calendar.day_abbr)})
_WEEKDAYS.update({"tues": 1, "thur": 3, "thurs": 3})
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_UNIT = r"(?P<unit>days?|d|weeks?|wks?|w|months?|mos?)(?![a-z])"
_N = r"(?P<n>\d+|" + "|".join(_WORD_NUMBERS) + ")"
_MON = rf"(?P<mon>{_MONTH_RE})"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"


def _unit_days(unit: str) -> tuple[int, str]:
    u = unit.rstrip("s")
    if u in ("d", "day"):
        return 1, "day"
    if u in ("w", "wk", "week"):
        return 7, "week"
    return 30, "month"


def _day_of(mon: str, day: str, year: str | None, today: date) -> date:
    month = _MONTHS[mon]
    y = int(year) if year else _year_for_month(month, today)
    try:
        return date(y, month, int(day))
    except ValueError as exc:
        raise PeriodError(f"no such day: {mon} {day} {y}") from exc


def _last_n(m: re.Match[str], today: date) -> Period:
    n = _number(m.group("n"))
    per, unit = _unit_days(m.group("unit"))
    if n <= 0:
        raise PeriodError(f"a period of {n} {unit}s is empty")
    return Period(start=today - timedelta(days=n * per), end=today,
                  label=f"the last {n} {unit}{'s' if n > 1 else ''}")


def _day_of_month(m: re.Match[str], today: date) -> Period:
    """'the 17th': the latest 17th up to today (this month's, else last month's)."""
    day = int(m.group("day"))
    month_start = today.replace(day=1)
    for start in (month_start, _add_months(month_start, -1), _add_months(month_start, -2)):
        try:
            d = start.replace(day=day)
        except ValueError:
            continue
        if d <= today:
            return Period(start=d, end=d + timedelta(days=1), label=d.isoformat())
    raise PeriodError(f"'the {m.group('day')}' is not a day of a month")


def _week(today: date, back: int, label: str) -> Period:
    monday = today - timedelta(days=today.weekday()) - timedelta(days=7 * back)
    end = monday + timedelta(days=7) if back else today + timedelta(days=1)
    return Period(start=monday, end=end, label=label)


def _between(m: re.Match[str], today: date) -> Period:
    start = _day_of(m.group("mon"), m.group("day"), m.group("year"), today)
    mon2 = m.group("mon2") or m.group("mon")
    year2 = m.group("year2") or m.group("year")
    last = _day_of(mon2, m.group("day2"), year2 or str(start.year), today)
    if last < start:
        raise PeriodError(f"the period ends ({last.isoformat()}) before it starts ({start.isoformat()})")
    return Period(start=start, end=last + timedelta(days=1),
                  label=f"{start.strftime('%b')} {start.day} to {last.strftime('%b')} {last.day}")


def _week_of(day: date, calendar_week: bool) -> Period:
    start = day - timedelta(days=day.weekday()) if calendar_week else day
    end = start + timedelta(days=7)
    return Period(start=start, end=end, label=f"the week of {start:%b} {start.day}")


def _since_weekday(m: re.Match[str], today: date) -> Period:
    back = (today.weekday() - _WEEKDAYS[m.group("wd")]) % 7
    start = today - timedelta(days=back)
    return Period(start=start, end=today + timedelta(days=1), label=f"the days since {start.strftime('%A')}")


def _weekday(m: re.Match[str], today: date) -> Period:
    """"on Tuesday": the latest Tuesday before today (today's data is not complete)."""
    back = (today.weekday() - _WEEKDAYS[m.group("wd")]) % 7 or 7
    d = today - timedelta(days=back)
    return Period(start=d, end=d + timedelta(days=1), label=f"{d.strftime('%A')} {d.isoformat()}")


WEEKEND_LABEL = "last weekend"


def _weekend(m: re.Match[str], today: date) -> Period:
    """"last weekend", "over the weekend": the latest Saturday and Sunday both before today (today's data is
    not complete)."""
    saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
    if saturday + timedelta(days=2) > today:
        saturday -= timedelta(days=7)
    return Period(start=saturday, end=saturday + timedelta(days=2), label=WEEKEND_LABEL)


def _quarter_of(m: re.Match[str], today: date, *, to_date: bool = False) -> Period:
    q = int(m.group("q"))
    year = int(m.group("year")) if m.groupdict().get("year") else today.year
    period = _quarter(year, q)
    if not m.groupdict().get("year") and period.start > today:
        period = _quarter(year - 1, q)
    if to_date:
        end = min(period.end, today + timedelta(days=1))
        return Period(start=period.start, end=end, label=f"Q{q} {period.start.year} so far")
    return period


def _date_range(first: date, last: date) -> Period:
    """'2026-11-01..2026-11-30': a whole calendar month is named as one ('November 2026')."""
    end = last + timedelta(days=1)
    if first.day == 1 and end.day == 1 and _months_between(first, end) == 1:
        return _month(first.year, first.month)
    return Period(start=first, end=end, label=f"{first.isoformat()} to {last.isoformat()}")


_NTH = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3}
_NTH_RE = "|".join(_NTH)


def _part_of_month(m: re.Match[str], today: date) -> Period:
    """"the first half of october" (1-15), "the second half" (16-end), "the first/second/third/fourth week of
    october" (days 1-7, 8-14, 15-21, 22-28), "the last week of october" (its last 7 days)."""
    mon = _MONTHS[m.group("mon")]
    month = _month(int(m.group("year")) if m.group("year") else _year_for_month(mon, today), mon)
    name = f"{m.group('nth')} {m.group('part')} of {month.start.strftime('%B %Y')}"
    if m.group("part") == "half":
        if m.group("nth") == "last":
            raise PeriodError(f"'{m.group(0)}' is not a period I read: say 'the second half of {m.group('mon')}'")
        mid = month.start + timedelta(days=15)
        return (Period(start=month.start, end=mid, label=name) if _NTH[m.group("nth")] == 0
                else Period(start=mid, end=month.end, label=name) if _NTH[m.group("nth")] == 1
                else _no_such_half(m))
    if m.group("nth") == "last":
        return Period(start=month.end - timedelta(days=7), end=month.end, label=name)
    start = month.start + timedelta(days=7 * _NTH[m.group("nth")])
    return Period(start=start, end=start + timedelta(days=7), label=name)


def _no_such_half(m: re.Match[str]) -> Period:
    raise PeriodError(f"'{m.group(0)}' is not a period: a month has two halves")


def _year_of(m: re.Match[str], today: date) -> Period:
    y = int(m.group("year"))
    return Period(start=date(y, 1, 1), end=date(y + 1, 1, 1), label=str(y))


# One rule list finds a period inside a question and parses a period phrase alike: (pattern, builder).
# The first rule whose pattern matches (searched in a question, whole-matched in a phrase) wins, so longer
# and more specific phrases come first. Every rule's span is reported (`find_period`).
_Rule = tuple[str, Callable[[re.Match[str], date], Period]]
_RULES: list[_Rule] = [
    (r"(?P<a>\d{4}-\d{2}-\d{2}) ?(?:\.\.|to|until|through|-|–) ?(?P<b>\d{4}-\d{2}-\d{2})",
     lambda m, t: _date_range(date.fromisoformat(m.group("a")), date.fromisoformat(m.group("b")))),
    (rf"(?:between|from) {_MON} {_DAY}(?:,? {_YEAR})? (?:and|to|until|till|through|thru|-) "
     rf"(?:(?P<mon2>{_MONTH_RE}) )?(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<year2>(?:19|20)\d{{2}}))?", _between),
    # "nov 1 through nov 15", "oct 3 - oct 9" (a leading 'from' may have been read as a preposition already)
    (rf"{_MON} {_DAY}(?:,? {_YEAR})? (?:to|until|till|through|thru|-|–) "
     rf"(?:(?P<mon2>{_MONTH_RE}) )?(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<year2>(?:19|20)\d{{2}}))?", _between),
    (rf"since {_MON} {_DAY}(?:,? {_YEAR})?",
     lambda m, t: Period(start=_day_of(m.group("mon"), m.group("day"), m.group("year"), t),
                         end=t + timedelta(days=1),
                         label=f"since {m.group('mon').title()} {int(m.group('day'))}")),
    (r"since (?P<a>\d{4}-\d{2}-\d{2})",
     lambda m, t: Period(start=date.fromisoformat(m.group("a")), end=t + timedelta(days=1), label=f"since {m.group('a')}")),
    (rf"since (?:last )?(?P<wd>{_WEEKDAY_RE})", _since_weekday),
    (rf"since {_MON}(?: {_YEAR})?",
     lambda m, t: Period(start=_month(int(m.group("year")) if m.group("year") else _year_for_month(_MONTHS[m.group("mon")], t),
                                      _MONTHS[m.group("mon")]).start, end=t + timedelta(days=1),
                         label=f"since {m.group('mon').title()}")),
    # "the first half of october", "the last week of sept 2026": a part of a named month (before 'last week')
    (rf"(?:the )?(?P<nth>{_NTH_RE}|last) (?P<part>half|week|wk) of "
     rf"(?:the month of )?{_MON}(?:,? {_YEAR})?(?![\w-])", _part_of_month),
    (rf"(?:the )?(?:last|lst|past|previous|prev|trailing|prior) {_N} ?{_UNIT}", _last_n),
    # "over the full 90-day window", "the 30-day period": the last N days
    (r"(?:the )?(?:full |whole |entire |last |past |trailing )?(?P<n>\d+)-(?P<unit>day|week|month) "
     r"(?:window|period|range|lookback|span|history)", _last_n),
    # "90d", "spend 30 days": the last N days; "for 3 days" is a duration (an estimate's), not a period
    (r"(?<!for )(?<!for the )(?<!next )(?<![\w-])(?P<n>\d+) ?(?P<unit>d|days)(?![\w-])", _last_n),
    (r"(?:last|lst|previous|prev|past|prior) (?:week|wk)(?![a-z])", lambda m, t: _week(t, 1, "last week")),
    (r"(?:this|current) (?:week|wk)(?![a-z])|week to date|\bwtd\b", lambda m, t: _week(t, 0, "this week")),
    (r"(?:last|lst|previous|prev|past|prior) (?:month|mnth|mo)(?![a-z])",
     lambda m, t: _month(_add_months(t.replace(day=1), -1).year, _add_months(t.replace(day=1), -1).month, "last month")),
    (r"(?:this|current) (?:month|mo)(?![a-z])(?: so far)?|month to date|so far this month|\bmtd\b",
     lambda m, t: Period(start=t.replace(day=1), end=t + timedelta(days=1), label="this month")),
    (r"(?:this|current) quarter(?: so far)?|quarter to date|so far this quarter|\bqtd\b",
     lambda m, t: Period(start=date(t.year, 3 * ((t.month - 1) // 3) + 1, 1), end=t + timedelta(days=1), label="this quarter")),
    (r"(?:last|previous|prior) quarter",
     lambda m, t: _quarter(t.year if (t.month - 1) // 3 else t.year - 1, ((t.month - 1) // 3) or 4, "last quarter")),
    (r"(?:this|current) year(?: so far)?|year to date|so far this year|\bytd\b",
     lambda m, t: Period(start=date(t.year, 1, 1), end=t + timedelta(days=1), label="this year")),
    (r"(?:last|previous|prior) year", lambda m, t: Period(start=date(t.year - 1, 1, 1), end=date(t.year, 1, 1), label=str(t.year - 1))),
    (r"(?P<y>\d{4})-?w(?P<w>\d{1,2})", lambda m, t: _iso_week(int(m.group("y")), int(m.group("w")))),
    (r"q(?P<q>[1-4]) ?(?P<year>(?:19|20)\d{2})|(?P<y2>(?:19|20)\d{2}) ?q(?P<q2>[1-4])",
     lambda m, t: _quarter(int(m.group("year") or m.group("y2")), int(m.group("q") or m.group("q2")))),
    (r"\bq(?P<q>[1-4]) (?:so far|to date)", lambda m, t: _quarter_of(m, t, to_date=True)),
    (r"\bq(?P<q>[1-4])\b", _quarter_of),
    (r"(?P<a>\d{4}-\d{2}-\d{2})",
     lambda m, t: Period(start=date.fromisoformat(m.group("a")), end=date.fromisoformat(m.group("a")) + timedelta(days=1),
                         label=m.group("a"))),
    (r"(?P<y>(?:19|20)\d{2})-(?P<mo>\d{2})", lambda m, t: _month(int(m.group("y")), int(m.group("mo")))),
    # "the wk of nov 16": the Monday-to-Sunday week holding that day; "the week starting nov 12": 7 days from it
    (rf"(?:the )?(?:week|wk) (?P<how>of|starting|beginning|commencing|from) {_MON} {_DAY}(?:,? {_YEAR})?(?![\d:])",
     lambda m, t: _week_of(_day_of(m.group("mon"), m.group("day"), m.group("year"), t), m.group("how") == "of")),
    (rf"{_MON} {_DAY}(?:,? {_YEAR})?(?![\d:])",
     lambda m, t: (lambda d: Period(start=d, end=d + timedelta(days=1), label=d.isoformat()))(
         _day_of(m.group("mon"), m.group("day"), m.group("year"), t))),
    (rf"{_MON},? {_YEAR}", lambda m, t: _month(int(m.group("year")), _MONTHS[m.group("mon")])),
    (rf"(?<![\w-]){_MON}(?![\w-])",
     lambda m, t: _month(_year_for_month(_MONTHS[m.group("mon")], t), _MONTHS[m.group("mon")])),
    (r"(?<![\w$.,-])(?P<year>(?:19|20)\d{2})(?![\w.,-])", _year_of),
    (rf"(?:last )?(?<![\w-])(?P<wd>{_WEEKDAY_RE})(?![\w-])", _weekday),
    (r"(?:(?:last|lst|past|previous|prev|this past|over the|on the|the) )?(?<![\w-])weekend(?![\w-])", _weekend),
    (r"\b(?:yesterday|yday|yest|ystrdy)\b", lambda m, t: Period(start=t - timedelta(days=1), end=t, label="yesterday")),
    # "on the 17th", "the 3rd?": the latest such day up to today (not "the 2nd biggest", "the 17th of May")
    (r"(?:(?<=on )|(?<=for )|(?<=since )|^)the (?P<day>\d{1,2})(?:st|nd|rd|th)(?![\w-])(?! of\b)(?!\s+(?:\w+est|most|least)\b)",
     _day_of_month),
    (r"\btoday\b", lambda m, t: Period(start=t, end=t + timedelta(days=1), label="today")),
    (r"\ball time\b|\bever\b|\beverything\b", lambda m, t: Period(start=date(2000, 1, 1), end=t + timedelta(days=1), label="all time")),
]
_COMPILED = [(re.compile(p), fn) for p, fn in _RULES]
# Words that say "a time" on their own: when one is left outside the period found, the period was not
# understood and is reported, never replaced by the default.
_TIME_WORD = re.compile(
    rf"(?<![\w-])(?:{_MONTH_RE}|{_WEEKDAY_RE}|q\d+|(?:19|20|21)\d{{2}}|fortnight|decade|century|ago|since|"
    r"quarter|weekend|christmas|xmas|easter|thanksgiving|eoy|eoq|h[12]|fy\d*|fiscal|\d+ ?(?:d|wks?|mos?|yrs?|years?)|"
    # "the first 10 days of", "the second week" (of no month said), "early october", "mid-sept"
    r"(?:month|week|day|quarter) \d+)(?![\w-])")
# "early october", "mid-sept", "late nov", "the first 10 days of october", "the second half of the month": a
# part of a period no rule reads (reported, never the whole period), unless dates say which days
# ("the first half of the month, 2024-09-01 to 2024-09-15")
_PART_OF_MONTH = re.compile(rf"(?<![\w-])(?:early|mid|late|end of|start of|beginning of)(?=[ -](?:{_MONTH_RE})(?![\w]))"
                            rf"|(?<![\w-])(?:{_NTH_RE}|final|last) (?:\d+ )?"
                            r"(?:half|halves|weeks?|fortnight|days)(?= of\b)")
_MODAL_MAY = re.compile(r"\bmay (?:i|we|you|be|have|need|want|not)\b")


def _parse(s: str, today: date) -> Period | None:
    if s in ("all", "all time", "everything", "ever", "to date"):
        return Period(start=date(2000, 1, 1), end=today + timedelta(days=1), label="all time")
    for pattern, build in _COMPILED:
        m = pattern.fullmatch(s)
        if m:
            try:
                return build(m, today)
            except ValueError as exc:       # "0000-13-45", "2026-02-30": a date that does not exist
                if isinstance(exc, PeriodError):
                    raise
                raise PeriodError(f"'{s}' is not a date that exists ({exc})") from None
    return None


class PeriodFound(BaseModel):
    """A period phrase found in a question: the phrase, its span, any second period it is compared with
    ("in October than in September", "from sept to oct"), and any time words left outside both."""

    phrase: str | None = None
    start: int = 0
    end: int = 0
    compared_with: str | None = None
    unparsed: list[str] = []


_BEFORE_IT = re.compile(r"(?:the )?(?:previous|prior|preceding) (?:month|week|quarter|year|period)")


def compared_period(phrase: str | None) -> str | None:
    """The period a named one is compared with, as said: None for "the previous month" (or prior/preceding
    week, ...), which after a named period means the period before it (the callers' previous-period
    comparison), not the month before today."""
    return None if phrase is None or _BEFORE_IT.fullmatch(phrase) else phrase
_COMPARED = re.compile(r"^\W*(?:(?:than|vs\.?|versus|compared (?:to|with|w/)|against|to|and|or|over)\W+)"
                       r"(?:in |for |during |the )*$")


def _first(q: str, start: int = 0) -> re.Match[str] | None:
    for pattern, _build in _COMPILED:
        m = pattern.search(q, start)
        if m:
            return m
    return None


def find_period(question: str) -> PeriodFound:
    """The first period phrase of a question (by the one rule list) and the time words it leaves unread."""
    q = question.lower()
    found = PeriodFound()
    m = _first(q)
    if m is not None:
        found = PeriodFound(phrase=m.group(0), start=m.start(), end=m.end())
    rest = _blanked(q, found.start, found.end) if found.phrase else q
    if m is not None:
        second = _first(q, m.end())
        if second is not None and _COMPARED.match(q[m.end():second.start()]):
            first_phrase, other = m.group(0), second.group(0)
            if re.search(r"\bfrom\s+(?:the\s+)?$", q[:m.start()]):      # "from sept to oct": oct vs sept
                first_phrase, other = other, first_phrase
                found = PeriodFound(phrase=first_phrase, start=second.start(), end=second.end())
            found.compared_with = compared_period(other)
            rest = _blanked(rest, second.start(), second.end())
        elif second is None:
            earlier = _first(q[:m.start()])
            if earlier is not None and _COMPARED.match(q[earlier.end():m.start()]):
                # "this month compared with last month": the rule list read the later phrase first; the earlier
                # one is the period asked about, the later one the period it is compared with
                found = PeriodFound(phrase=earlier.group(0), start=earlier.start(), end=earlier.end(),
                                    compared_with=compared_period(m.group(0)))
                rest = _blanked(rest, earlier.start(), earlier.end())
    # Blanks keep the length of what they hide: positions in `rest` are compared with the question's below.
    rest = _MODAL_MAY.sub(lambda x: " " * len(x.group(0)), rest)
    rest = re.sub(r"\$\s?[\d,.]+\s?[km]?|\b\d+(?:\.\d+)?\s?(?:hours?|hrs?|h|gpus?|x)\b",   # amounts, durations
                  lambda x: " " * len(x.group(0)), rest)
    # Any other whole period phrase is left unread too ("yesterday ... the same day last week" read "last week"
    # by the rule order, and "yesterday" was dropped without a word): the callers ask about it or use it.
    left: list[tuple[int, str]] = []
    for _ in range(4):
        extra = _first(rest)
        if extra is None:
            break
        if extra.group(0) not in _CATCH_ALL and not (m is not None and _restated(q, extra, m)):
            left.append((extra.start(), extra.group(0)))
        rest = _blanked(rest, extra.start(), extra.end())
    left += [(w.start(), w.group(0)) for w in _TIME_WORD.finditer(rest) if not _month_repeated(w.group(0), found.phrase)]
    if not (found.phrase and re.search(r"\d{4}-\d{2}-\d{2}", found.phrase)):
        left += [(w.start(), w.group(0)) for w in _PART_OF_MONTH.finditer(q)
                 if not (found.phrase and found.start <= w.start() < found.end)]
    # "before november", "prior to q3", "up to october": the time before a period is not that period (no rule reads
    # an open start), so the word is left unread and the callers say so
    if found.phrase:
        bound = _OPEN_START.search(q[:found.start])
        if bound is not None and not (bound.group(1).startswith("up") and _ADD_UP.search(q[:bound.start()])):
            left.append((bound.start(), bound.group(1)))
    found.unparsed = [w for _, w in sorted(left)]
    return found


_ADD_UP = re.compile(r"\b(?:add|adds|added|adding|sum|sums|summed|total|totals|come|comes|came|amount|amounts)\s+$")  # "add up to"
_OPEN_START = re.compile(r"\b(before|prior to|up to|up until|until|till|earlier than|ahead of)\s+(?:the\s+)?(?:start\s+of\s+)?$")


def _blanked(text: str, start: int, end: int) -> str:
    """`text` with [start, end) replaced by as many spaces."""
    return text[:start] + " " * (end - start) + text[end:]


def is_month_name(word: str) -> bool:
    """'december', 'dec', 'dec.', 'sept': a month named alone."""
    return word.strip().lower().rstrip(".") in _MONTHS


# Words a period rule reads ("all", "everything") that are as often plain words: never reported on their own.
_CATCH_ALL = frozenset({"all", "all time", "everything", "ever", "to date"})
_RESTATED = re.compile(r"[\s\-~]*(?:ish|or so|roughly|approx\.?)?[\s,:]*\(\s*")


def _restated(q: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """One period restated in brackets right after the other: "last month-ish (30d)", "past week (7d)"."""
    first, second = (a, b) if a.start() < b.start() else (b, a)
    return _RESTATED.fullmatch(q[first.end():second.start()]) is not None


def _month_repeated(word: str, phrase: str | None) -> bool:
    """A bare month named again ("spent so far in nov + what's their nov budget"): the period already read."""
    month = _MONTHS.get(word.lower())
    return month is not None and phrase is not None and any(
        _MONTHS.get(w) == month for w in re.findall(r"[a-z]+", phrase.lower()))


def find_period_phrase(question: str) -> str | None:
    """The first period phrase inside a free-text question (for the offline planner), or None."""
    return find_period(question).phrase
