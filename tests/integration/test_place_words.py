"""The regions of a country ("us regions", "our U.S. regions") are no region of the bill: no figure (the whole
bill was given). Asked in words other than heldout41_place_words'; a region of the bill stays answered, its
figure from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import clarifies, usd


@pytest.mark.parametrize(("q", "quoted"), [("what did we pay in US regions in october", "us regions"),
                                           ("how much do our usa-regions cost per week", "usa-regions")])
def test_the_regions_of_a_country_get_no_figure(offline: Callable[..., Answer], q: str, quoted: str) -> None:
    clarifies(offline(q), quoted)


def test_a_region_of_the_bill_is_answered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE RegionId = 'us-west-2' "
                "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("what did we pay in us-west-2 in october")
    assert a.kind == "answer" and usd(total) in a.text, a.text
