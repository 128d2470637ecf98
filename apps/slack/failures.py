"""What the bot says in Slack when its work fails: the one ladder from an exception to a reply.

A listener's job runs on a worker thread; it reports its own failures (the worker's catch-all only logs):
an error meant for the user (a FinopsError: bad input, a refused question) is shown as it is, a store that
cannot be opened says so, and anything else is logged with its traceback and answered with a line that
points at the bot's log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from apps.slack.mrkdwn import escape
from knowledge.store import StoreError
from tools.contract import FinopsError

T = TypeVar("T")


def store_unavailable(exc: Exception) -> str:
    """The reply, in the thread, when the store cannot be read."""
    return f"the cost store is not available: {exc}"


def store_unavailable_privately(exc: Exception) -> str:
    """The same, as a private (ephemeral) note to the user who clicked."""
    return f"The cost store is not available: {escape(str(exc))}"


def decision_not_recorded(exc: Exception) -> str:
    """The private note when a decision click (an approval, an alert acknowledged) could not be written."""
    return f"Your decision was not recorded: {escape(str(exc))}"


def attempt(work: Callable[[], T], reply: Callable[[str], None], *, log: logging.Logger, what: str, doing: str,
            subject: str, shown: tuple[type[Exception], ...] = (FinopsError,)) -> T | None:
    """`work()`, or None after replying with why it failed: the message of a `shown` error as it is; the store
    not available; else (logged as "<what> failed: <subject>") "something went wrong while <doing>"."""
    try:
        return work()
    except shown as exc:
        reply(str(exc))
    except StoreError as exc:
        reply(store_unavailable(exc))
    except Exception:
        log.exception("%s failed: %r", what, subject)
        reply(f"something went wrong while {doing}; the error is in the bot's log")
    return None
