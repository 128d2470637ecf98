"""Snapshot of the terminal chat's main screen at 100x30 (pytest-textual-snapshot).

Deterministic: no clock in the header, a fixed session id, a relative store path. Update after an
intended change of the layout with `pytest tests/test_tui_snapshot.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.tui.app import ChatApp


def test_main_screen(snap_compare: Any) -> None:
    app = ChatApp(db=Path("demo.duckdb"), session_id="snapshot-session")
    assert snap_compare(app, terminal_size=(100, 30))
