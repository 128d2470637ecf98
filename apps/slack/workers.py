"""Answer questions off Slack's request thread: a bounded pool, one question at a time per thread.

Listeners only acknowledge and submit, so Slack's 3-second deadline holds however busy the bot is.
Questions in the same conversation (Slack thread) run in the order they arrived, so a follow-up sees
the turn before it; different conversations run in parallel.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class ConversationWorkers:
    def __init__(self, max_workers: int):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="finops-slack")
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Callable[[], None]]] = {}
        self._idle = threading.Condition(self._lock)
        self._pending = 0

    def submit(self, key: str, job: Callable[[], None]) -> None:
        with self._lock:
            self._pending += 1
            queue = self._queues.get(key)
            if queue is not None:
                queue.append(job)
                return
            self._queues[key] = deque()
        self._pool.submit(self._run, key, job)

    def _run(self, key: str, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a job reports its own errors to Slack; this is the last resort
            log.exception("unhandled error in a Slack job")
        with self._lock:
            self._pending -= 1
            if not self._pending:
                self._idle.notify_all()
            queue = self._queues[key]
            if not queue:
                del self._queues[key]
                return
            nxt = queue.popleft()
        self._pool.submit(self._run, key, nxt)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted job has finished (tests, shutdown)."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def shutdown(self, wait: bool = True) -> None:
        if wait:
            self.wait_idle()
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
