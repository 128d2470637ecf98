"""One process, one store file: many read-only questions at once, or one short write.

DuckDB refuses a writable connection to a file while the same process holds a read-only one (and the
other way round), so the bot's readers (questions) and writers (approvals, stored estimates) take this
lock. Writers are preferred so an approval never waits behind a stream of questions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from knowledge.store import Store, StoreBusy, open_store, open_store_for_write

T = TypeVar("T")


class StoreBusyError(Exception):
    """Another process holds the store's write lock (an ingest, probably)."""


class ReadWriteLock:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class StoreAccess:
    """Opens the store per use: read-only for questions, writable and short-lived for writes."""

    def __init__(self, db: Path | None, *, write_retries: int = 10, retry_delay: float = 0.3):
        self.db = db
        self.lock = ReadWriteLock()
        self._write_retries = write_retries
        self._retry_delay = retry_delay

    def read(self, fn: Callable[[Store], T]) -> T:
        with self.lock.read():
            with open_store(self.db, read_only=True) as store:
                return fn(store)

    def shared(self, fn: Callable[[], T]) -> T:
        """Run `fn` (which opens the store read-only itself, e.g. the agent) under the read lock."""
        with self.lock.read():
            return fn()

    def write(self, fn: Callable[[Store], T]) -> T:
        """Run `fn` as one state-only write (knowledge.store.open_store_for_write): the bot writes only its
        own records (estimates, approvals, alert states), no billing data, in one transaction on the live
        file when no other process has it open, else on a private copy swapped in atomically, so other
        processes reading the store (a TUI, a second bot) are never locked out; wait while another process
        writes (an ingest)."""
        wait = self._write_retries * self._retry_delay
        with self.lock.write():
            try:
                with open_store_for_write(self.db, wait_seconds=wait, state_only=True) as store:
                    return fn(store)
            except StoreBusy as exc:
                raise StoreBusyError("the store is busy (another process is writing, e.g. an ingest); "
                                     "try again in a minute") from exc
