"""A kind of resource named in a question (buckets, databases, clusters, VMs) that the planned total or
breakdown does not keep is declined, never answered with spend by team, unit costs per endpoint or every
service's anomalies (they were). Spend that a service or a category filter keeps is still answered. Asked in
words other than the held-out set heldout8_kinds'; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import usd

OCTOBER = ("2026-10-01", "2026-11-01")


@pytest.mark.parametrize("q", ["which of our buckets went up the most in october?",
                               "mean spend per database last month",
                               "which vm saw the largest cost spike this month?",
                               "cost per db for the data team in october"])
def test_a_kind_no_call_keeps_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text


@pytest.mark.parametrize(("q", "service"), [("s3 bucket costs in october", "Amazon Simple Storage Service"),
                                            ("what did our rds databases cost in october?",
                                             "Amazon Relational Database Service")])
def test_a_kind_a_service_keeps_is_answered(offline: Callable[..., Answer], sql: Callable[..., Any],
                                            q: str, service: str) -> None:
    expected = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = ? "
                   "AND ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP)",
                   service, *OCTOBER)
    a = offline(q)
    assert a.kind == "answer" and usd(expected) in a.text, a.text


def test_the_reply_names_the_kind_and_what_would_have_been_answered(offline: Callable[..., Answer]) -> None:
    a = offline("which of our buckets went up the most in october?")
    assert "'buckets'" in a.text and "no figure" in a.text, a.text


@pytest.mark.parametrize("q", ["5 costliest gpt-4.1 completions this week", "which individual call was the most expensive yesterday?"])
def test_single_llm_calls_ranked_get_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_the_average_cost_of_a_call_is_still_llm_spend_per_1k_calls(offline: Callable[..., Answer],
                                                                     sql: Callable[..., Any]) -> None:
    cost, calls = (sql("SELECT sum(cost) FROM llm_calls WHERE model = 'claude-sonnet-4-5' AND ts >= TIMESTAMP '2026-10-01' "
                       "AND ts < TIMESTAMP '2026-11-01'"),
                   sql("SELECT sum(calls) FROM llm_calls WHERE model = 'claude-sonnet-4-5' AND ts >= TIMESTAMP '2026-10-01' "
                       "AND ts < TIMESTAMP '2026-11-01'"))
    a = offline("on average what did one claude-sonnet-4-5 call cost in october?")
    assert a.kind == "answer" and usd(cost) in a.text and f"{calls:,}" in a.text, a.text


# ("reserved instance savings" is the reserved instances' own: test_scope_words; the demo cannot tell them apart)
@pytest.mark.parametrize(("q", "category", "measure"), [("committed instance savings last month", "Committed", "savings"),
                                                        ("on-demand instance spend last month", "Standard", "billed")])
def test_a_kind_a_pricing_category_keeps_is_answered(offline: Callable[..., Answer], sql: Callable[..., Any],
                                                     q: str, category: str, measure: str) -> None:
    expr = "sum(ListCost - EffectiveCost)" if measure == "savings" else "sum(BilledCost)"
    expected = sql(f"SELECT {expr} FROM focus_charges WHERE PricingCategory = ? "
                   "AND ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP)",
                   category, *OCTOBER)
    a = offline(q)
    assert a.kind == "answer" and usd(expected) in a.text, a.text


@pytest.mark.parametrize("q", ["spend by the cost-centre tag last month", "october costs by tag business-unit"])
def test_a_grouping_by_a_tag_key_nobody_has_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text
