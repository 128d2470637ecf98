"""The cost per GPU job is the job history's: its known costs over how many jobs have one ("average cost per gpu
job for research" was every endpoint's price per 1K requests, "mean cost of our fine-tune runs" the runs'
total). A median of the jobs gets no figure; the cost per GPU hour stays job_runs' own average. Asked in words
other than heldout51_per_job's; the figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from agent.answer import Answer
from tests.conftest import usd

_JOBS = ("SELECT {what} FROM gpu_jobs WHERE team = ? AND started_at < ? AND coalesce(ended_at, ?) >= ? "
         "AND actual_cost IS NOT NULL")


def test_the_average_cost_per_job_of_a_team_and_month(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    args = ("data", date(2026, 11, 1), date(2026, 11, 25), date(2026, 10, 1))
    total = sql(_JOBS.format(what="sum(actual_cost)"), *args)
    count = sql(_JOBS.format(what="count(*)"), *args)
    a = offline("what did the data team pay per gpu job in october")
    average = (Decimal(total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert a.kind == "answer" and a.text.startswith(f"Average per job: {usd(average)} ({usd(total)} over the {count} jobs"), a.text


def test_a_median_of_the_jobs_gets_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("median cost of the data team's gpu jobs in october")
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_the_cost_per_gpu_hour_stays_the_lead(offline: Callable[..., Answer]) -> None:
    a = offline("average cost per gpu hour of the data team's jobs in october")
    assert a.kind == "answer" and a.text.startswith("GPU jobs of team data in October 2026"), a.text
    assert "per GPU hour" in a.text[:120] and "Average per job" not in a.text, a.text
