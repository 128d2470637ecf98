"""The bot's one ladder from a failure to a reply in the thread (apps/slack/failures.py): a FinopsError is
shown as it is, a store that cannot be opened says so, anything else is logged and answered with a pointer
to the log; a piece of work that succeeds is returned and nothing is said."""

from __future__ import annotations

import logging
from typing import NoReturn

import pytest

from apps.slack.failures import attempt, decision_not_recorded, store_unavailable, store_unavailable_privately
from apps.slack.storelock import StoreBusyError
from knowledge.store import StoreError
from tools.contract import FinopsError

LOG = logging.getLogger("test.slack.failures")


def raising(exc: Exception):
    def work() -> NoReturn:
        raise exc

    return work


def run(work, **kwargs) -> tuple[object, list[str]]:
    said: list[str] = []
    kwargs = {"log": LOG, "what": "question", "doing": "answering", "subject": "spend?", **kwargs}
    return attempt(work, said.append, **kwargs), said


def test_work_that_succeeds_is_returned_and_nothing_is_said() -> None:
    assert run(lambda: 42) == (42, [])


def test_a_finops_error_is_shown_as_it_is() -> None:
    assert run(raising(FinopsError("unknown team 'serch'"))) == (None, ["unknown team 'serch'"])


def test_a_store_error_says_the_store_is_not_available() -> None:
    assert run(raising(StoreError("no store at x.duckdb"))) == (
        None, ["the cost store is not available: no store at x.duckdb"])


def test_anything_else_is_logged_and_points_at_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        assert run(raising(RuntimeError("boom")), what="estimate", doing="estimating", subject="estimate x") == (
            None, ["something went wrong while estimating; the error is in the bot's log"])
    assert [r.getMessage() for r in caplog.records] == ["estimate failed: 'estimate x'"]
    assert caplog.records[0].exc_info is not None


def test_shown_names_which_errors_are_shown_as_they_are(caplog: pytest.LogCaptureFixture) -> None:
    busy = StoreBusyError("the store is busy")
    assert run(raising(busy), shown=(FinopsError, StoreBusyError)) == (None, ["the store is busy"])
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        assert run(raising(busy)) == (None, ["something went wrong while answering; the error is in the bot's log"])


def test_private_notes_escape_the_error() -> None:
    assert store_unavailable(StoreError("a <b>")) == "the cost store is not available: a <b>"
    assert store_unavailable_privately(StoreError("a <b>")) == "The cost store is not available: a &lt;b&gt;"
    assert decision_not_recorded(StoreError("busy & locked")) == "Your decision was not recorded: busy &amp; locked"
