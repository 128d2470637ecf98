"""A growth rate is the change against the period before, in percent, never a unit price ("rate" alone still is
one: "the average rate we pay"). Asked in words other than heldout42_growth_words'; expected figures come from
SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from agent.answer import Answer


def test_a_growth_rate_is_the_change_in_percent(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    now, before = (sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = 'Cloud Storage' "
                       f"AND ChargePeriodStart >= DATE '{a}' AND ChargePeriodStart < DATE '{b}'")
                   for a, b in (("2026-10-26", "2026-11-25"), ("2026-09-26", "2026-10-26")))
    change = (Decimal(now) - Decimal(before)) / Decimal(before) * 100
    a = offline("cloud storage growth rate over the last 30 days")
    assert a.kind == "answer" and "unit price" not in a.text, a.text
    assert f"{abs(change):.1f}%" in a.text, (change, a.text)


def test_a_rate_we_pay_stays_the_unit_price(offline: Callable[..., Answer]) -> None:
    a = offline("what's the average rate we pay for compute engine")
    assert a.kind == "answer" and "unit price" in a.text, a.text
