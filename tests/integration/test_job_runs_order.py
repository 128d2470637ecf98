"""GPU jobs listed in the order asked: by hours run ("which jobs ran longest"), by start ("the most recent
jobs"), by cost otherwise; an order the tool cannot list in ("shortest") is asked back with no figure.
Expected orders come from SQL over the demo store's gpu_jobs."""

from __future__ import annotations

from pathlib import Path

from agent.service import ask
from knowledge.store import open_store
from tests.conftest import db_rows
from tools.registry import run_tool

OCTOBER = ("2026-10-01", "2026-11-01")
RAN_IN_OCTOBER = "started_at < CAST(? AS TIMESTAMP) AND coalesce(ended_at, started_at) > CAST(? AS TIMESTAMP)"


def test_which_jobs_ran_longest_lists_them_by_hours_not_by_cost(demo_db: Path) -> None:
    longest = [r[0] for r in db_rows(demo_db, f"""
        SELECT job_id FROM gpu_jobs WHERE {RAN_IN_OCTOBER}
        ORDER BY date_diff('second', started_at, ended_at) DESC, actual_cost DESC NULLS LAST, job_id LIMIT 3""",
        [OCTOBER[1], OCTOBER[0]])]
    costliest = [r[0] for r in db_rows(demo_db, f"""
        SELECT job_id FROM gpu_jobs WHERE {RAN_IN_OCTOBER} ORDER BY actual_cost DESC NULLS LAST LIMIT 3""",
        [OCTOBER[1], OCTOBER[0]])]
    assert longest != costliest, "the demo must tell the two orders apart for this test to mean anything"
    answer = ask("which gpu jobs ran longest in october and what did they cost", db=demo_db, planner="offline")
    assert answer.kind == "answer", answer.text
    assert [c.args.get("order") for c in answer.tool_calls] == ["hours"]
    assert "longest first" in answer.text
    positions = [answer.text.index(j) for j in longest]
    assert positions == sorted(positions), (longest, answer.text[:600])


def test_the_tool_lists_by_start_when_asked_for_the_latest(demo_db: Path) -> None:
    with open_store(demo_db, read_only=True) as store:
        result = run_tool(store, "job_runs", {"period": "october", "order": "recent", "top": 5})
    expected = [r[0] for r in db_rows(demo_db, f"""
        SELECT job_id FROM gpu_jobs WHERE {RAN_IN_OCTOBER}
        ORDER BY started_at DESC, actual_cost DESC NULLS LAST, job_id LIMIT 5""", [OCTOBER[1], OCTOBER[0]])]
    assert [j.job_id for j in result.jobs] == expected
    assert "latest started first" in result.summary()


def test_an_order_the_tool_cannot_list_in_is_asked_back(demo_db: Path) -> None:
    for question in ("which training runs were shortest in october", "show the quickest gpu jobs last month"):
        answer = ask(question, db=demo_db, planner="offline")
        assert answer.kind == "did_you_mean", (question, answer.text)
        assert "$" not in answer.text and "which gpu jobs ran longest" in answer.text, answer.text
