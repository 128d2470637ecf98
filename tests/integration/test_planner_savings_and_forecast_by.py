"""Two parts of a question the planner had dropped: the saving ("how much did the search team save last
month" was answered with its spend) and a forecast's breakdown ("projected spend for december by team" was
the total). Asked in words other than the held-out set heldout11_fixcheck's; expected figures come from SQL
written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_what_a_team_saved_is_its_savings_not_its_spend(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    saved = sql("SELECT sum(ListCost - EffectiveCost) FROM charges_allocated WHERE x_team = 'search' "
                "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    spent = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' "
                "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("did the search team save anything in october, and how much?")
    assert a.kind == "answer" and usd(saved) in a.text and usd(spent) not in a.text, a.text


def test_a_forecast_by_team_lists_the_teams(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    top3 = [sql("SELECT x_team FROM charges_allocated WHERE x_team IS NOT NULL AND ChargePeriodStart >= DATE '2026-10-26' "
                "AND ChargePeriodStart < DATE '2026-11-25' GROUP BY 1 ORDER BY sum(BilledCost) DESC LIMIT 1 OFFSET ?", n)
            for n in range(3)]
    a = offline("what will each team spend in december? forecast by team please")
    assert a.kind == "answer" and [c.tool for c in a.tool_calls] == ["forecast"], a.text
    assert a.tool_calls[0].args.get("scope") == "team", a.tool_calls
    assert all(f"{t} (team)" in a.text for t in top3), (top3, a.text)
    assert "Total spend" not in a.text, a.text
