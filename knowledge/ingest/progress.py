"""Progress of a long ingest, reported to whoever asked (the CLI draws a Rich bar; the library draws nothing).

The load runs DuckDB statements that take seconds to minutes; while one runs, a background thread polls
the connection's `query_progress()` and forwards it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import duckdb


class ProgressSink(Protocol):
    def start(self, file: str, estimated_rows: int) -> bool:
        """A file starts; return True to receive updates for it (e.g. only for big files)."""

    def update(self, phase: str, fraction: float | None) -> None:
        """The current phase ('reading', 'checking', 'loading', ...) and its completed fraction (0..1)."""

    def finish(self) -> None:
        """The file is done (loaded or failed)."""


def describe(phase: str, fraction: float, rows: int | None, elapsed: float) -> str:
    """'reading: 41,200 rows/s, about 12 s left' once a rate can be told (rows known, some progress made)."""
    if not rows or fraction <= 0.01 or elapsed < 0.5:
        return phase
    rate = rows * fraction / elapsed
    left = elapsed * (1 - fraction) / fraction
    return f"{phase}: {rate:,.0f} rows/s, about {left:,.0f} s left"


@contextmanager
def polled(con: duckdb.DuckDBPyConnection, sink: ProgressSink | None, phase: str, rows: int | None = None,
           interval: float = 0.1) -> Iterator[None]:
    """Report `phase` to `sink` while the statements inside the block run; with `rows` (the rows the phase
    works through, estimated), the phase's rows/s and the time left."""
    if sink is None:
        yield
        return
    sink.update(phase, 0.0)
    stop = threading.Event()
    started = time.monotonic()

    def poll() -> None:
        while not stop.wait(interval):
            try:
                pct = con.query_progress()
            except duckdb.Error:
                continue
            if pct is not None and pct >= 0:
                fraction = min(pct, 100.0) / 100.0
                sink.update(describe(phase, fraction, rows, time.monotonic() - started), fraction)

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
