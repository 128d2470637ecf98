"""Issue 16 #11-12, re-ingest: exports of a month already loaded, spoiled or disguised, through the real CLI
on a DuckDB file. The month's figures never double, and a bad re-export never replaces a good month.

Each case loads the same 200 good rows first, then ingests one variant; the expected totals are summed here
from the rows with Decimal.
"""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.test_adv_ingest import ROWS, billed, finops, one, snapshot, with_values, write_csv

GOOD = ROWS[:200]


def _crlf(path: Path) -> Path:
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return path


def _gzipped(path: Path) -> Path:
    out = path.with_suffix(".csv.gz")
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


# (case id, how the variant is made from a directory, rows it replaces with, exit, text in the output)
REPLACED = [
    ("rows-reordered", lambda d: write_csv(d / "v.csv", list(reversed(GOOD))), GOOD),
    ("crlf-line-ends", lambda d: _crlf(write_csv(d / "v.csv", GOOD)), GOOD),
    ("one-row-restated", lambda d: write_csv(d / "v.csv", with_values(GOOD[:1], BilledCost="1.5") + GOOD[1:]),
     with_values(GOOD[:1], BilledCost="1.5") + GOOD[1:]),
]
REFUSED = [
    ("half-the-rows-bad", lambda d: write_csv(d / "v.csv", with_values(GOOD[:100], EffectiveCost="?") + GOOD[100:]),
     "refused"),
    ("bad-dates-in-a-restatement", lambda d: write_csv(d / "v.csv", with_values(GOOD[:5], ChargePeriodStart="10000-01-01")
                                                        + GOOD[5:]), "refused"),
]
SKIPPED = [
    ("same-file-again", lambda d: write_csv(d / "again.csv", GOOD)),
    ("same-content-gzipped", lambda d: _gzipped(write_csv(d / "again.csv", GOOD))),
]


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "focus", "--db", str(db), str(write_csv(tmp_path / "first.csv", GOOD)))
    assert res.exit_code == 0 and "read 200, loaded 200, quarantined 0" in res.stdout
    return db


@pytest.mark.parametrize("make, rows", [c[1:] for c in REPLACED], ids=[c[0] for c in REPLACED])
def test_a_restated_export_replaces_and_never_doubles(loaded: Path, tmp_path: Path, make, rows) -> None:
    res = finops("ingest", "focus", "--db", str(loaded), str(make(tmp_path)))
    assert res.exit_code == 0, res.stderr
    assert "(replaced 200 earlier rows)" in res.stdout
    assert one(loaded, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (200, billed(rows))


@pytest.mark.parametrize("make, said", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_spoiled_restatement_is_refused_and_keeps_the_month(loaded: Path, tmp_path: Path, make, said) -> None:
    before = snapshot(loaded)
    res = finops("ingest", "focus", "--db", str(loaded), str(make(tmp_path)))
    assert res.exit_code == 2, res.stdout
    assert said in res.stderr and "--force" in res.stderr and "rolled back" in res.stderr
    assert snapshot(loaded) == before
    assert one(loaded, "SELECT sum(BilledCost) FROM focus_charges") == (billed(GOOD),)


@pytest.mark.parametrize("make", [c[1] for c in SKIPPED], ids=[c[0] for c in SKIPPED])
def test_the_same_content_again_is_skipped(loaded: Path, tmp_path: Path, make) -> None:
    res = finops("ingest", "focus", "--db", str(loaded), str(make(tmp_path)))
    assert res.exit_code == 0, res.stderr
    assert "skipped, nothing loaded: same content as" in res.stdout
    assert one(loaded, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (200, billed(GOOD))


@pytest.mark.parametrize("limit", ["-5%", "150%", "abc", "1e400"])
def test_a_bad_max_quarantine_is_refused(loaded: Path, tmp_path: Path, limit: str) -> None:
    before = snapshot(loaded)
    res = finops("ingest", "focus", "--db", str(loaded), "--max-quarantine", limit,
                 str(write_csv(tmp_path / "v.csv", GOOD[:10])))
    assert res.exit_code == 2 and "--max-quarantine" in res.stdout + res.stderr
    assert snapshot(loaded) == before
    assert one(loaded, "SELECT sum(BilledCost) FROM focus_charges") == (Decimal(billed(GOOD)),)


@pytest.mark.parametrize("spoil", [{"BillingPeriodStart": "soon"}, {"BilledCost": "n/a"}],
                         ids=["period-unreadable", "all-rows-bad"])
def test_a_restatement_with_no_good_row_replaces_nothing(loaded: Path, tmp_path: Path, spoil: dict) -> None:
    res = finops("ingest", "focus", "--db", str(loaded), str(write_csv(tmp_path / "v.csv", with_values(GOOD, **spoil))))
    assert res.exit_code == 0, res.stderr
    assert "read 200, loaded 0, quarantined 200" in res.stdout and "replaced" not in res.stdout
    assert one(loaded, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (200, billed(GOOD))
    assert one(loaded, "SELECT count(*) FROM quarantine") == (200,)
