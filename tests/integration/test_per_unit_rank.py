"""A ranking per unit ("which model costs the most per call") lists the models by their cost per call, the
asked unit first, the first-ranked first. Asked in words other than heldout28_per_unit_rank's; the expected
order comes from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.answer import Answer

_PER_CALL = ("SELECT list(model ORDER BY c / n {direction}, model) FROM (SELECT model, sum(cost) AS c, sum(calls) AS n "
             "FROM llm_calls WHERE ts >= TIMESTAMP '2026-10-26' AND ts < TIMESTAMP '2026-11-25' GROUP BY model "
             "HAVING sum(calls) > 0)")


def test_the_most_per_call_comes_first(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    models = list(sql(_PER_CALL.format(direction="DESC")))
    a = offline("what model is the most expensive per call")
    assert a.kind == "answer", a.text
    first_line = a.text.split("\n")[0]
    assert first_line.index(models[0]) < first_line.index(models[1]), a.text


def test_the_cheapest_per_call_comes_first(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    models = list(sql(_PER_CALL.format(direction="ASC")))
    a = offline("which model has the lowest cost per call")
    first_line = a.text.split("\n")[0]
    assert a.kind == "answer" and first_line.index(models[0]) < first_line.index(models[1]), a.text
