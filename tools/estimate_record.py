"""Run the estimate tool and record it through the store's one writer protocol (the caller stores: the
tool itself only computes).

The estimate is computed and stored on a private copy of the store taken under the writer lock, and the
copy is swapped in atomically (`knowledge.store.open_store_for_write`). So a recorded estimate never
vanishes under an ingest's swap (the ingest holds the lock; the estimate waits for it), and readers in
other processes (questions, the bot) are never locked out while it is recorded.

When the lock is not free within `wait_seconds` (`FINOPS_WRITE_WAIT_SECONDS`, default 30), the estimate
is computed on a read-only connection instead and the result says it was NOT recorded (`stored` False and
a warning): never a silent loss.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from knowledge.ingest.session import transaction
from knowledge.prices import catalogs_current, catalogs_loaded, load_catalogs
from knowledge.store import Store, StoreBusy, StoreError, open_store, open_store_for_write
from tools.contract import FinopsError
from tools.estimate.result import EstimateResult
from tools.estimate.storage import PreviousEstimate, previous_estimate, record_estimate
from tools.registry import run_tool

DEFAULT_WAIT_SECONDS = 30.0
WAIT_ENV = "FINOPS_WRITE_WAIT_SECONDS"


def write_wait_seconds() -> float:
    raw = (os.environ.get(WAIT_ENV) or "").strip()
    if not raw:
        return DEFAULT_WAIT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise FinopsError(f"{WAIT_ENV} must be a number of seconds, got {raw[:40]!r}") from None
    if not 0 <= value <= 3600:
        raise FinopsError(f"{WAIT_ENV} must be between 0 and 3600 seconds, got {raw[:40]!r}")
    return value


def estimate_and_record(db: str | Path | None, args: dict[str, Any], *, record: bool = True,
                        wait_seconds: float | None = None) -> Any:
    """The estimate for `args` (an EstimateResult), recorded in the store when `record`.

    Raises FinopsError on bad input, StoreError when the store cannot be opened at all.
    """
    return estimate_with_previous(db, args, record=record, wait_seconds=wait_seconds)[0]


def _estimate(store: Store, args: dict[str, Any]) -> EstimateResult:
    result = run_tool(store, "estimate", {**args, "record": False})   # the caller stores, below
    assert isinstance(result, EstimateResult)
    return result


def estimate_and_store(store: Store, args: dict[str, Any]) -> EstimateResult:
    """On a writable store (e.g. inside the Slack bot's `store.write`): the estimate, then its row stored
    by the caller's connection — the tool itself never writes."""
    result = _estimate(store, {k: v for k, v in args.items() if k != "record"})
    record_estimate(store.con, result)
    result.stored = True
    return result


def estimate_with_previous(db: str | Path | None, args: dict[str, Any], *, record: bool = True,
                           wait_seconds: float | None = None) -> tuple[EstimateResult, PreviousEstimate | None]:
    """The estimate, and the previous stored estimate of the same job (read before this one is stored)."""
    wait = write_wait_seconds() if wait_seconds is None else wait_seconds
    args = {k: v for k, v in args.items() if k != "record"}
    busy: str | None = None
    if record:
        try:
            with open_store_for_write(db, wait_seconds=wait) as store:
                if not catalogs_current(store.con):
                    load_catalogs(store.con)
                with transaction(store.con):
                    result = _estimate(store, args)
                    previous = previous_estimate(store.con, result.name, result.team)
                    record_estimate(store.con, result)
                    result.stored = True
            return result, previous
        except StoreBusy as exc:
            busy = str(exc)
    with open_store(db, read_only=True) as store:
        if not catalogs_loaded(store.con):
            raise FinopsError("the price catalogs are not loaded and the store is busy (another process is "
                              "writing it); try again when it is done")
        result = _estimate(store, args)
        previous = previous_estimate(store.con, result.name, result.team)
    result.stored = False
    if busy:
        result.warnings.append(f"this estimate was NOT recorded ({busy}); run it again to record it before "
                               "asking for an approval")
    return result, previous


__all__ = ["estimate_and_record", "estimate_with_previous", "write_wait_seconds", "StoreError"]
