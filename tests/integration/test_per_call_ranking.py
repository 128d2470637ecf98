"""A ranking per call of an LLM breakdown ranks the rows by their own cost per call: "which team has the highest
llm spend per call" gave the overall cost per call and the teams by spend. The top row comes from SQL written
here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.answer import Answer


def test_teams_ranked_by_cost_per_call(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    top = sql("SELECT team FROM llm_calls WHERE ts >= ? AND ts < ? GROUP BY team ORDER BY sum(cost) / sum(calls) DESC "
              "LIMIT 1", date(2026, 10, 1), date(2026, 11, 1))
    a = offline("which team had the highest llm spend per call in october")
    assert a.kind == "answer" and a.text.startswith(f"Per single unit, highest first: {top}:"), a.text


def test_per_llm_call_is_a_unit_not_a_breakdown_by_model(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    top = sql("SELECT team FROM llm_calls WHERE ts >= ? AND ts < ? GROUP BY team ORDER BY sum(cost) / sum(calls) DESC "
              "LIMIT 1", date(2026, 10, 1), date(2026, 11, 1))
    a = offline("which team paid the most per llm call in october")     # was the teams by total spend
    assert a.kind == "answer" and a.text.startswith(f"Per single unit, highest first: {top}:"), a.text
