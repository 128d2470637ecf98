"""One GPU job described by its cost is the job history's (job_runs, ordered by cost), never the bill's: "what did
the biggest training run cost" was the whole bill by team. Asked in words other than heldout47_job_superlatives';
the jobs and their costs come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.answer import Answer
from tests.conftest import usd

_TOP = ("SELECT {what} FROM gpu_jobs WHERE kind = ? AND actual_cost IS NOT NULL AND started_at < ? "
        "AND coalesce(ended_at, ?) >= ? ORDER BY actual_cost DESC, job_id LIMIT 1")


def _costliest(sql: Callable[..., Any], kind: str, start: date, end: date, as_of: date) -> tuple[str, Any]:
    args = (kind, end, as_of, start)
    return sql(_TOP.format(what="name"), *args), sql(_TOP.format(what="actual_cost"), *args)


def test_the_priciest_sweep_of_a_month_is_that_sweep(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    name, cost = _costliest(sql, "sweep", date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 25))
    a = offline("the priciest sweep in october")
    assert a.kind == "answer" and "sweep runs in October 2026" in a.text, a.text
    assert name in a.text and usd(cost) in a.text, a.text
    assert a.text.index(name) < a.text.index(" (job-"), a.text      # the costliest is listed first


def test_which_training_job_was_most_expensive_is_a_job_not_the_bill(offline: Callable[..., Answer],
                                                                      sql: Callable[..., Any]) -> None:
    name, cost = _costliest(sql, "training", date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 25))
    a = offline("which training job was the most expensive in october")
    assert a.kind == "answer" and "training runs in October 2026" in a.text, a.text
    assert f"{name} (" in a.text and usd(cost) in a.text, a.text
    assert "By team" not in a.text, a.text


def test_spend_on_a_job_kind_word_alone_still_gets_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("spend on sweeps last month")
    assert a.kind != "answer" and "sweeps" in a.text and "$" not in a.text, a.text
