"""A FOCUS file whose every record loads goes into the store in one pass, straight from the file; one with a
record it would not load (a row to quarantine, a record over several lines) is rolled back and staged, and
ends exactly as a staged load would. Real DuckDB files; expected figures from the shared data README or
from Python over the input file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from knowledge.ingest import ingest
from tests.conftest import db_rows as table
from tests.integration.test_ingest_focus import README_TOTALS, sample_rows, store_totals, write_csv

ROLLED_BACK = "direct load (rolled back)"


def test_a_clean_file_is_read_and_loaded_in_one_pass(tmp_path: Path) -> None:
    header, rows = sample_rows()
    db = tmp_path / "s.duckdb"
    report = ingest(db, "focus", [write_csv(tmp_path / "clean.csv", header, rows)]).files[0]
    assert report.counts_line() == "read 1000, loaded 1000, quarantined 0"
    assert "loading" in report.phases and "reading" not in report.phases and ROLLED_BACK not in report.phases
    assert store_totals(db) == README_TOTALS
    assert table(db, "SELECT count(*) FROM quarantine") == [(0,)]


def test_values_only_the_value_checks_catch_are_quarantined(tmp_path: Path) -> None:
    """A lower-case currency and a charge category FOCUS does not have pass the row's typed checks: the
    one-pass load finds them after its insert, rolls back and stages the file."""
    header, rows = sample_rows()
    col = header.index
    rows[4][col("ChargeCategory")] = "Refund"
    rows[9][col("BillingCurrency")] = "usd"
    db = tmp_path / "s.duckdb"
    report = ingest(db, "focus", [write_csv(tmp_path / "values.csv", header, rows)]).files[0]
    assert report.counts_line() == "read 1000, loaded 998, quarantined 2"
    assert ROLLED_BACK in report.phases and "reading" in report.phases
    q = table(db, "SELECT line, reason FROM quarantine ORDER BY line")
    assert q == [(6, "ChargeCategory 'Refund' is not one of Usage, Purchase, Tax, Credit, Adjustment"),
                 (11, "unknown currency 'usd' (ISO 4217 codes are upper case: 'USD')")]
    billed = sum((Decimal(r[col("BilledCost")]) for i, r in enumerate(rows) if i not in (4, 9)), Decimal(0))
    assert table(db, "SELECT count(*), sum(BilledCost) FROM focus_charges") == [(998, billed)]


def test_a_record_over_two_lines_loads_every_row(tmp_path: Path) -> None:
    header, rows = sample_rows()
    rows[2][header.index("ChargeDescription")] = "first line\nsecond line"
    db = tmp_path / "s.duckdb"
    report = ingest(db, "focus", [write_csv(tmp_path / "multiline.csv", header, rows)]).files[0]
    assert report.counts_line() == "read 1000, loaded 1000, quarantined 0"
    assert ROLLED_BACK in report.phases
    assert store_totals(db) == README_TOTALS
    assert table(db, "SELECT count(*) FROM focus_charges WHERE ChargeDescription = 'first line' || chr(10) || 'second line'") \
        == [(1,)]


def test_the_same_content_again_is_skipped_and_loads_nothing(tmp_path: Path) -> None:
    header, rows = sample_rows()
    db = tmp_path / "s.duckdb"
    first = write_csv(tmp_path / "a.csv", header, rows)
    ingest(db, "focus", [first])
    again = ingest(db, "focus", [write_csv(tmp_path / "b.csv", header, rows)]).files[0]
    assert again.skipped is not None and "same content as" in again.skipped and str(first.resolve()) in again.skipped
    assert store_totals(db) == README_TOTALS
    assert table(db, "SELECT count(*), count(DISTINCT x_ingest_id) FROM focus_charges") == [(1000, 1)]
    assert table(db, "SELECT count(*) FROM ingest_runs") == [(1,)]
