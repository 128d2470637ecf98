"""An ingest command: check every file first, take the store for writing (waiting if another writer
holds it), load the files one transaction each on a private copy, then swap the copy in atomically.

If any file fails its checks (missing, empty, a directory, wrong columns) nothing is loaded at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from knowledge.ingest import llm
from knowledge.ingest.errors import IngestError, StoreBusyError
from knowledge.ingest.header import HeaderPlan, plan_header
from knowledge.ingest.limits import DEFAULT_WAIT_SECONDS, LoadPolicy
from knowledge.ingest.load import load_file
from knowledge.ingest.models import FileReport, IngestReport
from knowledge.ingest.progress import ProgressSink
from knowledge.ingest.session import bounded_memory
from knowledge.ingest.source import SourceFile, inspect
from knowledge.ingest.specs import KINDS, SPECS
from knowledge.store import Store, StoreBusy, StoreError, open_store_for_write

__all__ = ["DEFAULT_WAIT_SECONDS", "CheckedFile", "check_files", "ingest", "ingest_into", "load_each", "new_ingest_id",
           "open_for_write", "rolled_back_on_error"]


@dataclass(frozen=True)
class CheckedFile:
    shown: str
    source: SourceFile
    plan: HeaderPlan


def check_files(kind: str, paths: Sequence[str | Path]) -> list[CheckedFile]:
    """Inspect every file and match its header; raises IngestError on the first bad one."""
    if kind not in SPECS:
        raise IngestError(f"unknown ingest kind {kind!r}; use one of {', '.join(KINDS)}")
    if not paths:
        raise IngestError("no files given")
    spec = SPECS[kind]
    out: list[CheckedFile] = []
    seen: set[Path] = set()
    for path in paths:
        src = inspect(path)
        if src.path in seen:  # the same file twice in one command would count its rows twice
            continue
        seen.add(src.path)
        out.append(CheckedFile(str(path), src, plan_header(spec, src, str(path))))
    return out


@contextmanager
def open_for_write(db: str | Path | None, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[Store]:
    """A writable store for one ingest command, swapped in atomically when it ends without an error.

    The load runs on a private copy of the store (see `knowledge.store.open_store_for_write`), so
    readers such as the Slack bot keep answering during a long ingest, and a crash changes nothing.
    While another writer holds the store, wait up to `wait_seconds`.
    """
    try:
        with open_store_for_write(db, wait_seconds=wait_seconds) as store:
            yield store
    except StoreBusy as exc:
        raise StoreBusyError(str(exc)) from exc
    except StoreError as exc:
        raise IngestError(str(exc).splitlines()[0]) from exc


def new_ingest_id(kind: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{uuid.uuid4().hex[:8]}"


def ingest_into(
    store: Store,
    kind: str,
    files: Sequence[CheckedFile],
    *,
    sink: ProgressSink | None = None,
    prices_file: str | Path | None = None,
    on_file: Callable[[FileReport], None] | None = None,
    policy: LoadPolicy = LoadPolicy(),
) -> IngestReport:
    """Load already-checked files into an open, writable store; `on_file` hears of each as its
    transaction commits in the private copy (the copy becomes the store only when the command ends well:
    print what was loaded after `ingest` returns, not from `on_file`)."""
    spec = SPECS[kind]
    prices = llm.read_price_file(prices_file) if prices_file is not None else None
    prices_name = Path(prices_file).name if prices_file is not None else None

    def load(f: CheckedFile, ingest_id: str, run_ids: list[str], earlier: dict[str, str]) -> FileReport:
        return load_file(store.con, spec, f.source, f.plan, ingest_id=ingest_id, run_ids=run_ids, sink=sink,
                         prices=prices, prices_name=prices_name, shown=f.shown, policy=policy, earlier=earlier)

    return load_each(store, kind, files, lambda f: f.shown, load, on_file)


T = TypeVar("T")


def load_each(store: Store, kind: str, items: Sequence[T], shown: Callable[[T], str],
              load: Callable[[T, str, list[str], dict[str, str]], FileReport],
              on_file: Callable[[FileReport], None] | None = None) -> IngestReport:
    """The per-input loop of every ingest command (files here, connector inputs in knowledge.connectors):
    each input loads as its own ingest id, in its own transaction, told the ids loaded before it in the
    command (parts of one export do not replace each other) and the content already loaded (the same
    export twice is skipped); DuckDB keeps to the ingest's memory limit throughout."""
    report = IngestReport(kind=kind, db=str(store.path))
    run_ids: list[str] = []
    earlier: dict[str, str] = {}  # content digest -> name of an input loaded earlier in this command
    with bounded_memory(store.con, store.path):
        for item in items:
            ingest_id = new_ingest_id(kind)
            done = load(item, ingest_id, list(run_ids), earlier)
            report.files.append(done)
            if not done.skipped:
                run_ids.append(ingest_id)
                if done.content_sha256:
                    earlier.setdefault(done.content_sha256, shown(item))
            if on_file is not None:
                on_file(done)
    return report


def ingest(
    db: str | Path | None,
    kind: str,
    paths: Sequence[str | Path],
    *,
    sink: ProgressSink | None = None,
    prices_file: str | Path | None = None,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_file: Callable[[FileReport], None] | None = None,
    policy: LoadPolicy = LoadPolicy(),
) -> IngestReport:
    """`finops ingest KIND PATH...`: check all files, then load each in its own transaction, on a private
    copy of the store that replaces the live one when every file is done. When this returns, the report
    is what the store holds.

    Raises IngestError (nothing changed) for bad input, StoreBusyError when the store stays locked,
    ReplaceRefused when a file would replace good rows with too many bad ones. An error after the copy
    was opened has `rolled_back` set: whatever loaded before it was discarded with the copy.
    """
    files = check_files(kind, paths)
    if kind == "llm-calls" and prices_file is not None:
        llm.read_price_file(prices_file)  # a bad price file is refused before the store is touched
    elif prices_file is not None:
        raise IngestError("--prices applies to llm-calls only")
    with rolled_back_on_error(db, wait_seconds) as store:
        report = ingest_into(store, kind, files, sink=sink, prices_file=prices_file, on_file=on_file, policy=policy)
    report.db = str(store.path)  # the store itself, now that the private copy is swapped in
    return report


@contextmanager
def rolled_back_on_error(db: str | Path | None, wait_seconds: float) -> Iterator[Store]:
    """`open_for_write`, marking an IngestError raised once the copy is open as `rolled_back`."""
    opened = False
    try:
        with open_for_write(db, wait_seconds) as store:
            opened = True
            yield store
    except IngestError as exc:
        if opened:
            exc.rolled_back = True
        raise
