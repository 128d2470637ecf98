"""Issue 19, the terminal chat people keep open, driven by Textual's Pilot on the real agent and the demo store:
fits 80x24 (money abbreviated rather than clipped, the exact value on the selected row), charts that say
something (job names on waste bars, budgets as % used), a headline then the table with the rest folded,
F1 help, history across runs, `--session` redraws earlier turns, SQL that can be copied and run as-is,
and a follow-up that changes the team. Expected values come from the demo's facts or independent SQL."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Collapsible, DataTable, Footer, Input, Static

from apps.tui.app import ChatApp
from apps.tui.cells import compact_money
from apps.tui.widgets.answer_view import AnswerView
from apps.tui.widgets.charts import BarsChart
from apps.tui.widgets.help_screen import HelpScreen
from tests.conftest import duckdb_connect, usd

BY_TEAM = "How much did each team spend last month?"


def run(app: ChatApp, script: Callable[[Pilot], Awaitable[None]], size: tuple[int, int] = (80, 24)) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await script(pilot)

    asyncio.run(main())


async def ask(pilot: Pilot, question: str) -> AnswerView:
    pilot.app.query_one("#question", Input).insert_text_at_cursor(question)
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    view = pilot.app.query(AnswerView).last()
    assert view.answer is not None
    return view


def make(demo_db: Path, tmp_path: Path, session: str | None = None) -> ChatApp:
    return ChatApp(db=demo_db, session_id=session, planner="offline", export_dir=tmp_path,
                   history_path=tmp_path / "history.txt")


def last_month_by_team(demo_db: Path, demo_facts: dict) -> dict[str, Decimal]:
    first = date.fromisoformat(demo_facts["as_of"]["date"]).replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    with duckdb_connect(str(demo_db), read_only=True) as con:
        rows = con.execute("SELECT coalesce(x_team, 'unallocated'), sum(BilledCost) FROM charges_allocated "
                           "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1", [start, first]).fetchall()
    return {team: Decimal(str(v)) for team, v in rows}


def cells(grid: DataTable) -> list[list[str]]:
    return [[c.plain for c in grid.get_row_at(i)] for i in range(grid.row_count)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_rows_fit_the_screen_and_the_selected_row_is_exact(demo_db: Path, demo_facts: dict, tmp_path: Path,
                                                           size: tuple[int, int]) -> None:
    expected = last_month_by_team(demo_db, demo_facts)

    async def script(pilot: Pilot) -> None:
        view = await ask(pilot, BY_TEAM)
        grid = view.query_one(DataTable)
        assert grid.virtual_size.width <= grid.size.width, "the table is wider than the screen"
        assert view.region.right <= size[0]
        labels = [c.label.plain for c in grid.ordered_columns]
        key, billed = labels.index("team"), labels.index("billed")
        shown = {row[key]: row[billed] for row in cells(grid)}
        for team, total in expected.items():
            # every figure is there, whole or abbreviated, never clipped
            assert shown[team] in (usd(total), compact_money(usd(total))), (team, shown[team])
        if size == (80, 24):
            assert shown["search"] == compact_money(usd(expected["search"]))
        # the input, the conversation and the footer do not overlap and are on screen
        box, footer = pilot.app.query_one("#question", Input), pilot.app.query_one(Footer)
        conversation = pilot.app.query_one("#conversation")
        assert conversation.region.bottom <= box.region.y and box.region.bottom <= footer.region.y
        assert footer.region.bottom == size[1]
        # selecting a row shows its exact figures
        grid.focus()
        rows = cells(grid)
        target = next(i for i, r in enumerate(rows) if r[key] == "search")
        grid.move_cursor(row=target)
        await pilot.pause()
        detail = str(view.query_one(".row-detail", Static).render())
        assert "team search" in detail and f"billed {usd(expected['search'])}" in detail

    run(make(demo_db, tmp_path), script, size)


def test_headline_first_then_table_with_the_rest_folded(demo_db: Path, demo_facts: dict, tmp_path: Path) -> None:
    total = sum(last_month_by_team(demo_db, demo_facts).values())

    async def script(pilot: Pilot) -> None:
        view = await ask(pilot, BY_TEAM)
        headline = str(view.query_one(".headline", Static).render())
        assert usd(total) in headline and "By team" not in headline       # one sentence, the total
        order = [type(w).__name__ for w in view.children]
        assert order.index("BarsChart") < order.index("RowsTable")
        details = view.query_one("Collapsible.details", Collapsible)
        assert details.collapsed and "By team" in str(details.query_one(".details-text", Static).render())
        assert order.index("RowsTable") < list(view.children).index(details)

    run(make(demo_db, tmp_path), script, (120, 40))


def test_waste_bars_are_named_by_job_and_budgets_chart_percent_used(demo_db: Path, demo_facts: dict,
                                                                   tmp_path: Path) -> None:
    with duckdb_connect(str(demo_db), read_only=True) as con:
        zombie_names = {n for (n,) in con.execute("SELECT name FROM gpu_jobs WHERE job_id IN (SELECT unnest(?))",
                                                  [demo_facts["zombie_jobs"]["job_ids"]]).fetchall()}
    over = demo_facts["budget_over_80"]

    async def script(pilot: Pilot) -> None:
        waste = await ask(pilot, "Any zombie jobs?")
        labels = [p.label for p in waste.query_one(BarsChart).spec.points]
        assert "zombie_job" not in labels and zombie_names & set(labels)
        budgets = await ask(pilot, "Which team is closest to its budget?")
        spec = budgets.query_one(BarsChart).spec
        assert "used" in spec.title
        top = max(spec.points, key=lambda p: p.value)
        assert over["team"] in top.label
        assert top.shown == f"{Decimal(over['pct']) * 100:.1f}%"

    run(make(demo_db, tmp_path), script, (120, 40))


def test_f1_opens_help_and_escape_closes_it(demo_db: Path, tmp_path: Path) -> None:
    async def script(pilot: Pilot) -> None:
        await pilot.press("f1")
        assert isinstance(pilot.app.screen, HelpScreen)
        text = " ".join(str(w.render()) for w in pilot.app.screen.query(Static))
        assert "ctrl+g" in text and "history" in text
        box = pilot.app.screen.query_one("#help")
        assert box.region.right <= 80 and box.region.bottom <= 24
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, HelpScreen)
        assert pilot.app.focused is pilot.app.query_one("#question", Input)

    run(make(demo_db, tmp_path), script)


def test_history_is_kept_across_runs(demo_db: Path, tmp_path: Path) -> None:
    async def first(pilot: Pilot) -> None:
        await ask(pilot, "Any zombie jobs?")
        await ask(pilot, BY_TEAM)

    run(make(demo_db, tmp_path), first)
    path = tmp_path / "history.txt"
    assert path.read_text().splitlines()[-2:] == ["Any zombie jobs?", BY_TEAM]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    async def second(pilot: Pilot) -> None:     # a new run of the chat, a new session
        box = pilot.app.query_one("#question", Input)
        await pilot.press("up")
        assert box.value == BY_TEAM
        await pilot.press("up")
        assert box.value == "Any zombie jobs?"
        await pilot.press("down", "down")
        assert box.value == ""

    run(make(demo_db, tmp_path), second)


def test_reopening_a_session_redraws_its_earlier_turns(demo_db: Path, demo_facts: dict, tmp_path: Path) -> None:
    session = "tui-redraw-session"
    texts: list[str] = []

    async def first(pilot: Pilot) -> None:
        view = await ask(pilot, BY_TEAM)
        texts.append(view.answer.text)

    run(make(demo_db, tmp_path, session), first)

    async def again(pilot: Pilot) -> None:
        await pilot.pause()
        views = list(pilot.app.query(AnswerView))
        assert [v.question for v in views] == [BY_TEAM]
        assert views[0].has_class("earlier") and views[0].answer is not None
        assert views[0].answer.text == texts[0]
        # and the conversation goes on: a follow-up reads the earlier turn
        follow = await ask(pilot, "and for the search team?")
        assert usd(last_month_by_team(demo_db, demo_facts)["search"]) in follow.answer.text

    run(make(demo_db, tmp_path, session), again, (120, 40))


def test_copied_sql_runs_as_is_and_gives_the_answer(demo_db: Path, demo_facts: dict, tmp_path: Path) -> None:
    expected = last_month_by_team(demo_db, demo_facts)

    async def script(pilot: Pilot) -> None:
        view = await ask(pilot, BY_TEAM)
        await pilot.press("ctrl+t")
        assert "run it with `duckdb STORE`" in str(view.query_one(".evidence-text", Static).render())
        await pilot.press("ctrl+g")
        sql = pilot.app.clipboard
        assert sql.strip().endswith(";") and "?" not in sql.replace("'?'", "")
        with duckdb_connect(str(demo_db), read_only=True) as con:
            statements = [s for s in sql.split(";") if s.strip() and not all(
                line.startswith("--") for line in s.strip().splitlines())]
            assert len(statements) == sum(len(ev.sql) for ev in view.answer.evidence)
            cur = con.execute(statements[-1])
            cols = [d[0] for d in cur.description]
            got = {r[cols.index("key")] or "unallocated": Decimal(str(r[cols.index("billed")])) for r in cur.fetchall()}
        assert got == expected

    run(make(demo_db, tmp_path), script, (120, 40))
