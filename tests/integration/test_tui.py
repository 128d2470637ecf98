"""The terminal chat, driven by Textual's Pilot against the real agent on the demo store on disk.

Expected figures come from the demo's facts or from SQL written here, never from the code under test.
"""

from __future__ import annotations

import asyncio
import csv
import threading
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, LoadingIndicator, Sparkline

from agent.answer import Answer
from apps.tui.app import ChatApp
from apps.tui.ask import agent_ask
from apps.tui.widgets.answer_view import AnswerView
from apps.tui.widgets.charts import BarsChart, SeriesChart
from tests.conftest import duckdb_connect, usd

SIZE = (100, 30)


# -- independent expectations ------------------------------------------------------------------
def as_of(demo_facts: dict) -> date:
    return date.fromisoformat(demo_facts["as_of"]["date"])


def last_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


def billed_by_team(db: Path, start: date, end: date) -> dict[str, Decimal]:
    """BilledCost per allocated team over [start, end); unallocated spend under 'unallocated'."""
    with duckdb_connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT coalesce(x_team, 'unallocated') AS team, sum(BilledCost) FROM charges_allocated "
            "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1 ORDER BY 1",
            [start, end],
        ).fetchall()
    return {team: Decimal(total) for team, total in rows}


def billed_by_day(db: Path, start: date, end: date) -> dict[str, Decimal]:
    with duckdb_connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT CAST(ChargePeriodStart AS DATE) AS day, sum(BilledCost) FROM focus_charges "
            "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1 ORDER BY 1",
            [start, end],
        ).fetchall()
    return {d.isoformat(): Decimal(total) for d, total in rows}


# -- driving the app -------------------------------------------------------------------------------
def run(app: ChatApp, script: Callable[[Pilot], Awaitable[None]], size: tuple[int, int] = SIZE) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await script(pilot)

    asyncio.run(main())


async def ask(pilot: Pilot, question: str, *, type_it: bool = False) -> AnswerView:
    """Type (or paste: faster) the question, press enter, wait for the worker; return its exchange."""
    if type_it:
        await pilot.press(*question)
    else:
        pilot.app.query_one("#question", Input).insert_text_at_cursor(question)
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    view = pilot.app.query(AnswerView).last()
    assert view.question == question and view.answer is not None
    return view


def shown_text(view: AnswerView) -> str:
    return " ".join(str(w.render()) for w in view.query(".text"))


def table_rows(view: AnswerView) -> list[list[str]]:
    grid = view.query_one(DataTable)
    return [[cell.plain for cell in grid.get_row_at(i)] for i in range(grid.row_count)]


def column(view: AnswerView, name: str) -> int:
    grid = view.query_one(DataTable)
    labels = [c.label.plain for c in grid.ordered_columns]
    return labels.index(name)


@pytest.fixture
def chat(demo_db: Path, tmp_path: Path, request: pytest.FixtureRequest) -> ChatApp:
    """The app on the session's demo store; one conversation per test (the agent keeps its memory)."""
    return ChatApp(db=demo_db, session_id=f"tui-{request.node.name}", planner="offline", export_dir=tmp_path,
                   history_path=tmp_path / "history.txt")


# -- the tests ---------------------------------------------------------------------------------------
def test_answer_shows_its_rows_chart_sql_and_exports(chat: ChatApp, demo_db: Path, demo_facts: dict,
                                                     tmp_path: Path) -> None:
    start, end = last_month(as_of(demo_facts))
    expected = billed_by_team(demo_db, start, end)
    question = "How much did each team spend last month?"

    async def script(pilot: Pilot) -> None:
        view = await ask(pilot, question, type_it=True)
        assert view.answer is not None and view.answer.kind == "answer"
        assert usd(sum(expected.values())) in shown_text(view)

        rows = table_rows(view)
        key, billed = column(view, "team"), column(view, "billed")
        shown = {row[key]: row[billed] for row in rows}
        for team in demo_facts["teams"]:
            assert shown[team] == usd(expected[team]), team
        assert view.query(BarsChart), "a breakdown gets a bar chart"

        # the SQL and freshness, folded until asked for
        evidence = view.evidence
        assert evidence is not None and evidence.collapsed and "data through" in str(evidence.title)
        await pilot.press("ctrl+t")
        assert not evidence.collapsed
        assert "SELECT" in str(view.query_one(".evidence-text").render())

        # copy and export the rows
        await pilot.press("ctrl+y")
        assert pilot.app.clipboard.startswith(f"Q: {question}") and usd(expected["search"]) in pilot.app.clipboard
        await pilot.press("ctrl+e")
        exported = sorted(tmp_path.glob("finops-*.csv"))
        assert [p.name for p in exported] == ["finops-how-much-did-each-team-spend-last-month.csv"]
        with exported[0].open(newline="") as fh:
            lines = list(csv.reader(fh))
        assert len(lines) == len(rows) + 1

        # the input keeps its history: up recalls the question, down returns to an empty line
        box = pilot.app.query_one("#question", Input)
        assert pilot.app.focused is box and box.value == ""
        await pilot.press("up")
        assert box.value == question
        await pilot.press("down")
        assert box.value == ""

    run(chat, script)


