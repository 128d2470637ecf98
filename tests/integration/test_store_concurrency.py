"""A reader (the Slack bot, the TUI) stays up while an ingest writes: writers work on a private copy
and swap it in atomically; a second writer waits for the first."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.ingest import ingest
from knowledge.store import StoreBusy, open_store, open_store_for_write, writer_lock
from tests.conftest import duckdb_connect, reader_holding

SAMPLE = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"

def test_ingest_runs_while_another_process_reads(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    open_store(db).close()
    with reader_holding(db, "SELECT count(*) FROM focus_charges") as (first, again):
        assert first == "0"
        report = ingest(db, "focus", [SAMPLE], wait_seconds=1)   # would fail on a lock without the swap
        assert report.files[0].rows_loaded == 1000
        assert again() == "0"                                    # the open reader keeps its snapshot
    con = duckdb_connect(str(db), read_only=True)                 # the next question sees the new data
    assert con.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone() == (
        1000, Decimal("20.52022672899"))
    con.close()


def test_failed_write_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db) as store:
        store.set_meta("marker", "before")
    with pytest.raises(RuntimeError):
        with open_store_for_write(db) as store:
            store.set_meta("marker", "after")
            raise RuntimeError("boom")
    with open_store(db, read_only=True) as store:
        assert store.meta("marker") == "before"
    assert not list(tmp_path.glob(".s.duckdb.writing-*"))


def test_second_writer_waits_then_reports_busy(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    open_store(db).close()
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with writer_lock(db, 1):
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(5)
        with pytest.raises(StoreBusy, match="being written by another finops process"):
            with open_store_for_write(db, wait_seconds=0.3):
                pass
    finally:
        release.set()
        t.join()
    with open_store_for_write(db, wait_seconds=1) as store:   # free again
        store.set_meta("marker", "written")
    with open_store(db, read_only=True) as store:
        assert store.meta("marker") == "written"
