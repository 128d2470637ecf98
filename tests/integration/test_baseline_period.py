"""A period named only as what to compare with ("up compared to october?") is the baseline, never the period
answered: the month before this one is set against this month so far (the same days of it), an older one gets
a reply asking for both periods and no figure. Asked in words other than heldout19_baseline_period's; expected
figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd

_TEAM = ("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'ml-platform' "
         "AND ChargePeriodStart >= CAST(? AS DATE) AND ChargePeriodStart < CAST(? AS DATE)")


def test_the_month_before_as_baseline_is_this_month_so_far_against_its_same_days(
        offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    so_far = sql(_TEAM, "2026-11-01", "2026-11-25")
    same_days = sql(_TEAM, "2026-10-01", "2026-10-25")
    october = sql(_TEAM, "2026-10-01", "2026-11-01")
    a = offline("has the ml-platform team's bill grown compared to october?")
    assert a.kind == "answer", a.text
    assert usd(so_far) in a.text and f"from {usd(same_days)} in the same days of October 2026" in a.text, a.text
    assert usd(october) not in a.text, a.text          # October itself is not the period asked about


def test_an_older_baseline_alone_gets_no_figure(offline: Callable[..., Answer]) -> None:
    for question in ("is bigquery cheaper than it was in august?", "azure costs versus september"):
        a = offline(question)
        assert a.kind == "did_you_mean" and "$" not in a.text, a.text
        assert "what to compare with" in a.text, a.text


def test_a_period_named_before_the_comparison_is_still_the_one_asked_about(
        offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    sept = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-09-01' "
               "AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("total spend the month before vs last month")
    assert a.kind == "answer" and usd(sept) in a.text, a.text
