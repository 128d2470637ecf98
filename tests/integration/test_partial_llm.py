"""LLM spend of a period the call logs cover only in part says so ("only partly covered: the LLM call data starts
…, N of the period's M days"), as the bill's answers do; a period they cover whole says nothing of it. Asked in
words other than heldout43_partial_llm'; the figures and the start day come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer
from tests.conftest import usd


def test_a_period_the_call_logs_start_inside_says_so(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    first = sql("SELECT CAST(min(ts) AS DATE) FROM llm_calls")
    total = sql("SELECT sum(cost) FROM llm_calls WHERE app = 'doc-extractor' AND ts >= TIMESTAMP '2026-08-01' "
                "AND ts < TIMESTAMP '2026-09-01'")
    days = 32 - first.day          # the days of August from the first call on
    a = offline("doc-extractor llm spend in august")
    assert a.kind == "answer" and usd(total) in a.text, a.text
    assert f"(only partly covered: the LLM call data starts {first.isoformat()}, {days} of the period's 31 days)" in a.text, a.text


def test_a_period_the_call_logs_cover_says_nothing_of_it(offline: Callable[..., Answer]) -> None:
    a = offline("doc-extractor llm spend in october")
    assert a.kind == "answer" and "partly covered" not in a.text, a.text
