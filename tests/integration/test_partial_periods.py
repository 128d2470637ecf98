"""A period the billing data covers only in part is said to be so, with the day the data starts and how many
of the period's days it holds: "Billed cost in August 2026 was $199,186.91" read as August's bill when the
store starts on August 27 is a figure for a question nobody asked. Expected days come from SQL on the store."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from agent.service import ask
from knowledge.store import open_store
from tests.conftest import db_rows, duckdb_connect, usd
from tools.registry import run_tool


def _first_day(db: Path) -> date:
    return db_rows(db, "SELECT CAST(min(ChargePeriodStart) AS DATE) FROM focus_charges")[0][0]


def _month_of(day: date) -> tuple[str, date, date]:
    start = day.replace(day=1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start.strftime("%B %Y"), start, end


@pytest.mark.parametrize("tool", ["spend", "query_costs"])
def test_the_month_the_data_starts_in_is_said_to_be_partly_covered(demo_db: Path, tool: str) -> None:
    first = _first_day(demo_db)
    month, start, end = _month_of(first)
    assert start < first, "the demo's data starts inside a month"
    args = {"period": month} if tool == "spend" else {"measures": ["billed_cost"], "period": month}
    with open_store(demo_db, read_only=True) as store:
        result = run_tool(store, tool, args)
    text = result.summary()
    assert f"billing data starts {first.isoformat()}, {(end - first).days} of the period's {(end - start).days} days" in text
    assert any("only partly covered" in n for n in result.evidence.notes)


@pytest.mark.parametrize("tool", ["spend", "query_costs"])
def test_a_month_the_data_covers_says_nothing_of_coverage(demo_db: Path, tool: str) -> None:
    first = _first_day(demo_db)
    _, _, end = _month_of(first)
    covered, _, _ = _month_of(end)          # the month after: wholly inside the data
    args = {"period": covered} if tool == "spend" else {"measures": ["billed_cost"], "period": covered}
    with open_store(demo_db, read_only=True) as store:
        result = run_tool(store, tool, args)
    assert "partly covered" not in result.summary().split(" from ")[0]


@pytest.mark.parametrize("question", ["what did we spend in august?", "which 2 regions cost the most last quarter?",
                                      "q3 spend by provider"])
def test_an_asked_period_the_data_starts_inside_is_flagged_in_the_answer(demo_db: Path, question: str) -> None:
    answer = ask(question, db=demo_db)
    assert answer.kind == "answer", answer.text
    assert f"billing data starts {_first_day(demo_db).isoformat()}" in answer.text


def test_a_period_wider_than_the_data_counts_only_the_days_it_holds(demo_db: Path) -> None:
    con = duckdb_connect(str(demo_db), read_only=True)
    try:
        first, days = con.execute("SELECT CAST(min(ChargePeriodStart) AS DATE), "
                                  "date_diff('day', min(ChargePeriodStart), max(ChargePeriodEnd)) FROM focus_charges").fetchone()
    finally:
        con.close()
    start, end = first.replace(day=1), date(first.year + 1, 1, 1)    # the data ends before the year does
    with open_store(demo_db, read_only=True) as store:
        result = run_tool(store, "query_costs", {"measures": ["billed_cost"],
                                                 "period": f"{start.isoformat()}..{end.isoformat()}"})
    assert (f"billing data starts {first.isoformat()}, {days} of the period's {(result.period.end - start).days} days"
            in result.summary()), result.summary()


@pytest.mark.parametrize("question", ["spend this month vs october", "total cost month to date vs october",
                                      "billed cost this month compared with last month"])
def test_a_month_so_far_against_a_whole_month_gives_the_daily_averages_too(demo_db: Path, question: str) -> None:
    """24 days of November against 31 of October: the totals' change alone reads as a drop that the daily
    averages may not show. Days and sums from SQL on the store; the averages are those sums over those days."""
    (last_day,) = db_rows(demo_db, "SELECT CAST(max(ChargePeriodStart) AS DATE) FROM focus_charges")[0]
    month = last_day.replace(day=1)
    prev = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    days, prev_days = (last_day - month).days + 1, (month - prev).days
    cur_sum, prev_sum = db_rows(demo_db, "SELECT sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ? AND "
                                "ChargePeriodStart < ?), sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ? AND "
                                "ChargePeriodStart < ?) FROM focus_charges",
                                [month, last_day + timedelta(days=1), prev, month])[0]
    text = ask(question, db=demo_db, planner="offline").text
    assert f"not like for like: {days} days of billing data against {prev_days}" in text, text
    assert f"per day {usd(cur_sum / days)} against {usd(prev_sum / prev_days)}" in text, text
