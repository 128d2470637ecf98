""""What's our biggest azure cost" names nothing to rank by: asked back with no figure, never Azure's total;
"our biggest service cost" ranks the services (a superlative beside a kind word is a ranking, not a name).
Asked in words other than heldout32_biggest_cost's; the expected service comes from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import clarifies


def test_a_biggest_cost_with_nothing_to_rank_by_is_asked_back(offline: Callable[..., Answer]) -> None:
    clarifies(offline("what was the biggest ec2 expense in september"), "The most of what?")


def test_a_biggest_cost_of_a_kind_is_ranked(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    top = sql("SELECT RegionId FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-09-01' "
              "AND ChargePeriodStart < DATE '2026-10-01' GROUP BY RegionId ORDER BY sum(BilledCost) DESC LIMIT 1")
    a = offline("what was our largest region cost in september")
    assert a.kind == "answer" and "By region: " + top in a.text, a.text
