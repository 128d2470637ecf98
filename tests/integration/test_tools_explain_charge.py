"""explain_charge: the $17K charge from last week, and the biggest charge of a day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from test_tools_support import focus_db, focus_store, mini_db, mini_store  # noqa: F401 - fixtures

from knowledge.store import Store
from tools.contract import NoDataError, PeriodError
from tools.explain_charge import ExplainChargeResult
from tools.registry import run_tool


@pytest.mark.parametrize("args", [
    {"amount": 17000, "period": "last week"},
    {"amount": "17K".replace("K", "000"), "period": "2026-W47"},
    {"amount": 17300},  # default: the last 30 days
])
def test_the_17k_charge(demo_store: Store, demo_facts: dict, args: dict) -> None:
    fact = demo_facts["charge_17k"]
    r = run_tool(demo_store, "explain_charge", args)
    assert isinstance(r, ExplainChargeResult)
    m = r.match
    assert r.near and m is not None and m.grain == "charge"
    assert (m.billed, m.start, m.resource_id, m.sku_id, m.service, m.provider, m.description) == (
        Decimal(fact["amount"]), date.fromisoformat(fact["date"]), fact["resource_id"], fact["sku_id"],
        fact["service"], fact["provider"], fact["charge_description"])
    assert r.team == fact["team"]
    assert sum(b.billed for b in r.breakdown) == m.billed
    assert r.breakdown[0].sku_id == fact["sku_id"]
    qty = demo_store.con.execute(
        "SELECT ConsumedQuantity FROM focus_charges WHERE ResourceId = ? AND SkuId = ? AND BilledCost = ?",
        [fact["resource_id"], fact["sku_id"], Decimal(fact["amount"])]).fetchone()[0]
    assert r.breakdown[0].quantity == qty
    text = r.summary()
    assert text.startswith("The charge nearest") and "$17,284.50" in text and f"team {fact['team']}" in text


def test_widens_a_single_day_when_nothing_is_near(demo_store: Store, demo_facts: dict) -> None:
    fact = demo_facts["charge_17k"]
    day_before = (date.fromisoformat(fact["date"]) - timedelta(days=1)).isoformat()
    r = run_tool(demo_store, "explain_charge", {"amount": 17284.5, "period": day_before})
    assert r.match is not None and r.match.resource_id == fact["resource_id"]
    assert r.searched.days == 7 and any("either side" in n for n in r.evidence.notes)


def test_nothing_near_says_so(mini_store: Store) -> None:
    r = run_tool(mini_store, "explain_charge", {"amount": 99999, "period": "last week"})
    assert not r.near and r.summary().startswith("Nothing within 10% of $99,999.00")


def test_largest_charge_of_a_day_on_the_focus_sample(focus_store: Store) -> None:
    r = run_tool(focus_store, "explain_charge", {"period": "2024-09-18"})
    biggest = focus_store.con.execute(
        "SELECT max(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
        [datetime(2024, 9, 18), datetime(2024, 9, 19)]).fetchone()[0]
    assert r.match is not None and r.match.grain == "charge" and r.match.billed == biggest
    assert r.team is None and "unallocated" in r.summary()


def test_service_day_candidates_sum_exactly(mini_store: Store) -> None:
    # the mini store's EC2 day: $672 cluster + $100 web server
    r = run_tool(mini_store, "explain_charge", {"amount": 772, "period": "2026-02-10"})
    assert r.match is not None and r.match.grain == "service-day" and r.match.billed == Decimal("772")
    assert sorted(b.billed for b in r.breakdown) == [Decimal("100"), Decimal("672")]
    effective = mini_store.con.execute(
        "SELECT sum(EffectiveCost) FROM focus_charges WHERE ServiceName = 'Amazon EC2' "
        "AND CAST(ChargePeriodStart AS DATE) = DATE '2026-02-10'").fetchone()[0]
    assert r.match.effective == effective and r.match.provider == "AWS"
    assert "Owners by line" in r.summary()


def test_errors(demo_store: Store) -> None:
    with pytest.raises(PeriodError, match="in the future"):
        run_tool(demo_store, "explain_charge", {"amount": 17000, "period": "2027-03"})
    with pytest.raises(NoDataError, match="holds data from 2026-08-27"):
        run_tool(demo_store, "explain_charge", {"amount": 17000, "period": "2025-01"})
