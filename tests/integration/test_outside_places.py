"""A place excluded by country or continent gets no figure: the bill has regions, not countries, and "how much
did we spend outside the us last month" was the whole bill. A region excluded by its name is a filter. Asked in
words other than heldout50_outside_places'; the figure comes from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_spend_outside_a_country_gets_no_figure(offline: Callable[..., Answer]) -> None:
    for q in ("what did we spend outside the united states in october", "non-eu spend last month"):
        a = offline(q)
        assert a.kind != "answer" and "$" not in a.text, (q, a.text)


def test_spend_excluding_a_region_is_filtered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE RegionId IS DISTINCT FROM 'us-east-1' "
                "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", date(2026, 10, 1), date(2026, 11, 1))
    a = offline("billed cost excluding us-east-1 in october")
    assert a.kind == "answer" and usd(total) in a.text, a.text
