"""A word left over after "on / for / from <name>" ("spend on data egress", "paying for ec2 licenses") is what of
the name the money went on: no figure for the name alone, the word named. The name alone, or the whole company,
is still answered. Asked in words other than heldout26_phrase_after_on's; expected figures come from SQL
written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import clarifies, usd


def test_a_word_after_a_named_subject_gets_no_figure(offline: Callable[..., Answer]) -> None:
    for question, word in (("what did we spend on lambda retries in september", "retries"),
                           ("costs for gcp reservations last month", "reservations")):
        clarifies(offline(question), f"'{word}'")


def test_the_name_alone_is_answered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    lam = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = 'AWS Lambda' "
              "AND ChargePeriodStart >= DATE '2026-09-01' AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("what did we spend on lambda in september")
    assert a.kind == "answer" and usd(lam) in a.text, a.text
