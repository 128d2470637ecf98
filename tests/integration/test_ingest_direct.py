"""A FOCUS file whose every record loads goes into the store in one pass, straight from the file; one with a
record it would not load (a row to quarantine, a record over several lines) is rolled back and staged, and
ends exactly as a staged load would. Real DuckDB files; expected figures from the shared data README or
from Python over the input file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from knowledge.ingest import ingest
from knowledge.store import create_lake
from tests.conftest import db_rows as table
from tests.conftest import duckdb_connect
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


def _lake_totals(root: Path) -> tuple:
    """count and sums over the lake's Parquet files named by its manifest, read by plain DuckDB."""
    state = duckdb_connect(str(root / "state.duckdb"), read_only=True)
    files = [str(root / r[0]) for r in state.execute("SELECT file FROM lake_files").fetchall()]
    state.close()
    con = duckdb_connect()
    row = con.execute("SELECT count(*), sum(BilledCost), sum(EffectiveCost), sum(ListCost) "
                      "FROM read_parquet(?, hive_partitioning = false)", [files]).fetchone()
    con.close()
    assert row is not None
    return tuple(row)


def test_a_clean_file_goes_into_a_lake_in_one_pass_and_a_restated_one_replaces_it(tmp_path: Path) -> None:
    header, rows = sample_rows()
    root = tmp_path / "lake"
    create_lake(root)
    report = ingest(root, "focus", [write_csv(tmp_path / "clean.csv", header, rows)]).files[0]
    assert report.counts_line() == "read 1000, loaded 1000, quarantined 0"
    assert "loading" in report.phases and "reading" not in report.phases and ROLLED_BACK not in report.phases
    assert _lake_totals(root) == README_TOTALS

    # The same billing periods again with every cost doubled: the direct load checks out the partitions it
    # restates and replaces their rows, never adds to them.
    cost = {header.index(c) for c in ("BilledCost", "EffectiveCost", "ListCost")}
    doubled = [[str(Decimal(v) * 2) if i in cost and v else v for i, v in enumerate(r)] for r in rows]
    again = ingest(root, "focus", [write_csv(tmp_path / "restated.csv", header, doubled)]).files[0]
    assert again.counts_line() == "read 1000, loaded 1000, quarantined 0" and again.rows_replaced == 1000
    assert ROLLED_BACK not in again.phases
    assert _lake_totals(root) == (1000, *(2 * t for t in README_TOTALS[1:]))


def test_a_file_with_a_bad_row_goes_into_a_lake_through_the_stage(tmp_path: Path) -> None:
    header, rows = sample_rows()
    rows[4][header.index("ChargeCategory")] = "Refund"
    root = tmp_path / "lake"
    create_lake(root)
    report = ingest(root, "focus", [write_csv(tmp_path / "bad.csv", header, rows)]).files[0]
    assert report.counts_line() == "read 1000, loaded 999, quarantined 1"
    assert ROLLED_BACK in report.phases and "reading" in report.phases
    state = duckdb_connect(str(root / "state.duckdb"), read_only=True)
    assert state.execute("SELECT line, reason FROM quarantine").fetchall() == [
        (6, "ChargeCategory 'Refund' is not one of Usage, Purchase, Tax, Credit, Adjustment")]
    state.close()
    billed = sum((Decimal(r[header.index("BilledCost")]) for i, r in enumerate(rows) if i != 4), Decimal(0))
    assert _lake_totals(root)[:2] == (999, billed)
