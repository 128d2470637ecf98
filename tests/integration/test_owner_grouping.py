"""Spend by the `owner` tag is that breakdown, never the total by team; "which X has the highest spend" ranks the
X (was refused: "I don't know 'highest'"); "<kind> ranked / sorted by cost" groups by that kind. Asked in words
other than heldout40_owner_grouping'; expected figures and orders come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd

_OCTOBER = "ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'"


def test_spend_per_owner_is_the_owner_tag_breakdown(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    top, amount = sql(f"SELECT [x_tag_owner, CAST(sum(BilledCost) AS VARCHAR)] FROM focus_charges "
                      f"WHERE x_tag_owner IS NOT NULL AND {_OCTOBER} GROUP BY x_tag_owner ORDER BY sum(BilledCost) DESC LIMIT 1")
    a = offline("break the october bill down per owner")
    assert a.kind == "answer" and "By owner" in a.text and f"{top} {usd(amount)}" in a.text, a.text


def test_the_kind_with_the_highest_spend_is_ranked(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    order = sql(f"SELECT list(r ORDER BY s DESC) FROM (SELECT RegionId AS r, sum(BilledCost) AS s FROM focus_charges "
                f"WHERE {_OCTOBER} AND RegionId IS NOT NULL GROUP BY 1)")
    a = offline("which region had the highest spend in october")
    assert a.kind == "answer", a.text
    listed = a.text.split("By region", 1)[1]
    assert listed.index(order[0]) < listed.index(order[1]) < listed.index(order[2]), a.text


def test_a_kind_sorted_by_cost_is_grouped_by_it(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    first = sql(f"SELECT ServiceName FROM focus_charges WHERE {_OCTOBER} GROUP BY 1 ORDER BY sum(BilledCost) DESC LIMIT 1")
    a = offline("services sorted by spend for october")
    assert a.kind == "answer" and "By service" in a.text and "By team" not in a.text and first in a.text, a.text


def test_an_owner_asked_of_a_resource_stays_who_owns(offline: Callable[..., Answer]) -> None:
    a = offline("llm-serving-h100-a: owner?")
    assert [c.tool for c in a.tool_calls] == ["who_owns"], a.text
