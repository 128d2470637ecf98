"""A Slack approval (a state-only write) commits to the live store file when nobody has it open, instead
of copying the whole store for one row; with a reader holding the file it takes the copy. Either way the
row is there for the next reader, a failed block leaves nothing, and a later ingest keeps the row."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from apps.slack.storelock import StoreAccess
from knowledge.ingest import ingest
from knowledge.store import open_store, open_store_for_write
from tests.conftest import duckdb_connect, reader_holding

SAMPLE = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"

APPROVE = ("INSERT INTO approvals (estimate_id, decided_by, decision, ts, channel, note) "
           "VALUES (?, 'U42', 'approved', TIMESTAMP '2026-12-01 10:00:00', 'C1', 'ok')")

_COUNT = "SELECT count(*) FROM approvals"

# A second process that opens the store through finops, the way a question does, and reads the approvals.
OPENING_READER = """
import sys
from knowledge.store import open_store
with open_store(sys.argv[1], read_only=True) as store:
    print(store.con.execute('SELECT count(*) FROM approvals').fetchone()[0], flush=True)
"""


def _approvals(db: Path) -> list[tuple[str, str]]:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute("SELECT estimate_id, decision FROM approvals ORDER BY estimate_id").fetchall()
    finally:
        con.close()


def _store_with_bill(db: Path) -> None:
    ingest(db, "focus", [SAMPLE], wait_seconds=1)


def test_approval_is_committed_to_the_live_file_without_a_copy(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store_with_bill(db)
    inode = db.stat().st_ino
    StoreAccess(db).write(lambda store: store.con.execute(APPROVE, ["est-1"]))
    assert db.stat().st_ino == inode                          # the same file: not a copy swapped in
    assert Path(str(db) + ".wal").exists()                    # the row is in the file's WAL
    assert not list(tmp_path.glob(".s.duckdb.writing-*"))
    assert _approvals(db) == [("est-1", "approved")]          # a new reader replays it


def test_a_reader_holding_the_file_sends_the_approval_to_a_copy(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store_with_bill(db)
    inode = db.stat().st_ino
    with reader_holding(db, _COUNT) as (first, again):
        assert first == "0"
        StoreAccess(db).write(lambda store: store.con.execute(APPROVE, ["est-2"]))
        assert again() == "0"                                 # the open reader keeps its snapshot
    assert db.stat().st_ino != inode                           # written to a copy, swapped in
    assert _approvals(db) == [("est-2", "approved")]


def test_a_failed_state_write_in_place_leaves_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store_with_bill(db)
    with pytest.raises(RuntimeError, match="boom"):
        with open_store_for_write(db, state_only=True) as store:
            store.con.execute(APPROVE, ["est-3"])
            raise RuntimeError("boom")
    assert _approvals(db) == []
    with open_store_for_write(db, state_only=True) as store:   # the file is free again for the next one
        store.con.execute(APPROVE, ["est-4"])
    assert _approvals(db) == [("est-4", "approved")]


def test_a_reader_opening_during_the_write_waits_and_sees_the_committed_row(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store_with_bill(db)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    with open_store_for_write(db, state_only=True) as store:
        store.con.execute(APPROVE, ["est-5"])
        reader = subprocess.Popen([sys.executable, "-c", OPENING_READER, str(db)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.5)                                         # the reader tries while the file is held
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert out.strip() == "1"


def test_ingest_after_approvals_in_place_keeps_them_and_folds_the_wal(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    open_store(db).close()
    access = StoreAccess(db)
    access.write(lambda store: store.con.execute(APPROVE, ["est-6"]))
    access.write(lambda store: store.con.execute(APPROVE, ["est-7"]))
    # a reader holds the file: the ingest cannot fold the WAL in place, copies it
    with reader_holding(db, _COUNT) as (first, _):
        assert first == "2"
        report = ingest(db, "focus", [SAMPLE], wait_seconds=1)
        assert report.files[0].rows_loaded == 1000
    assert not Path(str(db) + ".wal").exists()                 # folded into the new file
    assert _approvals(db) == [("est-6", "approved"), ("est-7", "approved")]
    con = duckdb_connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone() == (
        1000, Decimal("20.52022672899"))
    con.close()


KILLED_WRITER = """
import os, sys
from knowledge.store import open_store_for_write
with open_store_for_write(sys.argv[1], state_only=True) as store:
    store.con.execute(sys.argv[2], ['est-8'])
os._exit(9)                               # killed after the commit, before anything else
"""


def test_a_writer_killed_after_its_commit_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store_with_bill(db)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(db), APPROVE], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    assert _approvals(db) == [("est-8", "approved")]
    StoreAccess(db).write(lambda store: store.con.execute(APPROVE, ["est-9"]))
    assert _approvals(db) == [("est-8", "approved"), ("est-9", "approved")]
