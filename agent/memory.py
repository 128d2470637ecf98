"""Conversation memory: a LangGraph SQLite checkpointer on disk next to the store, keyed by conversation
id (a Slack thread, a TUI session, `--session` on the CLI), so follow-ups work across process restarts.

The store itself is opened read-only per question; memory lives in its own small file,
`<store>.sessions.sqlite`, so asking never needs a write lock on the store.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

log = logging.getLogger(__name__)

SUFFIX = ".sessions.sqlite"


def sessions_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + SUFFIX)


@contextmanager
def open_memory(store_path: Path) -> Iterator[SqliteSaver]:
    """The checkpointer for conversations about the store at `store_path`."""
    path = sessions_path(store_path)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


def prune(saver: SqliteSaver, thread_id: str) -> None:
    """Keep only the latest checkpoint of a conversation (its state holds the whole history), so the
    sessions file does not grow with every step of every question."""
    conn = saver.conn
    with saver.lock:
        row = conn.execute(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
            "ORDER BY checkpoint_id DESC LIMIT 1", (thread_id,)).fetchone()
        if row is None:
            return
        latest = row[0]
        conn.execute("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ?", (thread_id, latest))
        conn.execute("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id <> ?", (thread_id, latest))
        conn.commit()
