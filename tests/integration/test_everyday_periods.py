"""Issue 19, honest periods: month/quarter to date counts complete days of billing data only and is
compared with the same days of the previous month/quarter (an explicit comparison period, not "the N
days before"); a follow-up "and the month before?" names its period once. Expected figures come from
independent SQL on the demo store, never from the tool under test."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from knowledge.store import open_store
from tests.cli import finops_cli
from tests.conftest import duckdb_connect, usd
from tools.periods import Period, comparison_period, complete_days
from tools.registry import run_tool


def _bill(con: duckdb.DuckDBPyConnection, start: date, end: date) -> Decimal:
    """Billed cost of charges starting in [start, end): independent SQL."""
    value = con.execute(
        "SELECT coalesce(sum(BilledCost), 0) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
        [datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time())]).fetchone()[0]
    return Decimal(str(value))


@pytest.fixture(scope="module")
def bill(demo_db: Path) -> Any:
    con = duckdb_connect(str(demo_db), read_only=True)
    first, last, as_of = con.execute(
        "SELECT min(ChargePeriodStart), max(ChargePeriodEnd), (SELECT value FROM meta WHERE key = 'as_of') "
        "FROM focus_charges").fetchone()
    yield con, first, last, date.fromisoformat(as_of)
    con.close()


def test_month_to_date_counts_complete_days_and_compares_the_same_days_of_last_month(demo_store, bill) -> None:
    con, _first, last, today = bill
    data_end = last.date()                      # first day without complete billing data
    assert data_end <= today                    # the demo's "today" itself holds no complete day
    month_start = today.replace(day=1)
    prev_start = (month_start - timedelta(days=1)).replace(day=1)
    prev_end = prev_start + (data_end - month_start)   # the same number of days, from the 1st
    res = run_tool(demo_store, "spend", {"period": "this month"})
    assert (res.period.start, res.period.end) == (month_start, data_end)
    assert (res.previous.start, res.previous.end) == (prev_start, prev_end)
    assert res.total_billed == _bill(con, month_start, data_end)
    assert res.previous_total_billed == _bill(con, prev_start, prev_end)
    # The change is against those same days, not against the days just before the month.
    assert res.change == _bill(con, month_start, data_end) - _bill(con, prev_start, prev_end)
    through = data_end - timedelta(days=1)
    text = res.summary()
    assert f"through {through.strftime('%b')} {through.day}" in text
    assert f"the same days of {prev_start.strftime('%B %Y')}" in text
    assert usd(_bill(con, prev_start, prev_end)) in text
    # The comparison period is explicit in the SQL: both periods' bounds are parameters of the one scan.
    params = res.evidence.sql[-1].params
    for bound in (month_start, data_end, prev_start, prev_end):
        assert datetime.combine(bound, datetime.min.time()).isoformat(sep=" ") in [str(p) for p in params]


def test_daily_month_to_date_has_no_zero_row_for_today(demo_store, bill) -> None:
    con, _first, last, today = bill
    res = run_tool(demo_store, "spend", {"period": "this month", "group_by": "day"})
    days = [r.key for r in res.rows]
    assert today.isoformat() not in days
    assert days[-1] == (last.date() - timedelta(days=1)).isoformat()
    assert all(r.billed == _bill(con, date.fromisoformat(r.key), date.fromisoformat(r.key) + timedelta(days=1))
               for r in res.rows)


def test_filtered_month_to_date_compares_the_same_days(demo_store, bill) -> None:
    con, _first, last, today = bill
    team = con.execute("SELECT team FROM teams ORDER BY team LIMIT 1").fetchone()[0]
    month_start, data_end = today.replace(day=1), last.date()
    prev_start = (month_start - timedelta(days=1)).replace(day=1)
    prev_end = prev_start + (data_end - month_start)
    res = run_tool(demo_store, "spend", {"period": "month to date", "team": team})
    q = ("SELECT coalesce(sum(BilledCost), 0) FROM charges_allocated WHERE x_team = ? "
         "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?")
    cur = con.execute(q, [team, month_start, data_end]).fetchone()[0]
    prev = con.execute(q, [team, prev_start, prev_end]).fetchone()[0]
    assert (res.total_billed, res.previous_total_billed) == (Decimal(str(cur)), Decimal(str(prev)))


def test_a_past_period_is_not_cut_and_compares_with_the_one_before(demo_store, bill) -> None:
    con, _first, _last, today = bill
    prev_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    res = run_tool(demo_store, "spend", {"period": prev_month.strftime("%Y-%m")})
    assert res.period.start == prev_month and res.period.end == today.replace(day=1)
    before = (prev_month - timedelta(days=1)).replace(day=1)
    assert res.previous_total_billed == _bill(con, before, prev_month)


def test_quarter_and_year_to_date_compare_the_same_days() -> None:
    qtd = Period(start=date(2026, 10, 1), end=date(2026, 12, 4), label="this quarter")
    prev = comparison_period(qtd)
    assert (prev.start, prev.last_day) == (date(2026, 7, 1), date(2026, 9, 3))
    assert prev.label == "the same days of Q3 2026"
    mtd = Period(start=date(2026, 3, 1), end=date(2026, 3, 31), label="this month")
    assert (comparison_period(mtd).start, comparison_period(mtd).end) == (date(2026, 2, 1), date(2026, 3, 1))
    ytd = Period(start=date(2026, 1, 1), end=date(2026, 6, 11), label="this year")
    assert (comparison_period(ytd).start, comparison_period(ytd).last_day) == (date(2025, 1, 1), date(2025, 6, 10))
    # A period running to today is cut at the first day without complete data; others are kept.
    this_month = Period(start=date(2026, 12, 1), end=date(2026, 12, 5), label="this month")
    cut = complete_days(this_month, date(2026, 12, 4), date(2026, 12, 4))
    assert (cut.start, cut.end, cut.label) == (date(2026, 12, 1), date(2026, 12, 4), "this month through Dec 3")
    november = Period(start=date(2026, 11, 1), end=date(2026, 12, 1), label="November 2026")
    assert complete_days(november, date(2026, 12, 4), date(2026, 11, 20)) == november
    assert complete_days(this_month, date(2026, 12, 1), date(2026, 12, 1)) == this_month  # no complete day yet


def test_follow_up_month_before_names_its_period_once(demo_db: Path, tmp_path: Path) -> None:
    """Through the real CLI (in-process, tests/cli.py, with a session): the period's dates are said once."""
    env = {**os.environ, "FINOPS_DB": str(demo_db), "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    env.pop("OPENAI_API_KEY", None)

    def ask(q: str) -> str:
        p = finops_cli("ask", "--session", "months", q, env=env)
        assert p.returncode == 0, p.stderr
        return p.stdout.splitlines()[0]

    with open_store(demo_db, read_only=True) as store:
        today = store.today()
    first = ask("How much did we spend this month?")
    assert "through" in first and "the same days of" in first
    line = ask("and the month before?")
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    last = today.replace(day=1) - timedelta(days=1)
    dates = f"({month.isoformat()} to {last.isoformat()})"
    assert f"{month.strftime('%B %Y')} {dates}" in line
    assert line.count(dates) == 1 and f"{dates} {dates}" not in line
