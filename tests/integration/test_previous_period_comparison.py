"""A named period compared with "the previous month" is compared with the month before it, never with the
month before today (September against October was answered as "from ... in last month"). Asked in words other
than heldout18_previous_period's; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_a_month_against_the_previous_one_is_set_against_the_month_before_it(
        offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    sept = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' "
               "AND ChargePeriodStart >= DATE '2026-09-01' AND ChargePeriodStart < DATE '2026-10-01'")
    octo = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' "
               "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("search team: october costs relative to the previous month")
    assert a.kind == "answer", a.text
    assert usd(octo) in a.text and f"from {usd(sept)} in September 2026" in a.text, a.text
    assert "last month" not in a.text, a.text
