"""What the money went on, said as an ordinary English word between "how much" and the verb ("how much egress
did we pay"), is the subject of the question: without a filter for it the answer is no figure and names the
word, never the whole bill. Words that only say "money" still get the total. Asked in words other than
heldout21_subject_words'; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import clarifies, usd


def test_a_subject_word_after_how_much_gets_no_figure(offline: Callable[..., Answer]) -> None:
    for question, word in (("how much archival did we pay for in september", "archival"),
                           ("how much telemetry were we billed last month", "telemetry")):
        clarifies(offline(question), f"'{word}'")


def test_money_words_after_how_much_still_get_the_total(offline: Callable[..., Answer],
                                                        sql: Callable[..., Any]) -> None:
    september = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-09-01' "
                    "AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("how much cash have we spent in september")
    assert a.kind == "answer" and usd(september) in a.text, a.text