def test_follow_up_uses_the_session_memory(chat: ChatApp, demo_db: Path, demo_facts: dict) -> None:
    start, end = last_month(as_of(demo_facts))
    search_last_month = billed_by_team(demo_db, start, end)["search"]

    async def script(pilot: Pilot) -> None:
        first = await ask(pilot, "How much did the search team spend last week?")
        assert first.answer is not None and first.answer.kind == "answer"
        follow = await ask(pilot, "and last month?")
        assert follow.answer is not None and follow.answer.kind == "answer"
        assert follow.answer.session_id == pilot.app.session_id
        assert usd(search_last_month) in shown_text(follow)

    run(chat, script)


def test_unknown_team_says_did_you_mean_inline_at_80x24(chat: ChatApp) -> None:
    async def script(pilot: Pilot) -> None:
        view = await ask(pilot, "How much did team serch spend last month?")
        text = shown_text(view).lower()
        assert "did you mean" in text and "search" in text
        assert view.has_class("kind-did-you-mean") or view.has_class("kind-error")
        # still usable, and the input and footer fit on an 80x24 screen
        box = pilot.app.query_one("#question", Input)
        assert pilot.app.focused is box and box.region.bottom <= 23
        assert box.region.height >= 1 and view.region.width <= 80

    run(chat, script, size=(80, 24))


def test_palette_asks_a_common_question_and_a_series_gets_a_sparkline(chat: ChatApp, demo_db: Path,
                                                                     demo_facts: dict) -> None:
    today = as_of(demo_facts)
    expected = billed_by_day(demo_db, today - timedelta(days=30), today)

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        await pilot.press(*"spend by day over")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        view = pilot.app.query(AnswerView).last()
        assert view.question == "What did we spend by day over the last 30 days?"
        assert view.query(SeriesChart) and view.query(Sparkline)
        key, billed = column(view, "day"), column(view, "billed")
        shown = {row[key]: row[billed] for row in table_rows(view)}
        assert shown.pop("total", usd(sum(expected.values()))) == usd(sum(expected.values()))
        assert shown == {day: usd(total) for day, total in expected.items()}
        assert len(view.query_one(Sparkline).data or []) == len(expected)  # the total row is not a point

    run(chat, script)


def test_the_ui_stays_live_while_the_agent_works(demo_db: Path, tmp_path: Path) -> None:
    """A spinner while the real agent works in its thread; typing goes on; a second enter waits."""
    gate = threading.Event()

    def held_agent(question: str, **kwargs: Any) -> Answer:
        gate.wait(timeout=30)
        return agent_ask(question, **kwargs)

    app = ChatApp(db=demo_db, session_id="busy-session", planner="offline", ask=held_agent, export_dir=tmp_path,
                  history_path=tmp_path / "history.txt")

    async def script(pilot: Pilot) -> None:
        pilot.app.query_one("#question", Input).insert_text_at_cursor("Which GPUs are idle?")
        await pilot.press("enter")
        view = pilot.app.query(AnswerView).last()
        assert view.has_class("pending") and view.query(LoadingIndicator)
        await pilot.press(*"next", "enter")           # typing goes on while busy; enter keeps it, sends nothing
        box = pilot.app.query_one("#question", Input)
        assert box.value == "next" and len(pilot.app.query(AnswerView)) == 1
        gate.set()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert not view.has_class("pending") and not view.query(LoadingIndicator)
        assert view.answer is not None and view.answer.text

    run(app, script)


def test_a_broken_store_is_an_inline_error_not_a_crash(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-store.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 100)
    app = ChatApp(db=bad, session_id="error-session", planner="offline", export_dir=tmp_path,
                  history_path=tmp_path / "history.txt")

    async def script(pilot: Pilot) -> None:
        view = await ask(pilot, "How much did each team spend last month?")
        assert view.has_class("kind-error") and shown_text(view)
        await pilot.press("ctrl+e")                   # nothing to export: a notice, no file
        assert not list(tmp_path.glob("finops-*.csv"))

    run(app, script)
