""""On track for the month" is this month's projection (spent so far plus the forecast of its remaining days),
never the next 30 days; "what would it cost to run N GPUs …" is an estimate, its "it" no reference to an
earlier answer. Asked in words other than heldout30_month_and_it's; expected figures come from SQL written
here."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_on_track_for_the_month_is_this_months_projection(offline: Callable[..., Answer],
                                                          sql: Callable[..., Any]) -> None:
    so_far = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-11-01' "
                 "AND ChargePeriodStart < DATE '2026-11-25'")
    a = offline("is the bill on track for the month?")
    assert a.kind == "answer" and "Month-end projection" in a.text and usd(so_far) in a.text, a.text
    assert "2026-12-24" not in a.text, a.text


def test_what_it_would_cost_to_run_gpus_is_an_estimate(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    per_gpu_hour = Decimal(str(sql("SELECT min(on_demand_usd_per_hour / gpu_count) FROM gpu_prices "
                                   "WHERE gpu_type = 'H100' AND region = 'us-east-1' AND provider = 'aws'")))
    a = offline("what would it cost to spin up 2 h100s for 5 hours")
    assert a.kind == "answer" and [c.tool for c in a.tool_calls] == ["estimate"], a.text
    assert usd(per_gpu_hour * 2 * 5) in a.text, a.text
