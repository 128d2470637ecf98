"""Period parsing and name resolution, shared by every tool."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.contract import PeriodError, UnknownNameError
from tools.names import resolve_in
from tools.periods import Period, find_period, parse_period

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "start", "last"),
    [
        ("last week", date(2026, 11, 16), date(2026, 11, 22)),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
        ("this quarter", date(2026, 10, 1), date(2026, 11, 25)),
        ("since Oct 1", date(2026, 10, 1), date(2026, 11, 25)),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("September 2024", date(2024, 9, 1), date(2024, 9, 30)),
        ("last 30 days", date(2026, 10, 26), date(2026, 11, 24)),
        ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
        ("2026-11-03", date(2026, 11, 3), date(2026, 11, 3)),
        ("yesterday", date(2026, 11, 24), date(2026, 11, 24)),
        ("yday", date(2026, 11, 24), date(2026, 11, 24)),
        ("the 17th", date(2026, 11, 17), date(2026, 11, 17)),
        ("the 30th", date(2026, 10, 30), date(2026, 10, 30)),     # November's 30th is still ahead
        ("the full 90-day window", date(2026, 8, 27), date(2026, 11, 24)),
        ("the 14-day period", date(2026, 11, 11), date(2026, 11, 24)),
        ("the week of nov 11", date(2026, 11, 9), date(2026, 11, 15)),      # Monday to Sunday around the day
        ("wk of Oct 4, 2026", date(2026, 9, 28), date(2026, 10, 4)),
        ("the week starting nov 4", date(2026, 11, 4), date(2026, 11, 10)),   # seven days from the day
    ],
)
def test_period_phrases(text: str, start: date, last: date) -> None:
    period = parse_period(text, TODAY)
    assert (period.start, period.last_day) == (start, last)


def test_previous_of_a_month_is_the_calendar_month_before() -> None:
    prev = parse_period("2026-03", TODAY).previous()
    assert (prev.start, prev.last_day) == (date(2026, 2, 1), date(2026, 2, 28))


def test_future_period_is_an_error() -> None:
    with pytest.raises(PeriodError, match="in the future"):
        parse_period("2027-01", TODAY)


def test_gibberish_period_says_what_is_understood() -> None:
    with pytest.raises(PeriodError, match="last week"):
        parse_period("the blue moon", TODAY)


@given(st.integers(min_value=1, max_value=400))
def test_last_n_days_has_n_days_and_previous_abuts(n: int) -> None:
    period = parse_period(f"last {n} days", TODAY)
    assert period.days == n and period.end == TODAY
    assert period.previous().end == period.start and period.previous().days == n


def test_names_exact_and_folded() -> None:
    names = ["search", "ml-platform", "Support Bot"]
    assert resolve_in("search", names, "team") == "search"
    assert resolve_in("ML Platform", names, "team") == "ml-platform"
    assert resolve_in("support_bot", names, "team") == "Support Bot"


def test_unknown_name_says_did_you_mean() -> None:
    with pytest.raises(UnknownNameError) as info:
        resolve_in("serch", ["search", "research", "ml-platform"], "team")
    assert str(info.value).startswith("unknown team 'serch'; did you mean 'search'")


@pytest.mark.parametrize(("text", "first", "last"), [
    ("oct 3 through oct 9", "2026-10-03", "2026-10-09"),
    ("from sep 28 thru oct 4", "2026-09-28", "2026-10-04"),
    ("nov 2 to 8", "2026-11-02", "2026-11-08"),
])
def test_a_day_to_a_day_without_between_is_that_span(text: str, first: str, last: str) -> None:
    # "what did the data team spend from nov 1 through nov 15?" could not read its period
    p = parse_period(text, date(2026, 11, 25))
    assert (p.start.isoformat(), (p.end - timedelta(days=1)).isoformat()) == (first, last)


@pytest.mark.parametrize(("question", "asked", "compared"), [
    ("billed cost this month compared with last month", "this month", "last month"),
    ("this month vs last month", "this month", "last month"),
    ("yesterday against last week", "yesterday", "last week"),
    ("spend last month vs this month", "last month", "this month"),     # already in reading order
    ("spend this month vs october", "this month", "october"),
])
def test_the_period_named_first_is_asked_and_the_other_compared_with(question: str, asked: str, compared: str) -> None:
    """The rule list can read the later phrase first ("last month" before "this month"); the earlier one
    was dropped unread and the answer was last month's."""
    found = find_period(question)
    assert (found.phrase, found.compared_with, found.unparsed) == (asked, compared, [])


