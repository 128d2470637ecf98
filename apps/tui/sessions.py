"""The earlier turns of a conversation, read from the agent's memory, so reopening `--session ID` shows them.

Read only: the sessions file next to the store is opened only if it exists, and nothing is written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class EarlierTurn(BaseModel):
    question: str
    text: str
    kind: str = "answer"


def earlier_turns(db: str | Path | None, session_id: str) -> list[EarlierTurn]:
    """The turns the agent remembers for `session_id` on the store at `db` (oldest first); [] if none."""
    from agent.memory import open_memory, sessions_path
    from knowledge.store import resolve_db_path

    try:
        path = resolve_db_path(db)
    except Exception:   # no store configured: nothing to redraw
        return []
    if not sessions_path(path).exists():
        return []
    try:
        with open_memory(path) as saver:
            saved = saver.get_tuple({"configurable": {"thread_id": session_id}})
    except sqlite3.Error:
        return []
    if saved is None:
        return []
    history: list[dict[str, Any]] = saved.checkpoint.get("channel_values", {}).get("history") or []
    return [EarlierTurn(question=str(t.get("question", "")), text=str(t.get("text", "")),
                        kind=str(t.get("kind", "answer"))) for t in history if t.get("question")]
