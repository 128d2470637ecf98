"""job_runs on the demo store: the discarded run with its cost and hours, totals by outcome, names that
do not resolve, and the question asked through the agent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from agent.service import ask
from knowledge.store import Store
from tools.contract import UnknownNameError
from tools.job_runs import JobRunsResult
from tools.registry import run_tool

CENT = Decimal("0.01")


def _discarded_sql(store: Store, job_id: str) -> tuple:
    return store.con.execute(
        "SELECT name, team, gpu_type, gpu_count, date_diff('second', started_at, ended_at) / 3600.0, actual_cost, "
        "CAST(started_at AS DATE) FROM gpu_jobs WHERE job_id = ?", [job_id]).fetchone()


def test_the_discarded_run_with_its_cost_and_hours(demo_store: Store, demo_facts: dict) -> None:
    fact = demo_facts["discarded_run_3k"]
    result = run_tool(demo_store, "job_runs", {"outcome": "discarded"})
    assert isinstance(result, JobRunsResult)
    assert [j.job_id for j in result.jobs] == [fact["job_id"]]
    job = result.jobs[0]
    # against the planted fact
    assert (job.name, job.team, job.gpu_type, job.gpu_count, job.outcome) == (
        fact["name"], fact["team"], fact["gpu_type"], fact["gpu_count"], "discarded")
    assert job.actual_cost is not None and job.actual_cost.quantize(CENT) == Decimal(fact["cost"]) and job.hours == Decimal(fact["hours"])
    assert job.started_at is not None and job.started_at.date().isoformat() == fact["date"]
    # against an independent query
    name, team, gpu_type, gpu_count, hours, cost, day = _discarded_sql(demo_store, fact["job_id"])
    assert (job.name, job.team, job.gpu_type, job.gpu_count) == (name, team, gpu_type, gpu_count)
    assert job.actual_cost == cost and float(job.hours) == pytest.approx(float(hours), abs=0.05)
    assert result.total_jobs == 1 and result.total_cost == cost
    text = result.summary()
    assert text.startswith("1 discarded run in the last 30 days")
    for part in (f"${Decimal(fact['cost']):,}", fact["name"], fact["job_id"], f"{fact['gpu_count']}×{fact['gpu_type']}",
                 f"{float(fact['hours']):.1f} h", fact["date"]):
        assert part in text, part


def test_totals_by_outcome_match_sql_and_unknown_costs_stay_unknown(demo_store: Store) -> None:
    result = run_tool(demo_store, "job_runs", {})
    today = demo_store.today()
    rows = demo_store.con.execute(
        "SELECT coalesce(outcome, '(none)'), count(*), sum(actual_cost), count(*) - count(actual_cost) FROM gpu_jobs "
        "WHERE started_at < CAST(? AS TIMESTAMP) AND coalesce(ended_at, CAST(? AS TIMESTAMP)) >= CAST(? AS TIMESTAMP) - INTERVAL 30 DAY "
        "GROUP BY 1 ORDER BY 1", [today, today, today]).fetchall()
    got = sorted((t.outcome, t.jobs, t.cost, t.unknown_cost_jobs) for t in result.totals)
    assert got == [(o, n, c, u) for o, n, c, u in rows]
    assert "running" in result.summary() and "(unknown)" in result.summary()
    running = run_tool(demo_store, "job_runs", {"outcome": "running", "top": 1000})
    n_running = demo_store.con.execute("SELECT count(*) FROM gpu_jobs WHERE outcome = 'running'").fetchone()[0]
    assert n_running and len(running.jobs) == running.total_jobs == n_running
    assert all(j.actual_cost is None for j in running.jobs) and running.total_cost is None
    assert all(row[8] == "unknown" for row in running.table().rows)
    assert "$0.00" not in running.summary() and "unknown" in running.summary()


def test_an_unknown_team_gets_did_you_mean(demo_store: Store) -> None:
    with pytest.raises(UnknownNameError) as err:
        run_tool(demo_store, "job_runs", {"team": "reserch", "outcome": "discarded"})
    assert "did you mean" in str(err.value) and "'research'" in str(err.value)


def test_the_agent_names_the_discarded_run_and_its_cost(demo_db: Path, demo_facts: dict) -> None:
    fact = demo_facts["discarded_run_3k"]
    answer = ask("Which training run was thrown away, and what did it cost?", db=demo_db, planner="offline")
    assert answer.kind == "answer" and [c.tool for c in answer.tool_calls] == ["job_runs"]
    assert fact["name"] in answer.text and f"${Decimal(fact['cost']):,}" in answer.text
