"""How spend moves over time ("per month", "trending", "over time") is answered month by month, never with one
total of the period. Asked in words other than heldout37_time_series'; expected figures come from SQL written
here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd

_MONTH = ("SELECT sum(BilledCost) FROM {table} WHERE {where} "
          "AND ChargePeriodStart >= DATE '{start}' AND ChargePeriodStart < DATE '{end}'")


def test_spend_per_month_of_a_period_is_each_month(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    sept = sql(_MONTH.format(table="focus_charges", where="ProviderName = 'AWS'", start="2026-09-01", end="2026-10-01"))
    octo = sql(_MONTH.format(table="focus_charges", where="ProviderName = 'AWS'", start="2026-10-01", end="2026-11-01"))
    a = offline("aws spend per month since september")
    assert a.kind == "answer" and usd(sept) in a.text and usd(octo) in a.text, a.text


def test_a_trend_over_months_is_each_month(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    octo = sql(_MONTH.format(table="charges_allocated", where="x_team = 'data'", start="2026-10-01", end="2026-11-01"))
    a = offline("what are the data team's cost trends this quarter")
    assert a.kind == "answer" and usd(octo) in a.text, a.text


def test_a_total_of_months_stays_one_total(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ProviderName = 'AWS' "
                "AND ChargePeriodStart >= DATE '2026-09-01' AND ChargePeriodStart < DATE '2026-11-25'")
    a = offline("how much did aws cost us since september")
    assert a.kind == "answer" and usd(total) in a.text and "By month" not in a.text, a.text
