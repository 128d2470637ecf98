"""The demo's time window: 90 days ending the day before `as_of`, and the dates planted facts use."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel

DAYS = 90


class DemoWindow(BaseModel):
    """Data covers [start, as_of): `DAYS` whole days; day index 0 is `start`."""

    as_of: date
    start: date
    days: int = DAYS

    @classmethod
    def ending(cls, as_of: date) -> DemoWindow:
        return cls(as_of=as_of, start=as_of - timedelta(days=DAYS))

    @property
    def last_day(self) -> date:
        return self.as_of - timedelta(days=1)

    @property
    def as_of_ts(self) -> datetime:
        return datetime(self.as_of.year, self.as_of.month, self.as_of.day)

    def day(self, index: int) -> date:
        """Day `index` of the window; negative indexes count back from as_of (-1 = last day)."""
        return self.start + timedelta(days=index) if index >= 0 else self.as_of + timedelta(days=index)

    def index(self, day: date) -> int:
        return (day - self.start).days

    @property
    def last_week_monday(self) -> date:
        """Monday of the ISO week before the one holding as_of ("last week")."""
        this_monday = self.as_of - timedelta(days=self.as_of.isoweekday() - 1)
        return this_monday - timedelta(days=7)

    @property
    def month_start(self) -> date:
        """First day of the current budget month: the month holding the last day of data."""
        return self.last_day.replace(day=1)
