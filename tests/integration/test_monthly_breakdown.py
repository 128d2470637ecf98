""""Monthly" spend over several months is a month each (query_costs by month), never one total by team; a
resource's monthly cost stays its run rate; an average per month is still declined. Asked in words other than
heldout17_monthly's; expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_monthly_costs_over_months_are_one_figure_per_month(offline: Callable[..., Answer],
                                                            sql: Callable[..., Any]) -> None:
    sept = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'data' "
               "AND ChargePeriodStart >= DATE '2026-09-01' AND ChargePeriodStart < DATE '2026-10-01'")
    octo = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'data' "
               "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("data team's monthly spending, past three months")
    assert a.tool_calls and a.tool_calls[0].args.get("group_by") == ["month"], a.tool_calls
    assert f"2026-09-01 {usd(sept)}" in a.text and f"2026-10-01 {usd(octo)}" in a.text, a.text


def test_a_resources_monthly_cost_is_still_its_run_rate(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    week = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ResourceName = 'llm-serving-h100-a' "
               "AND ChargePeriodStart >= DATE '2026-11-18' AND ChargePeriodStart < DATE '2026-11-25'")
    a = offline("how much is llm-serving-h100-a costing monthly?")
    assert "month" not in str(a.tool_calls[0].args.get("group_by") or ""), a.tool_calls
    assert usd(week / 7 * 30) in a.text, a.text


def test_an_average_month_over_a_year_is_still_declined(offline: Callable[..., Answer]) -> None:
    a = offline("typical monthly spend so far this year?")
    assert a.kind != "answer" and "$" not in a.text, a.text
