"""A ranking of changes against a period the billing data covers only in part ("which service grew fastest since
september", the 85 days before it holding 5 days of data) gets no figure; against a covered period it is
given. Asked in words other than heldout20_partial_baseline's; expected values come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer


def test_changes_against_a_partly_covered_period_are_not_ranked(offline: Callable[..., Answer]) -> None:
    for question in ("what project grew the most since september?", "which regions rose the most in september"):
        a = offline(question)
        assert a.kind == "did_you_mean" and "$" not in a.text and "%" not in a.text, a.text
        assert "starts 2026-08-27" in a.text and "only in part" in a.text, a.text


def test_changes_against_a_covered_period_are_ranked(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    top = sql("SELECT ServiceName FROM (SELECT ServiceName, "
              "sum(BilledCost) FILTER (WHERE ChargePeriodStart >= DATE '2026-10-01') - "
              "sum(BilledCost) FILTER (WHERE ChargePeriodStart < DATE '2026-10-01') AS d FROM focus_charges "
              "WHERE ChargePeriodStart >= DATE '2026-09-01' AND ChargePeriodStart < DATE '2026-11-01' GROUP BY 1) "
              "ORDER BY d DESC LIMIT 1")
    a = offline("which service went up the most in october?")
    assert a.kind == "answer", a.text
    assert a.text.startswith(f"Increases by service vs September 2026, largest first: {top} +"), a.text
