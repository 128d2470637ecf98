""""What will this cost if we scale it to 10x traffic?": the result's own cost and volume, multiplied in
Python (Decimal), with the assumption stated. The figures come from the tool's result; the model never
does this arithmetic.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agent.state import ToolOutcome
from tools.contract import money

MAX_ROWS = 5


def what_if_scaled(factor: Decimal, outcomes: list[ToolOutcome]) -> str | None:
    """A sentence per row (up to MAX_ROWS) of the first result that has costs and volumes."""
    if factor <= 0:
        return None
    for o in outcomes:
        if not o.get("ok"):
            continue
        rows = _rows(o.get("result") or {})
        if not rows:
            continue
        period = _period_label(o.get("result") or {})
        items = []
        for key, cost, units, unit in rows[:MAX_ROWS]:
            items.append(f"{key}: {money(cost)} for {units:,} {unit} {period} -> {money(cost * factor)} for "
                         f"{int(units * factor):,} {unit}")
        return (f"At {_factor(factor)}x the volume, if cost grows in proportion to it (true of per-token and "
                f"per-request prices; fixed-size instances and reservations do not scale this way): "
                + "; ".join(items) + ".")
    return None


def _rows(result: dict[str, Any]) -> list[tuple[str, Decimal, int, str]]:
    out = []
    for r in result.get("rows") or []:
        if not isinstance(r, dict) or r.get("is_other") or r.get("cost") in (None, ""):
            continue
        units = r.get("units", r.get("calls"))
        if units in (None, 0):
            continue
        unit = r.get("unit") or "calls"
        out.append((str(r.get("key")), Decimal(str(r["cost"])), int(units), str(unit)))
    return out


def _period_label(result: dict[str, Any]) -> str:
    period = result.get("period") or {}
    if isinstance(period, dict) and period.get("start") and period.get("end"):
        return f"in {period.get('label', 'the period')}"
    return ""


def _factor(factor: Decimal) -> str:
    return f"{factor.normalize():f}"
