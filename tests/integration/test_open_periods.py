"""The time before a period is never that period: "how much did ml-platform spend before november" was answered
with ml-platform's November. No period rule reads an open start, so the word is reported and no figure given;
"add up to this month" is no bound. Asked in words other than heldout52_open_periods'."""

from __future__ import annotations

from collections.abc import Callable

from agent.answer import Answer
from tools.periods import find_period


def test_the_word_before_a_period_is_left_unread() -> None:
    for q, word in (("data spend prior to october", "prior to"), ("costs until last month", "until"),
                    ("everything before q4", "before")):
        found = find_period(q)
        assert found.phrase is not None and word in found.unparsed, (q, found)
    assert find_period("what do the budgets add up to this month").unparsed == []


def test_spend_before_a_month_gets_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("what did the research team spend prior to october")
    assert a.kind != "answer" and "prior to" in a.text and "$" not in a.text, a.text
