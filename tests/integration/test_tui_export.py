"""ctrl+e in the terminal chat, through the real Textual app (Pilot) and the real agent on the demo store.

The export never follows a symlink nor opens an existing file at its (predictable) name, says so when it
cannot write, and its CSV holds exact values from the tool results (money as decimal digits, shares as
fractions, keys as raw text), checked against SQL written here, never against the code under test.
"""

from __future__ import annotations

import asyncio
import csv
import os
import stat
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

import apps.tui.app as tui_app
from apps.tui.app import ChatApp
from apps.tui.widgets.answer_view import AnswerView
from tests.conftest import duckdb_connect

SIZE = (100, 30)
SPEND_QUESTION = "How much did each team spend last month?"
SPEND_CSV = "finops-how-much-did-each-team-spend-last-month.csv"


class Chat(ChatApp):
    """The app, with the notices it shows recorded (message, severity)."""

    CSS_PATH = str(Path(tui_app.__file__).with_name("chat.tcss"))   # the app's own styles, not tests/

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.notices: list[tuple[str, str]] = []

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.notices.append((str(message), str(kwargs.get("severity", "information"))))
        super().notify(message, *args, **kwargs)


def run(app: ChatApp, script: Callable[[Pilot], Awaitable[None]]) -> None:
    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await script(pilot)

    asyncio.run(main())


async def ask_and_export(pilot: Pilot, question: str) -> AnswerView:
    pilot.app.query_one("#question", Input).insert_text_at_cursor(question)
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    view = pilot.app.query(AnswerView).last()
    assert view.answer is not None and view.answer.kind == "answer" and view.answer.tables, view.answer
    await pilot.press("ctrl+e")
    await pilot.pause()
    return view


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def last_month(demo_facts: dict) -> tuple[date, date]:
    first = date.fromisoformat(demo_facts["as_of"]["date"]).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


def one(db: Path, query: str, *params: Any) -> Any:
    with duckdb_connect(str(db), read_only=True) as con:
        return con.execute(query, list(params)).fetchone()[0]


def app_for(demo_db: Path, export_dir: Path, name: str) -> Chat:
    return Chat(db=demo_db, session_id=f"tui-export-{name}", planner="offline", export_dir=export_dir)


# -- never following a symlink, never overwriting --------------------------------------------------------
def test_a_dangling_symlink_at_the_export_name_is_not_followed(demo_db: Path, tmp_path: Path) -> None:
    exports, outside = tmp_path / "exports", tmp_path / "outside"
    exports.mkdir()
    outside.mkdir()
    target = outside / "planted.csv"                       # does not exist: the link dangles
    link = exports / SPEND_CSV
    link.symlink_to(target)
    app = app_for(demo_db, exports, "dangling")

    async def script(pilot: Pilot) -> None:
        await ask_and_export(pilot, SPEND_QUESTION)

    run(app, script)
    assert not target.exists() and not list(outside.iterdir()), "the symlink's target was created"
    assert link.is_symlink() and os.readlink(link) == str(target)
    written = exports / SPEND_CSV.replace(".csv", "-2.csv")
    assert sorted(p.name for p in exports.iterdir()) == sorted([SPEND_CSV, written.name])
    st = os.lstat(written)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    columns, rows = read_csv(written)
    assert columns[0] == "team" and "billed_usd" in columns and rows
    assert any(str(written) in message for message, _ in app.notices)


