"""A word naming what the money went on that ends in "ss" ("egress", "glass") is not a verb form ("app
spends"): nobody knows it, so it gets no figure, never the whole bill; a team whose name ends in "s" still
gets its figure. Asked in words other than heldout16_dropped_words'; expected figures come from SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import usd


@pytest.mark.parametrize(("q", "word"), [("what did our egress cost in september", "egress"),
                                         ("egress fees for aws last month", "egress"),
                                         ("fortress costs yesterday", "fortress")])
def test_an_unknown_word_ending_in_ss_gets_no_figure(offline: Callable[..., Answer], q: str, word: str) -> None:
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text
    assert f"'{word}'" in a.text, a.text            # the word not understood is named


def test_a_team_ending_in_s_keeps_its_figure(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'recsys' "
                "AND ChargePeriodStart >= DATE '2026-09-01' AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("recsys costs in september")
    assert a.kind == "answer" and usd(total) in a.text, a.text
