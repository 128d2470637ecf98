"""Top-N text with a negative line (credits billed to no resource): the line is named, so the named items and
"others" add up to the total and their shares to 100% (issue 17: "841990 others $4,227,354.00 (112.4%)")."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from knowledge.store import open_store
from tests.conftest import duckdb_connect
from tools.registry import run_tool


def test_a_credit_line_is_named_and_the_items_add_up_to_the_total(writable_demo: Path) -> None:
    con = duckdb_connect(str(writable_demo))
    con.execute(
        "INSERT INTO focus_charges (BilledCost, EffectiveCost, ChargePeriodStart, ChargePeriodEnd, ChargeCategory, "
        "ResourceId, ServiceName, ProviderName, BillingCurrency) VALUES (-250000, -250000, TIMESTAMP '2026-11-20', "
        "TIMESTAMP '2026-11-21', 'Credit', NULL, 'Amazon Elastic Compute Cloud', 'AWS', 'USD')")
    con.close()
    with open_store(writable_demo, read_only=True) as store:
        result = run_tool(store, "spend", {"group_by": "resource", "top": 10, "period": "last 30 days",
                                           "compare": False})
        start, end = result.period.start, result.period.end
        total = store.con.execute("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? "
                                  "AND ChargePeriodStart < ?", [start, end]).fetchone()[0]
    text = result.summary()
    assert "-$250,000.00" in text or "-$" in text.split("By resource:")[1]
    items = re.findall(r"(-?\$[\d,]+\.\d{2}) \((-?[\d.]+)%\)", text.split("By resource:")[1])
    named = sum(Decimal(a.replace("$", "").replace(",", "")) for a, _ in items)
    assert abs(named - Decimal(total)) <= Decimal("0.01") * len(items)      # each item rounded to the cent
    # Shares are of the net total: with the credit named they add up to 100% (others alone may pass it).
    assert abs(sum(Decimal(p) for _, p in items) - 100) <= Decimal("0.1") * len(items), text
