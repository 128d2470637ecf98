"""A ranking by growth ranks by the change against the period before ("top 3 services by growth" gave the
three largest services), and a "growing"/"shrinking" before a kind noun is no name. Asked in words other than
heldout45_growth_ranking's; the changes come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.answer import Answer
from tests.conftest import usd

_DELTA = "sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) - sum(BilledCost) FILTER (WHERE ChargePeriodStart < ?)"
_TOP = "SELECT {what} FROM {table} WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY {key} ORDER BY {delta} DESC LIMIT 1"


def _top_increase(sql: Callable[..., Any], key: str, table: str) -> tuple[str, Any]:
    """The group with October's largest increase over September, and that increase."""
    september, october, november = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)
    name = sql(_TOP.format(what=key, table=table, key=key, delta=_DELTA), september, november, october, october)
    change = sql(_TOP.format(what=_DELTA, table=table, key=key, delta=_DELTA),
                 october, october, september, november, october, october)
    return name, change


def test_services_by_cost_increase_are_ranked_by_their_change(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    name, change = _top_increase(sql, "ServiceName", "focus_charges")
    a = offline("services ordered by cost increase in october")
    assert a.kind == "answer" and a.text.startswith("Increases by service vs September 2026"), a.text
    assert f"{name} +{usd(change)}" in a.text, a.text


def test_the_fastest_growing_teams_are_teams_not_a_team_called_growing(offline: Callable[..., Answer],
                                                                      sql: Callable[..., Any]) -> None:
    name, change = _top_increase(sql, "x_team", "charges_allocated")
    a = offline("who were the fastest growing teams in october")
    assert a.kind == "answer" and a.text.startswith("Increases by team vs September 2026"), a.text
    assert f"{name} +{usd(change)}" in a.text, a.text


def test_top_services_by_cost_stay_ranked_by_size(offline: Callable[..., Answer]) -> None:
    a = offline("top 3 services by cost in october")
    assert a.kind == "answer" and "Increases" not in a.text and "By service:" in a.text, a.text
