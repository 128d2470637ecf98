"""A statistic of the bill that no tool computes (a median, a spread, a percentile, a mean across teams) is
declined, never answered with the total and the highest day or the rows (it was); the average per day, which
the planner derives, is still answered. Asked in words other than the held-out set heldout9_stats'; expected
figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import usd


@pytest.mark.parametrize("q", ["give me the median of daily costs in october",
                               "what was the variance of day-to-day spend last month?",
                               "p75 of our daily bill in october",
                               "the mean of spend across teams last month"])
def test_a_statistic_nothing_computes_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_the_average_per_day_is_still_answered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-10-01' "
                "AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("what did a day cost us on average in october?")
    assert a.kind == "answer" and usd(total / 31) in a.text, a.text
