"""Snapshots of the terminal chat at 100x30 and 80x24 (pytest-textual-snapshot).

Deterministic: no clock in the header, a fixed session id, a relative store path, no cursor blink.
After an intended change of the layout (or of the agent's wording, for the answered screen), update with
`pytest tests/integration/test_tui_snapshot.py --snapshot-update` and look at the SVGs in tests/integration/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from apps.tui.app import ChatApp


@pytest.fixture(autouse=True)
def _private_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The question history goes to a file of the test's own, never the user's."""
    monkeypatch.setenv("FINOPS_HISTORY", str(tmp_path / "history.txt"))


def asking(question: str) -> Callable[[Pilot], Awaitable[None]]:
    async def ask(pilot: Pilot) -> None:
        box = pilot.app.query_one("#question", Input)
        box.cursor_blink = False
        box.insert_text_at_cursor(question)
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        # the answer scrolls into view: under load the scroll (and its scrollbar) can still be moving after one
        # pause, and the snapshot caught it mid-way once in a clean-clone CI run
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        await pilot.pause()

    return ask


def test_main_screen(snap_compare: Any) -> None:
    app = ChatApp(db=Path("demo.duckdb"), session_id="snapshot-session")
    assert snap_compare(app, terminal_size=(100, 30))


def test_answered_screen(snap_compare: Any, demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_db.parent)
    app = ChatApp(db=Path(demo_db.name), session_id="snapshot-session", planner="offline")
    assert snap_compare(app, terminal_size=(100, 30), run_before=asking("What did we spend by day over the last 30 days?"))


def test_answered_screen_80x24(snap_compare: Any, demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns the breakdown's money is abbreviated ($212.4K), never clipped; the footer fits."""
    monkeypatch.chdir(demo_db.parent)
    app = ChatApp(db=Path(demo_db.name), session_id="snapshot-80x24", planner="offline")
    assert snap_compare(app, terminal_size=(80, 24), run_before=asking("How much did each team spend last month?"))


def test_help_screen_80x24(snap_compare: Any) -> None:
    app = ChatApp(db=Path("demo.duckdb"), session_id="snapshot-session")
    assert snap_compare(app, terminal_size=(80, 24), press=["f1"])
