"""kill -9 in the middle of an ingest leaves the store exactly as it was.

An ingest writes to a private copy of the store and swaps it in only at the end, so a killed ingest
leaves the live file untouched; the next writer removes the stale copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psutil
import pytest

from knowledge.ingest import ingest
from knowledge.ingest.limits import LoadPolicy
from tests.conftest import duckdb_connect

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"
TABLES = ("focus_charges", "quarantine", "ingest_runs", "llm_prices", "meta")


def snapshot(db: Path) -> dict[str, tuple]:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*), bit_xor(hash(x)) FROM {t} AS x").fetchone() for t in TABLES}
    finally:
        con.close()


def big_focus_csv(path: Path, rows: int) -> Path:
    """A narrow FOCUS file (the mandatory columns, a resource and tags)."""
    con = duckdb_connect(":memory:")
    con.execute(f"""
        COPY (SELECT CAST(round((i % 997) * 0.013, 6) AS VARCHAR) AS BilledCost,
                     'acct-' || (i % 3) AS BillingAccountId, 'USD' AS BillingCurrency,
                     '2024-10-01 00:00:00' AS BillingPeriodEnd, '2024-09-01 00:00:00' AS BillingPeriodStart,
                     'Usage' AS ChargeCategory,
                     strftime(TIMESTAMP '2024-09-01' + to_hours(CAST(i % 719 AS INTEGER) + 1), '%Y-%m-%d %H:%M:%S') AS ChargePeriodEnd,
                     strftime(TIMESTAMP '2024-09-01' + to_hours(CAST(i % 719 AS INTEGER)), '%Y-%m-%d %H:%M:%S') AS ChargePeriodStart,
                     CAST(round((i % 997) * 0.011, 6) AS VARCHAR) AS EffectiveCost, 'GenCloud' AS ProviderName,
                     'Service ' || (i % 17) AS ServiceName, 'res-' || (i % 50000) AS ResourceId,
                     '{{"team": "t' || (i % 7) || '"}}' AS Tags
              FROM range({rows}) AS r(i)) TO '{path}' (HEADER)""")
    con.close()
    return path


def private_copy_size(db: Path) -> int:
    """Size of the private copy an ingest writes to (it is swapped in only when the ingest ends)."""
    return max((p.stat().st_size for p in db.parent.glob(f".{db.name}.writing-*") if p.exists()), default=0)


def run_and_kill(db: Path, csv: Path, when: str) -> None:
    start_size = db.stat().st_size
    env = {k: v for k, v in os.environ.items() if k != "FINOPS_DB"}
    proc = subprocess.Popen([sys.executable, "-m", "apps.cli.main", "ingest", "focus", "--db", str(db), str(csv)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    killed = False
    watched = psutil.Process(proc.pid)
    size = csv.stat().st_size
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if when == "writing":  # the INSERT writes row groups into the ingest's copy of the store
                try:
                    hit = private_copy_size(db) > start_size + (1 << 20)
                except OSError:
                    hit = False
            else:  # DuckDB is reading the file into the stage
                try:
                    hit = watched.io_counters().read_chars > size // 4
                except psutil.Error:
                    hit = False
            if hit:
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None and not killed:
            proc.kill()
        proc.wait()
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert killed and proc.returncode == -signal.SIGKILL, f"the ingest ended before it could be killed: {out}"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 400,000-row export both kills interrupt (only read by the ingests: written once per module)."""
    return big_focus_csv(tmp_path_factory.mktemp("big") / "big.csv", 400_000)


@pytest.mark.slow
@pytest.mark.parametrize("when", ["reading", "writing"])
def test_kill_9_mid_ingest_leaves_the_store_as_it_was(tmp_path: Path, big: Path, when: str) -> None:
    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    before = snapshot(db)
    run_and_kill(db, big, when)
    assert snapshot(db) == before  # nothing of the killed ingest survives
    # and the store still works: the sample re-ingests over itself
    again = ingest(db, "focus", [SAMPLE], policy=LoadPolicy(force=True)).files[0]  # same content: forced
    assert again.rows_replaced == 1000
    con = duckdb_connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), sum(BilledCost) FROM focus_charges").fetchone() == (1000, Decimal("20.52022672899"))
    assert con.execute("SELECT count(*) FROM ingest_runs").fetchone() == (2,)
    con.close()
    assert private_copy_size(db) == 0 and not list(tmp_path.glob(".s.duckdb.writing-*"))  # stale copy removed
