"""A time grain said beside another breakdown is kept: "daily spend by team" was each team's total for the week,
"each provider's spend day by day" each day's total. Both breakdowns, or no figure when the tool cannot make
them (LLM spend by app and day). Asked in words other than heldout46_two_groupings'; the cells come from SQL
written here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_each_team_per_day_gives_team_day_cells(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    first_day = date(2026, 11, 16)
    top = sql("SELECT x_team FROM charges_allocated WHERE CAST(ChargePeriodStart AS DATE) = ? GROUP BY 1 "
              "ORDER BY sum(BilledCost) DESC LIMIT 1", first_day)
    cell = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE CAST(ChargePeriodStart AS DATE) = ? AND x_team = ?",
               first_day, top)
    a = offline("daily cost for every team, 2026-11-16 to 2026-11-22")
    assert a.kind == "answer" and "By team × day:" in a.text, a.text
    assert f"{top} / {first_day.isoformat()} {usd(cell)}" in a.text, a.text


def test_llm_spend_by_app_per_day_gets_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("llm cost per app, day by day")
    assert a.kind != "answer" and "app and day" in a.text and "$" not in a.text, a.text


def test_one_breakdown_stays_one(offline: Callable[..., Answer]) -> None:
    a = offline("what did each team spend between 2026-11-16 and 2026-11-22")
    assert a.kind == "answer" and "By team:" in a.text and "×" not in a.text, a.text
