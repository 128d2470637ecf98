"""Issue 16 #10: `finops estimate` records through the one writer protocol (a private copy swapped in
under the writer lock), through the real CLI (CliRunner on apps.cli.main) with real other processes:
- an estimate recorded while another process writes (an ingest) waits and lands, never vanishes;
- when the store stays busy, the output says the estimate was NOT recorded;
- readers in other processes (questions, the bot) never fail while estimates are recorded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from apps.cli.main import app
from knowledge.prices import load_catalogs
from knowledge.store import open_store
from tests.cli import CliRunner
from tests.conftest import duckdb_connect

FLAGS = ["--name", "sft", "--team", "search", "--gpu-type", "H100", "--gpu-count", "8", "--hours", "2",
         "--budget", "5000"]

# Another writer (what an ingest does): takes the writer lock, writes its private copy, holds it for a
# while, then swaps it in.
WRITER = textwrap.dedent("""
    import sys, time
    from knowledge.store import open_store_for_write
    with open_store_for_write(sys.argv[1], wait_seconds=5) as store:
        store.set_meta("ingest_marker", "landed")
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    print("swapped", flush=True)
""")

# A reader that asks again and again, as `finops ask` and the bot open the store (read-only, per question),
# until a line on its stdin says the writes are over (or, at the latest, after argv[2] seconds).
READER = textwrap.dedent("""
    import sys, threading, time
    from knowledge.store import open_store
    ok = failed = 0
    errors = []
    deadline = time.monotonic() + float(sys.argv[2])
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    print("ready", flush=True)
    while time.monotonic() < deadline and not stop.is_set():
        try:
            with open_store(sys.argv[1], read_only=True) as store:
                store.con.execute("SELECT count(*) FROM gpu_prices").fetchone()
            ok += 1
        except Exception as exc:
            failed += 1
            errors.append(str(exc)[:120])
        time.sleep(0.005)
    print(ok, failed, errors[:3], flush=True)
""")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FINOPS_WRITE_WAIT_SECONDS", raising=False)
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        load_catalogs(store.con)
        store.con.execute("INSERT INTO teams (team) VALUES ('search')")
    return path


def estimate(db: Path) -> dict:
    r = CliRunner().invoke(app, ["estimate", *FLAGS, "--db", str(db), "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


def stored_ids(db: Path) -> list[str]:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT estimate_id FROM estimates").fetchall()]
    finally:
        con.close()


def meta(db: Path, key: str) -> str | None:
    with open_store(db, read_only=True) as store:
        return store.meta(key)


def start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_an_estimate_recorded_during_another_write_waits_and_lands(db: Path) -> None:
    writer = start(WRITER, str(db), "1.5")
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        out = estimate(db)                                   # waits for the writer lock
        assert writer.wait(10) == 0 and writer.stdout.readline().strip() == "swapped"
    finally:
        writer.kill()
    assert out["stored"] is True
    assert out["estimate_id"] in stored_ids(db)              # not lost under the other writer's swap
    assert meta(db, "ingest_marker") == "landed"             # and the other write is kept too


def test_a_busy_store_says_the_estimate_was_not_recorded(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_WRITE_WAIT_SECONDS", "0.3")
    writer = start(WRITER, str(db), "3")
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        out = estimate(db)
        r = CliRunner().invoke(app, ["estimate", *FLAGS, "--db", str(db)])       # the PR comment says so too
    finally:
        writer.wait(10)
    assert out["stored"] is False
    assert any("NOT recorded" in w and "being written by another finops process" in w for w in out["warnings"])
    assert "(not recorded in the store)" in r.stdout and "NOT recorded" in r.stdout
    assert stored_ids(db) == [] and meta(db, "ingest_marker") == "landed"


def test_readers_in_other_processes_never_fail_while_estimates_are_recorded(db: Path) -> None:
    reader = start(READER, str(db), "60")
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
        ids = set()
        for hours in range(2, 9):                            # 7 estimates recorded while the reader reads
            r = CliRunner().invoke(app, ["estimate", *FLAGS, "--hours", str(hours), "--db", str(db),
                                         "--format", "json"])
            ids.add(json.loads(r.stdout)["estimate_id"])
        line = reader.communicate("done\n", timeout=30)[0].strip()     # it stops once all 7 are recorded
    finally:
        reader.kill()
    ok, failed = (int(x) for x in line.split()[:2])
    assert failed == 0 and ok > 0, line
    assert ids == set(stored_ids(db)) and len(ids) == 7
