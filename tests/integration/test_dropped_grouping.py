"""A breakdown asked of a tool that gives one figure for its scope ("untagged spend by team", "waste by
provider") gets no figure and a reply naming the breakdown, never the overall figure; the tag audit's own
breakdown by account is answered. Asked in words other than heldout27_dropped_grouping's."""

from __future__ import annotations

from collections.abc import Callable

from agent.answer import Answer
from tests.conftest import clarifies


def test_a_breakdown_the_tool_cannot_give_gets_no_figure(offline: Callable[..., Answer]) -> None:
    for question, dim in (("how much of our spend is missing tags, broken down by provider", "provider"),
                          ("zombie jobs per region", "region")):
        clarifies(offline(question), f"by {dim}")


def test_the_audit_breakdown_by_account_is_answered(offline: Callable[..., Answer]) -> None:
    a = offline("untagged spend per account this month")
    assert a.kind == "answer" and "Most untagged by account" in a.text, a.text
