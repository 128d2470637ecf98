"""`finops ingest` through the real CLI (in-process, tests/cli.py; a real subprocess for exit 0 and one exit 2): the per-file contract line, exit 0 with
quarantined rows, exit 2 with a one-line error and an unchanged store for bad input or a busy store."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.ingest import ingest
from tests.cli import Ran, finops_cli
from tests.conftest import duckdb_connect

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"
DATA = Path(__file__).parents[1] / "data" / "ingest"


def finops(*args: str, process: bool = False) -> Ran:
    env = {k: v for k, v in os.environ.items() if k != "FINOPS_DB"}
    return finops_cli(*args, cwd=ROOT, env=env, process=process)


def snapshot(db: Path) -> tuple:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return tuple(con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {t} AS t").fetchone()
                     for t in ("focus_charges", "quarantine", "ingest_runs", "llm_calls", "llm_prices"))
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    return db


def test_cli_prints_the_contract_line_and_exits_0(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "focus", "--db", str(db), str(SAMPLE), process=True)
    assert res.returncode == 0, res.stderr
    assert f"{SAMPLE}: read 1000, loaded 1000, quarantined 0" in res.stdout
    con = duckdb_connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone() == (1000, Decimal("20.52022672899"))
    con.close()


def test_cli_exits_0_with_quarantined_rows_and_json(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "llm-calls", "--db", str(db), "--json", str(DATA / "llm_calls.csv"))
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    f = report["files"][0]
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (8, 4, 4)
    assert {"line": 5, "reason": "unknown model 'gpt4o'; did you mean 'gpt-4o'?"} in f["first_rejects"]
    text = finops("ingest", "llm-calls", "--db", str(db), "--force", str(DATA / "llm_calls.csv"))  # same content
    assert text.returncode == 0
    assert "read 8, loaded 4, quarantined 4 (replaced 4 earlier rows)" in text.stdout
    assert "line 5: unknown model 'gpt4o'; did you mean 'gpt-4o'?" in text.stdout


@pytest.mark.parametrize("case", ["missing", "empty", "header-only", "wrong-columns", "directory", "binary"])
def test_bad_input_exits_2_with_one_line_and_changes_nothing(loaded_db: Path, tmp_path: Path, case: str) -> None:
    if case == "missing":
        target, expected = tmp_path / "nope.csv", "no such file"
    elif case == "empty":
        target, expected = tmp_path / "empty.csv", "empty file"
        target.write_bytes(b"")
    elif case == "header-only":
        target, expected = tmp_path / "header.csv", "has a header but no data rows"
        target.write_text("BilledCost,BillingAccountId\n")
    elif case == "wrong-columns":
        target, expected = DATA / "gpu_jobs.csv", "not a FOCUS file: missing required column(s)"
    elif case == "directory":
        target, expected = tmp_path, "is a directory"
    else:
        target, expected = tmp_path / "photo.csv", "not a CSV, CSV.gz or Parquet file"
        target.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    before, before_bytes = snapshot(loaded_db), digest(loaded_db)
    res = finops("ingest", "focus", "--db", str(loaded_db), str(SAMPLE), str(target))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], res.stderr
    assert res.stdout == ""
    assert digest(loaded_db) == before_bytes and snapshot(loaded_db) == before  # the good file did not load either


def test_no_store_is_created_for_bad_input(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    res = finops("ingest", "budgets", "--db", str(db), str(tmp_path / "missing.csv"), process=True)
    assert res.returncode == 2 and "no such file" in res.stderr
    assert not db.exists()


def test_busy_store_waits_then_exits_2(loaded_db: Path, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "time.sleep(60)", str(loaded_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        before = time.monotonic()
        res = finops("ingest", "focus", "--db", str(loaded_db), "--wait", "1", str(SAMPLE))
        waited = time.monotonic() - before
    finally:
        holder.kill()
        holder.wait()
    assert res.returncode == 2
    assert "is in use by another process (waited 1 s)" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert waited >= 1.0
    assert snapshot(loaded_db)[2][0] == 1  # still only the fixture's ingest run
