"""A slice of time inside the period that no tool filters on (weekends, one weekday every week, nights,
business hours, by the hour) is declined, never answered with the whole period's total (it was); "last
weekend" is a period of its own, compared with the weekend before. Asked in words other than the held-out
set heldout10_slices'; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import usd


@pytest.mark.parametrize("q", ["what do saturdays cost us, going by october?",
                               "EC2 spend during working hours last week",
                               "how much of yesterday's bill was overnight?",
                               "anthropic spend in the evenings this month"])
def test_a_slice_of_time_no_tool_filters_on_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_last_weekend_is_answered_and_compared_with_the_weekend_before(offline: Callable[..., Answer],
                                                                       sql: Callable[..., Any]) -> None:
    # the demo's today is Wednesday 2026-11-25: last weekend is Nov 21-22, the one before Nov 14-15
    weekend = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-11-21' "
                  "AND ChargePeriodStart < DATE '2026-11-23'")
    before = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-11-14' "
                 "AND ChargePeriodStart < DATE '2026-11-16'")
    a = offline("what was our total cost over the weekend?")
    assert a.kind == "answer" and usd(weekend) in a.text and usd(before) in a.text, a.text
    assert "2026-11-14 to 2026-11-15" in a.text, a.text


def test_anomalies_of_a_slice_of_time_get_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("were there cost anomalies during the night last week?")
    assert a.kind != "answer" and "$" not in a.text, a.text