@pytest.mark.parametrize(("question", "phrase", "unparsed"), [
    ("yesterday's aws bill against the same day last week", "last week", ["yesterday"]),   # read, not dropped
    ("what's our most expensive service over the last month-ish (30d)?", "30d", []),      # restated in brackets
    ("anthropic = what % of everything we spent in october?", "october", []),            # 'everything' a word
])
def test_a_second_whole_period_phrase_is_reported_not_dropped(question: str, phrase: str, unparsed: list[str]) -> None:
    found = find_period(question)
    assert (found.phrase, found.unparsed) == (phrase, unparsed)


def test_a_day_s_previous_period_is_the_day_before_shown_by_its_one_date() -> None:
    day = Period(start=date(2026, 11, 24), end=date(2026, 11, 25), label="yesterday")
    before = day.previous()
    assert (before.start, before.end) == (date(2026, 11, 23), date(2026, 11, 24))
    assert before.describe() == "the day before (2026-11-23)"
    week = Period(start=date(2026, 11, 17), end=date(2026, 11, 24), label="last 7 days").previous()
    assert week.describe() == "the previous 7 days (2026-11-10 to 2026-11-16)"


@pytest.mark.parametrize(("today", "saturday"), [(date(2026, 11, 25), date(2026, 11, 21)),    # a Wednesday
                                                 (date(2026, 11, 29), date(2026, 11, 21)),    # Sunday: not complete
                                                 (date(2026, 11, 30), date(2026, 11, 28)),    # Monday after it
                                                 (date(2026, 11, 28), date(2026, 11, 21))])   # Saturday
def test_last_weekend_is_the_latest_saturday_and_sunday_before_today(today: date, saturday: date) -> None:
    for text in ("last weekend", "over the weekend", "the weekend"):
        p = parse_period(text, today)
        assert (p.start, p.end) == (saturday, saturday + timedelta(days=2)), text
    from tools.periods import comparison_period
    before = comparison_period(parse_period("last weekend", today))
    assert before is not None and (before.start, before.end) == (saturday - timedelta(days=7), saturday - timedelta(days=5))
    found = find_period("spend on weekends last month")      # "weekends" is a slice, not a period
    assert found.phrase == "last month" and not found.unparsed


@pytest.mark.parametrize("text,start,last", [
    ("the first half of october", date(2026, 10, 1), date(2026, 10, 15)),
    ("second half of feb 2026", date(2026, 2, 16), date(2026, 2, 28)),
    ("the 1st week of september", date(2026, 9, 1), date(2026, 9, 7)),
    ("third week of nov", date(2026, 11, 15), date(2026, 11, 21)),
    ("the last week of october", date(2026, 10, 25), date(2026, 10, 31)),
])
def test_a_part_of_a_named_month(text: str, start: date, last: date) -> None:
    p = parse_period(text, date(2026, 11, 25))
    assert (p.start, p.end - timedelta(days=1)) == (start, last)


@pytest.mark.parametrize("question,unread", [
    ("cost last fiscal year", "fiscal"),
    ("what did search spend in early october", "early"),
    ("spend mid-sept", "mid"),
    ("costs for the first 10 days of october", "first 10 days"),
    ("spend in the second half of the month", "second half"),
])
def test_a_part_of_a_period_no_rule_reads_is_reported_not_widened(question: str, unread: str) -> None:
    # each was answered for the whole month (or the default 30 days) before
    assert unread in find_period(question).unparsed


def test_a_part_restated_by_dates_is_read_from_the_dates() -> None:
    found = find_period("billed cost for the first half of the month, 2024-09-01 to 2024-09-15?")
    assert found.phrase == "2024-09-01 to 2024-09-15" and not found.unparsed


@pytest.mark.parametrize("q", ["costs in july vs the previous month",
                               "july spend against the preceding month", "july compared to prior month"])
def test_the_previous_month_after_a_named_one_is_not_the_month_before_today(q: str) -> None:
    found = find_period(q)
    assert found.phrase == "july" and found.compared_with is None and not found.unparsed, found
