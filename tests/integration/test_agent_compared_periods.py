"""Two periods in one question: the one named first is asked about, the other is the one compared with, and
a comparison the planned tool cannot make is asked back, never answered against another period. Expected
figures from SQL on the demo store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from agent.service import ask
from tests.conftest import db_rows, usd

MONEY_SQL = ("SELECT sum(BilledCost) FROM focus_charges WHERE ProviderName = 'AWS' AND ChargePeriodStart >= ? "
             "AND ChargePeriodStart < ?")


def _last_day(db: Path):
    return db_rows(db, "SELECT CAST(max(ChargePeriodStart) AS DATE) FROM focus_charges")[0][0]


def test_yesterday_against_the_same_day_a_week_earlier(demo_db: Path) -> None:
    day = _last_day(demo_db)
    week_before = day - timedelta(days=7)
    (cur,) = db_rows(demo_db, MONEY_SQL, [day, day + timedelta(days=1)])[0]
    (prev,) = db_rows(demo_db, MONEY_SQL, [week_before, week_before + timedelta(days=1)])[0]
    answer = ask("yesterday's aws bill against the same day a week earlier", db=demo_db, planner="offline")
    assert answer.kind == "answer", answer.text
    assert usd(cur) in answer.text and usd(prev) in answer.text and week_before.isoformat() in answer.text
    assert [c.args.get("compare_to") for c in answer.tool_calls] == [week_before.isoformat()]


def test_a_spend_question_with_a_compared_period_compares_with_that_period(demo_db: Path) -> None:
    """'aws yesterday vs same day last week' was answered against the day before (spend's own comparison)."""
    day = _last_day(demo_db)
    week_before = day - timedelta(days=7)
    (prev,) = db_rows(demo_db, MONEY_SQL, [week_before, week_before + timedelta(days=1)])[0]
    (day_before,) = db_rows(demo_db, MONEY_SQL, [day - timedelta(days=1), day])[0]
    answer = ask("aws yesterday vs same day last week", db=demo_db, planner="offline")
    assert answer.kind == "answer", answer.text
    assert usd(prev) in answer.text and usd(day_before) not in answer.text


def test_a_comparison_no_tool_can_make_is_asked_back(demo_db: Path) -> None:
    answer = ask("which budgets are over this month vs last month", db=demo_db, planner="offline")
    assert answer.kind == "did_you_mean" and not answer.tool_calls, answer.text
    assert "comparison of this month with last month" in answer.text and "$" not in answer.text


def test_this_month_against_last_month_is_not_last_month_alone(demo_db: Path) -> None:
    day = _last_day(demo_db)
    month = day.replace(day=1)
    (cur,) = db_rows(demo_db, "SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? "
                              "AND ChargePeriodStart < ?", [month, day + timedelta(days=1)])[0]
    answer = ask("billed cost this month compared with last month", db=demo_db, planner="offline")
    assert answer.kind == "answer" and usd(cur) in answer.text, answer.text


def test_more_than_usual_is_an_anomaly_check_not_a_period_comparison(demo_db: Path, demo_facts: dict) -> None:
    """"costing more than usual this week" had been answered with this week's two days of spend against the two
    days before (a weekday/weekend comparison): usual is each cost's own normal level, what anomalies measures."""
    drift = demo_facts["drift"]
    for question in ("is anything costing us more than usual this week", "which services are higher than normal"):
        answer = ask(question, db=demo_db, planner="offline")
        assert answer.kind == "answer", (question, answer.text)
        assert [c.tool for c in answer.tool_calls] == ["anomalies"], question
        assert drift["scope"] in answer.text and usd(drift["daily_cost_end"]) in answer.text, answer.text
