"""Endpoints are a kind of resource like buckets and clusters: a total asked of a team's endpoints that keeps none
of them gets no figure ("how much did we spend on the ml-platform team's endpoints" was the team's whole spend),
while a service's endpoints are that service's spend and the price per request of endpoints is unit_costs'.
Asked in words other than heldout48_endpoint_scope's; the figure comes from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_a_teams_endpoints_are_not_the_teams_whole_spend(offline: Callable[..., Answer]) -> None:
    a = offline("what are the recsys team's endpoints costing us in october")
    assert a.kind != "answer" and "endpoints" in a.text and "$" not in a.text, a.text


def test_a_services_endpoints_are_that_services_spend(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = 'Amazon SageMaker' "
                "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", date(2026, 10, 1), date(2026, 11, 1))
    a = offline("what did the sagemaker endpoints cost in october")
    assert a.kind == "answer" and usd(total) in a.text, a.text


def test_a_request_to_each_endpoint_is_not_the_whole_bill(offline: Callable[..., Answer]) -> None:
    a = offline("what does a request to each endpoint cost")       # was the whole bill's 30 days
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_the_price_per_request_of_endpoints_is_still_answered(offline: Callable[..., Answer]) -> None:
    a = offline("cost per request of each endpoint")
    assert a.kind == "answer" and "per 1K requests" in a.text, a.text