def test_a_symlink_to_an_existing_file_and_an_existing_file_are_left_alone(demo_db: Path, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (exports / SPEND_CSV).symlink_to(victim)
    second = exports / SPEND_CSV.replace(".csv", "-2.csv")
    second.write_text("an earlier export\n")
    app = app_for(demo_db, exports, "existing")

    async def script(pilot: Pilot) -> None:
        await ask_and_export(pilot, SPEND_QUESTION)

    run(app, script)
    assert victim.read_text() == "keep me\n" and second.read_text() == "an earlier export\n"
    third = exports / SPEND_CSV.replace(".csv", "-3.csv")
    assert third.is_file() and not third.is_symlink() and read_csv(third)[1]


def test_a_directory_it_cannot_write_is_a_clear_error_not_a_crash(demo_db: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    app = app_for(demo_db, missing, "unwritable")

    async def script(pilot: Pilot) -> None:
        await ask_and_export(pilot, SPEND_QUESTION)
        assert pilot.app.query(AnswerView).last().answer is not None   # the chat is still up

    run(app, script)
    errors = [m for m, severity in app.notices if severity == "error"]
    assert len(errors) == 1 and errors[0].startswith(f"Could not write the CSV in {missing}") and "Exported" not in errors[0]
    assert not missing.exists()


# -- exact values ----------------------------------------------------------------------------------------
def test_spend_by_team_exports_exact_billed_costs_equal_to_sql(demo_db: Path, demo_facts: dict, tmp_path: Path) -> None:
    start, end = last_month(demo_facts)
    app = app_for(demo_db, tmp_path, "spend-exact")

    async def script(pilot: Pilot) -> None:
        await ask_and_export(pilot, SPEND_QUESTION)

    run(app, script)
    path = tmp_path / SPEND_CSV
    assert "$" not in path.read_text(encoding="utf-8")
    columns, rows = read_csv(path)
    assert columns[:4] == ["team", "billed_usd", "effective_usd", "share_ratio"] and "is_total" in columns
    assert all("$" not in cell and "%" not in cell for row in rows for cell in row.values())

    teams = [r for r in rows if r["is_total"] == "false"]
    total = [r for r in rows if r["is_total"] == "true"]
    assert len(total) == 1 and total[0]["team"] == "total"
    assert {r["team"] for r in teams} >= set(demo_facts["teams"])
    where = "ChargePeriodStart >= ? AND ChargePeriodStart < ?"
    for r in teams:
        if r["is_unallocated"] == "true":
            expected = one(demo_db, f"SELECT sum(BilledCost) FROM charges_allocated WHERE x_team IS NULL AND {where}",
                           start, end)
        else:
            assert r["is_other"] == "false", "every team of the demo fits in the table"
            expected = one(demo_db, f"SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND {where}",
                           r["team"], start, end)
        assert Decimal(r["billed_usd"]) == Decimal(expected), r["team"]        # exact, not rounded to cents
    grand = Decimal(one(demo_db, f"SELECT sum(BilledCost) FROM charges_allocated WHERE {where}", start, end))
    assert Decimal(total[0]["billed_usd"]) == grand
    assert sum(Decimal(r["billed_usd"]) for r in teams) == grand
    # shares are fractions of the total, not "19.5%"
    for r in teams:
        assert abs(Decimal(r["share_ratio"]) - Decimal(r["billed_usd"]) / grand) < Decimal("1e-20")
    assert any(Decimal(r["billed_usd"]) != Decimal(r["billed_usd"]).quantize(Decimal("0.01")) for r in teams), \
        "the demo's sums have sub-cent digits: an export rounded to cents would not show them"


def test_query_costs_exports_exact_values_and_raw_keys(demo_db: Path, demo_facts: dict, tmp_path: Path) -> None:
    start, end = last_month(demo_facts)
    app = app_for(demo_db, tmp_path, "query-costs-exact")

    async def script(pilot: Pilot) -> None:
        view = await ask_and_export(pilot, "cost by service category last month")
        assert [c.tool for c in view.answer.tool_calls] == ["query_costs"]

    run(app, script)
    (path,) = tmp_path.glob("finops-*.csv")
    columns, rows = read_csv(path)
    assert columns[:3] == ["service_category", "billed_cost_usd", "share_ratio"] and "is_total" in columns
    where = "ChargePeriodStart >= ? AND ChargePeriodStart < ?"
    categories = [r for r in rows if r["is_total"] == "false"]
    assert categories and all(r["is_other"] == "false" for r in categories)
    for r in categories:
        expected = one(demo_db, f"SELECT sum(BilledCost) FROM focus_charges WHERE ServiceCategory = ? AND {where}",
                       r["service_category"], start, end)
        assert Decimal(r["billed_cost_usd"]) == Decimal(expected), r["service_category"]
    (total,) = [r for r in rows if r["is_total"] == "true"]
    assert Decimal(total["billed_cost_usd"]) == Decimal(
        one(demo_db, f"SELECT sum(BilledCost) FROM focus_charges WHERE {where}", start, end))
