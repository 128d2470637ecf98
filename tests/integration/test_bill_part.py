"""A part of a total named after it ("how much of october's bill was discounted") is read or the answer is no
figure: a name or a filter the calls apply stands there, else the reply names the word and gives no total. A
time of day ("before noon") is a slice of the day no total keeps. Asked in words other than
heldout22_bill_part's; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import clarifies, usd


def test_a_part_no_filter_reads_gets_no_figure(offline: Callable[..., Answer]) -> None:
    for question, word in (("what proportion of september's spend was rebated", "rebated"),
                           ("how much of last month's bill was double-charged", "double-charged")):
        clarifies(offline(question), f"'{word}'")


def test_a_time_of_day_gets_no_figure(offline: Callable[..., Answer]) -> None:
    clarifies(offline("what did we spend around midday yesterday"), "'midday'")


def test_a_part_the_data_names_is_answered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    storage = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceCategory = 'Storage' "
                  "AND ChargePeriodStart >= DATE '2026-09-01' AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("how much of september's bill went to storage")
    assert a.kind == "answer" and usd(storage) in a.text, a.text
