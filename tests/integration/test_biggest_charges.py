""""The 5 biggest charges this week" names the largest charges (the largest first, its amount stated), never
the count of charges; "how many charges" is still a count. Asked in words other than
heldout33_biggest_charges'; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_the_biggest_charges_are_the_largest_lines(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    largest = sql("SELECT max(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-09-01' "
                  "AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("show me the 3 most expensive line items in september")
    assert a.kind == "answer" and [c.tool for c in a.tool_calls] == ["explain_charge"], a.text
    assert usd(largest) in a.text, a.text


def test_how_many_charges_is_a_count(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    n = sql("SELECT count(*) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-09-01' "
            "AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("how many charges did we have in september")
    assert a.kind == "answer" and f"{n:,}" in a.text, a.text
