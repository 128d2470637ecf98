"""Snapshots of the terminal chat at 100x30 (pytest-textual-snapshot).

Deterministic: no clock in the header, a fixed session id, a relative store path, no cursor blink.
After an intended change of the layout (or of the agent's wording, for the answered screen), update with
`pytest tests/test_tui_snapshot.py --snapshot-update` and look at the SVGs in tests/__snapshots__/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from apps.tui.app import ChatApp


def test_main_screen(snap_compare: Any) -> None:
    app = ChatApp(db=Path("demo.duckdb"), session_id="snapshot-session")
    assert snap_compare(app, terminal_size=(100, 30))


def test_answered_screen(snap_compare: Any, demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_db.parent)
    app = ChatApp(db=Path(demo_db.name), session_id="snapshot-session", planner="offline")

    async def ask(pilot: Pilot) -> None:
        box = pilot.app.query_one("#question", Input)
        box.cursor_blink = False
        box.insert_text_at_cursor("What did we spend by day over the last 30 days?")
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=ask)
