"""The cost of a GPU hour of jobs is the job history's cost over GPUs x hours (ended jobs with a known cost),
never the endpoints' cost per 1K requests; an endpoint's GPU hour gets no figure; "who" spends the most is a
team, not the models. Asked in words other than heldout15_who_and_gpu_hours'; expected figures come from SQL
written here."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import usd

_HOURS = "gpu_count * date_diff('second', started_at, ended_at) / 3600.0"
_PRICED = "ended_at IS NOT NULL AND actual_cost IS NOT NULL AND gpu_count IS NOT NULL"
_OCTOBER = "started_at < TIMESTAMP '2026-11-01' AND coalesce(ended_at, TIMESTAMP '2026-11-25') >= TIMESTAMP '2026-10-01'"


def test_a_gpu_hour_of_training_costs_the_jobs_cost_over_their_gpu_hours(offline: Callable[..., Answer],
                                                                          sql: Callable[..., Any]) -> None:
    cost = sql(f"SELECT sum(actual_cost) FROM gpu_jobs WHERE kind = 'training' AND {_PRICED} AND {_OCTOBER}")
    hours = sql(f"SELECT sum({_HOURS}) FROM gpu_jobs WHERE kind = 'training' AND {_PRICED} AND {_OCTOBER}")
    a = offline("for october, what did one GPU-hour of training cost us?")
    assert a.kind == "answer" and [c.tool for c in a.tool_calls] == ["job_runs"], a.text
    assert a.tool_calls[0].args.get("per_gpu_hour") is True and a.tool_calls[0].args.get("kind") == "training"
    per = (Decimal(cost) / Decimal(str(hours))).quantize(Decimal("0.01"))
    assert a.text.split(":", 1)[1].lstrip().startswith(usd(per) + " per GPU hour"), (per, a.text)
    assert usd(cost) in a.text and f"{Decimal(str(hours)).quantize(Decimal('0.1')):,}" in a.text, a.text


def test_gpu_hours_leave_out_running_and_unpriced_jobs(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    november = "started_at < TIMESTAMP '2026-11-25' AND coalesce(ended_at, TIMESTAMP '2026-11-25') >= TIMESTAMP '2026-11-01'"
    jobs = sql(f"SELECT count(*) FROM gpu_jobs WHERE {_PRICED} AND {november}")
    every = sql(f"SELECT count(*) FROM gpu_jobs WHERE {november}")
    assert jobs < every                      # the demo has running or unpriced jobs this month
    a = offline("gpu hours across every job so far this month, and the rate per hour")
    assert f"of the {jobs:,} ended jobs with a known cost" in a.text, a.text


@pytest.mark.parametrize("q", ["what does a GPU hour on our serving endpoints cost?",
                               "gpu-hour price of the inference endpoints last month"])
def test_an_endpoints_gpu_hour_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_who_spends_most_on_a_provider_is_a_team(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    team = sql("SELECT team FROM llm_calls WHERE provider = 'anthropic' AND ts >= TIMESTAMP '2026-10-26' "
               "AND ts < TIMESTAMP '2026-11-25' GROUP BY team ORDER BY sum(cost) DESC, team LIMIT 1")
    a = offline("anthropic: who has been spending the most?")
    assert a.tool_calls and a.tool_calls[0].args.get("group_by") == "team", a.tool_calls
    assert f"By team: {team}" in a.text, a.text
