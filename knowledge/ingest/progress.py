"""Progress of a long ingest, reported to whoever asked (the CLI draws a Rich bar; the library draws nothing).

The load runs DuckDB statements that take seconds to minutes; while one runs, a background thread polls
the connection's `query_progress()` and forwards it.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator, Protocol

import duckdb


class ProgressSink(Protocol):
    def start(self, file: str, estimated_rows: int) -> bool:
        """A file starts; return True to receive updates for it (e.g. only for big files)."""

    def update(self, phase: str, fraction: float | None) -> None:
        """The current phase ('reading', 'checking', 'loading', ...) and its completed fraction (0..1)."""

    def finish(self) -> None:
        """The file is done (loaded or failed)."""


@contextmanager
def polled(con: duckdb.DuckDBPyConnection, sink: ProgressSink | None, phase: str, interval: float = 0.1) -> Iterator[None]:
    """Report `phase` to `sink` while the statements inside the block run."""
    if sink is None:
        yield
        return
    sink.update(phase, 0.0)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(interval):
            try:
                pct = con.query_progress()
            except duckdb.Error:
                continue
            if pct is not None and pct >= 0:
                sink.update(phase, min(pct, 100.0) / 100.0)

    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    con.execute("SET progress_bar_time = 0")  # track from the start (the default waits 2 s)
    thread = threading.Thread(target=poll, name="ingest-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        sink.update(phase, 1.0)
