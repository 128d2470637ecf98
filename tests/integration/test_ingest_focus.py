"""FOCUS ingestion on real DuckDB files: the FinOps Foundation sample with its README totals, each file
format, quarantine with file + line, replace semantics. Expected figures come from the shared data
README or from independent SQL/Python over the input files, never from the code under test."""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.ingest import IngestError, ingest
from knowledge.ingest.limits import LoadPolicy
from knowledge.schema import FOCUS_COLUMNS
from tests.conftest import db_rows as table
from tests.conftest import duckdb_connect

SAMPLE = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"

# ../shared/data/README.md, section 1 ("Facts a test can check").
README_TOTALS = (1000, Decimal("20.52022672899"), Decimal("14.97651418586"), Decimal("20.39090575119"))
README_PERIODS = {
    "2024-09-01": (999, Decimal("20.28022672899"), Decimal("14.97651418586")),
    "2024-10-01": (1, Decimal("0.24000000000"), Decimal("0")),
}
README_PROVIDERS = {
    "AWS": (942, Decimal("18.00663861840"), Decimal("13.00000000000"), Decimal("18.14931764060"), 24, 66, 30),
    "Microsoft": (51, Decimal("1.97651418586"), Decimal("1.97651418586"), Decimal("1.97651418586"), 6, 4, 19),
    "Oracle": (7, Decimal("0.53707392473"), Decimal("0"), Decimal("0.26507392473"), 3, 3, 6),
}


def sample_rows() -> tuple[list[str], list[list[str]]]:
    with gzip.open(SAMPLE, "rt", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A CSV the way the sample writes it: every field quoted except the NULL token and numbers."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path




def store_totals(db: Path) -> tuple:
    return table(db, "SELECT count(*), sum(BilledCost), sum(EffectiveCost), sum(ListCost) FROM focus_charges")[0]


def test_sample_loads_unchanged_with_the_readme_totals(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    report = ingest(db, "focus", [SAMPLE])
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (1000, 1000, 0)
    assert f.counts_line() == "read 1000, loaded 1000, quarantined 0"
    assert any("Id" in note for note in f.notes)  # the sample's extra row id is named, not loaded

    assert store_totals(db) == README_TOTALS
    periods = table(db, "SELECT strftime(BillingPeriodStart, '%Y-%m-%d'), count(*), sum(BilledCost), "
                        "sum(EffectiveCost) FROM focus_charges GROUP BY 1 ORDER BY 1")
    assert {p: tuple(v) for p, *v in periods} == README_PERIODS
    providers = table(db, """
        SELECT ProviderName, count(*), sum(BilledCost), sum(EffectiveCost), sum(ListCost),
               count(DISTINCT ServiceName), count(DISTINCT SubAccountId), count(DISTINCT CAST(ChargePeriodStart AS DATE))
        FROM focus_charges GROUP BY 1 ORDER BY 1""")
    assert {p: tuple(v) for p, *v in providers} == README_PROVIDERS
    assert table(db, "SELECT count(DISTINCT ServiceName), count(DISTINCT SubAccountId), count(DISTINCT BillingAccountId), "
                     "count(DISTINCT RegionId), count(DISTINCT ResourceId), count(*) FILTER (WHERE Tags IS NULL), "
                     "count(*) FILTER (WHERE ChargeClass IS NULL), count(CommitmentDiscountId), "
                     "min(ChargePeriodStart), max(ChargePeriodEnd) FROM focus_charges")[0][:8] == (33, 73, 3, 25, 842, 289, 1000, 11)
    cats = table(db, "SELECT ChargeCategory, count(*), sum(BilledCost) FROM focus_charges GROUP BY 1 ORDER BY 1")
    assert cats == [("Adjustment", 2, Decimal("0.272")), ("Credit", 1, Decimal("-2.6137")),
                    ("Usage", 997, Decimal("22.86192672899"))]
    # quoted '' stays an empty string (not NULL), the unquoted NULL token is NULL
    assert table(db, "SELECT PricingCategory, count(*) FROM focus_charges GROUP BY 1 ORDER BY 1") == [
        ("", 7), ("Committed", 4), ("Other", 1), ("Standard", 988)]
    assert table(db, "SELECT count(*) FROM focus_charges WHERE BillingAccountName = '' AND ProviderName = 'Oracle'") == [(7,)]
    # Tags: a JSON object string became a MAP(VARCHAR, VARCHAR)
    assert table(db, "SELECT typeof(Tags), count(*) FROM focus_charges WHERE Tags['environment'] = 'dev' GROUP BY 1")[0][0] \
        == "MAP(VARCHAR, VARCHAR)"
    run = table(db, "SELECT source, rows_read, rows_loaded, rows_quarantined, rows_replaced, billing_period, status "
                    "FROM ingest_runs")
    assert run == [("focus", 1000, 1000, 0, 0, "2024-09,2024-10", "ok")]
    # every row knows its file and its ingest run; a charge loaded from a CSV file has no line (NULL)
    assert table(db, "SELECT count(x_line), count(DISTINCT x_source_file), count(DISTINCT x_ingest_id) "
                     "FROM focus_charges") == [(0, 1, 1)]


def test_store_matches_an_independent_read_of_the_sample(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    con = duckdb_connect(":memory:")
    expected = con.execute(
        "SELECT ProviderName, count(*), sum(CAST(BilledCost AS DECIMAL(38,11))), sum(CAST(EffectiveCost AS DECIMAL(38,11))), "
        "sum(CAST(ListCost AS DECIMAL(38,11))), sum(CAST(ConsumedQuantity AS DECIMAL(38,12))) "
        "FROM read_csv(?, nullstr = 'NULL', all_varchar = true) GROUP BY 1 ORDER BY 1", [str(SAMPLE)]).fetchall()
    got = table(db, "SELECT ProviderName, count(*), sum(BilledCost), sum(EffectiveCost), sum(ListCost), "
                    "sum(ConsumedQuantity) FROM focus_charges GROUP BY 1 ORDER BY 1")
    assert got == expected


def _as_parquet(src_csv: Path, out: Path, typed_from: Path | None = None) -> Path:
    con = duckdb_connect(":memory:")
    if typed_from is None:  # text columns, as a CSV-to-Parquet converter would write them
        con.execute(f"COPY (SELECT * FROM read_csv(?, all_varchar = true, nullstr = 'NULL')) TO '{out}' "
                    "(FORMAT parquet, ROW_GROUP_SIZE 128)", [str(src_csv)])
    else:  # typed columns: DECIMAL, TIMESTAMP and Tags as a MAP, small row groups
        con.execute(f"ATTACH '{typed_from}' AS s (READ_ONLY)")
        con.execute(f"COPY (SELECT * EXCLUDE (x_source_file, x_ingest_id, x_line) FROM s.focus_charges) "
                    f"TO '{out}' (FORMAT parquet, ROW_GROUP_SIZE 100)")
    con.close()
    return out


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet-text", "parquet-typed"])
def test_each_format_loads_the_same_rows(tmp_path: Path, fmt: str) -> None:
    plain = tmp_path / "sample.csv"
    with gzip.open(SAMPLE, "rb") as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst)
    if fmt == "csv":
        path = plain
    elif fmt == "csv.gz":
        path = tmp_path / "copy.csv.gz"
        shutil.copy(SAMPLE, path)
    elif fmt == "parquet-text":
        path = _as_parquet(plain, tmp_path / "sample.parquet")
    else:
        first = tmp_path / "first.duckdb"
        ingest(first, "focus", [SAMPLE])
        path = _as_parquet(plain, tmp_path / "typed.parquet", typed_from=first)
    db = tmp_path / "s.duckdb"
    report = ingest(db, "focus", [path])
    assert report.files[0].counts_line() == "read 1000, loaded 1000, quarantined 0"
    assert store_totals(db) == README_TOTALS
    assert table(db, "SELECT count(*) FILTER (WHERE Tags IS NULL), count(*) FILTER (WHERE Tags['environment'] = 'dev'), "
                     "count(*) FILTER (WHERE PricingCategory = '') FROM focus_charges")[0][0] == 289
    if fmt.startswith("parquet"):  # a Parquet row's "line" is its 1-based row number
        assert table(db, "SELECT min(x_line), max(x_line) FROM focus_charges") == [(1, 1000)]


def test_bad_rows_go_to_quarantine_with_physical_line_reason_and_raw_text(tmp_path: Path) -> None:
    header, rows = sample_rows()
    col = header.index
    out = [",".join(f'"{h}"' for h in header)]  # line 1

    def line(row: list[str]) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(row)
        return buf.getvalue().rstrip("\n")

    r = list(rows[0])
    r[col("ChargeDescription")] = "spans\nthree\nlines"
    out.append(line(r))                                   # lines 2-4: good, multi-line
    r = list(rows[1])
    r[col("BilledCost")] = "12,50 EUR"
    out.append(line(r))                                   # line 5: not a decimal
    out.append("")                                        # line 6: blank (skipped, not a row)
    r = list(rows[2])
    r[col("BillingCurrency")] = "XYZ"
    out.append(line(r))                                   # line 7: unknown currency
    out.append('"only","three","fields"')                 # line 8: cannot split
    r = list(rows[3])
    r[col("ChargePeriodEnd")] = "2024-08-01 00:00:00"
    out.append(line(r))                                   # line 9: end before start
    r = list(rows[4])
    r[col("ChargePeriodStart")] = "31/09/2024"
    r[col("Tags")] = "{oops"
    out.append(line(r))                                   # line 10: bad date + bad Tags
    r = list(rows[5])
    r[col("ServiceName")] = ""
    r[col("ChargeCategory")] = "Refund"
    out.append(line(r))                                   # line 11: missing mandatory + bad category
    r = list(rows[6])
    r[col("ChargeDescription")] = "quoted \"\"x\"\" and\nnewline"
    out.append(line(r))                                   # lines 12-13: good
    out.append(line(rows[7]))                             # line 14: good
    path = tmp_path / "messy.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    physical = path.read_text(encoding="utf-8").split("\n")

    db = tmp_path / "s.duckdb"
    f = ingest(db, "focus", [path]).files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (9, 3, 6)
    q = table(db, "SELECT file, line, reason, raw FROM quarantine ORDER BY line")
    assert [x[1] for x in q] == [5, 7, 8, 9, 10, 11]
    assert {x[0] for x in q} == {str(path.resolve())}
    reasons = {x[1]: x[2] for x in q}
    assert "BilledCost: not a decimal number '12,50 EUR'" in reasons[5]
    assert "unknown currency 'XYZ'" in reasons[7]
    assert "cannot split the row: too few fields (expected 44, found 3)" == reasons[8]
    assert "ChargePeriodEnd 2024-08-01 00:00:00 is before ChargePeriodStart" in reasons[9]
    assert "ChargePeriodStart: not a date/time '31/09/2024'" in reasons[10] and "Tags: not a JSON object" in reasons[10]
    assert "ServiceName is missing" in reasons[11] and "ChargeCategory 'Refund' is not one of" in reasons[11]
    for _, line_no, _, raw in q:  # the raw text is the file's own line
        assert raw == physical[line_no - 1]
    # the loaded rows are the good ones (a charge loaded from a CSV file has no line)
    loaded = table(db, "SELECT x_line, ResourceId FROM focus_charges ORDER BY ResourceId NULLS LAST")
    assert [x[0] for x in loaded] == [None, None, None]
    expected = [rows[i][col("ResourceId")] for i in (0, 6, 7)]
    assert sorted(resource or "NULL" for _, resource in loaded) == sorted(expected)
    run = table(db, "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_runs")[0]
    assert run == (9, 3, 6) and run[0] == run[1] + run[2]


def test_reingest_replaces_and_never_double_counts(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    again = ingest(db, "focus", [SAMPLE], policy=LoadPolicy(force=True)).files[0]  # same content: forced
    assert again.rows_replaced == 1000
    assert store_totals(db) == README_TOTALS
    assert table(db, "SELECT count(*), sum(rows_loaded), sum(rows_replaced) FROM ingest_runs") == [(2, 2000, 1000)]
    assert table(db, "SELECT count(DISTINCT x_ingest_id) FROM focus_charges") == [(1,)]


def test_parts_of_one_export_load_together_and_reload_cleanly(tmp_path: Path) -> None:
    header, rows = sample_rows()
    part1 = write_csv(tmp_path / "part-1.csv", header, rows[:500])
    part2 = write_csv(tmp_path / "part-2.csv", header, rows[500:])
    db = tmp_path / "s.duckdb"
    first = ingest(db, "focus", [part1, part2])
    assert [f.rows_replaced for f in first.files] == [0, 0]  # parts of one delivery do not replace each other
    assert store_totals(db) == README_TOTALS
    ingest(db, "focus", [part1, part2])  # the export re-delivered: replaces, never adds
    assert store_totals(db) == README_TOTALS
    # the same file twice in one command counts once
    ingest(db, "focus", [SAMPLE, SAMPLE])
    assert store_totals(db) == README_TOTALS


def test_restated_provider_period_replaces_only_its_own_rows(tmp_path: Path) -> None:
    header, rows = sample_rows()
    col = header.index
    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    aws = [list(r) for r in rows if r[col("ProviderName")] == "AWS"]
    for r in aws:
        r[col("BilledCost")] = str(Decimal(r[col("BilledCost")]) * 2)
    restated = write_csv(tmp_path / "aws-restated.csv", header, aws)
    report = ingest(db, "focus", [restated]).files[0]
    assert report.rows_replaced == 942
    got = dict((p, b) for p, b in table(db, "SELECT ProviderName, sum(BilledCost) FROM focus_charges GROUP BY 1"))
    assert got == {"AWS": README_PROVIDERS["AWS"][1] * 2, "Microsoft": README_PROVIDERS["Microsoft"][1],
                   "Oracle": README_PROVIDERS["Oracle"][1]}


def test_focus_1_2_file_with_zones_and_provider_columns(tmp_path: Path) -> None:
    required = ["BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
                "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart", "EffectiveCost", "ProviderName", "ServiceName"]
    header = required + ["ServiceSubcategory", "InvoiceId", "SkuMeter", "tags", "x_Discounts"]
    rows = [
        ["10.5", "acct-1", "EUR", "2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z", "Usage",
         "2025-01-02T00:00Z", "2025-01-01T00:00Z", "9.25", "Microsoft", "Azure OpenAI",
         "Generative AI", "INV-1", "gpt-4o input tokens", '{"team": "search", "n": 3}', "[]"],
        ["1.25", "acct-1", "EUR", "2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z", "Tax",
         "2025-01-01 02:00:00+02:00", "2025-01-01 01:00:00+02:00", "1.25", "Microsoft", "Azure OpenAI",
         "", "INV-1", "", "", ""],
    ]
    path = write_csv(tmp_path / "azure-1.2.csv", header, rows)
    db = tmp_path / "s.duckdb"
    f = ingest(db, "focus", [path]).files[0]
    assert f.counts_line() == "read 2, loaded 2, quarantined 0"
    assert any("x_Discounts" in n for n in f.notes)
    got = table(db, "SELECT ChargePeriodStart, ChargePeriodEnd, ServiceSubcategory, InvoiceId, Tags['team'], Tags['n'], "
                    "ListCost, SubAccountId FROM focus_charges ORDER BY BilledCost DESC")
    from datetime import datetime
    assert got[0] == (datetime(2025, 1, 1, 0, 0), datetime(2025, 1, 2, 0, 0), "Generative AI", "INV-1", "search", "3", None, None)
    assert got[1][:2] == (datetime(2024, 12, 31, 23, 0), datetime(2025, 1, 1, 0, 0))  # offsets -> naive UTC
    assert table(db, "SELECT sum(BilledCost), BillingCurrency FROM focus_charges GROUP BY 2") == [(Decimal("11.75"), "EUR")]


def test_wrong_columns_are_refused_and_nothing_changes(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest(db, "focus", [SAMPLE])
    before = store_totals(db)
    bad = tmp_path / "calls.csv"
    bad.write_text("ts,model,input_tokens\n2026-01-01,gpt-4o,5\n")
    with pytest.raises(IngestError, match="not a FOCUS file: missing required column"):
        ingest(db, "focus", [SAMPLE, bad])  # one bad file: none of them loads
    assert store_totals(db) == before
    assert table(db, "SELECT count(*) FROM ingest_runs") == [(1,)]


def test_focus_columns_cover_the_store_table() -> None:
    from knowledge.ingest.specs import FOCUS
    assert {c.name: c.sql_type for c in FOCUS.columns} == FOCUS_COLUMNS


class RecordingSink:
    """A progress consumer (like the CLI's bar) that records what it was told."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int]] = []
        self.updates: list[tuple[str, float | None]] = []
        self.finished = 0

    def start(self, file: str, estimated_rows: int) -> bool:
        self.started.append((file, estimated_rows))
        return True

    def update(self, phase: str, fraction: float | None) -> None:
        self.updates.append((phase, fraction))

    def finish(self) -> None:
        self.finished += 1


def test_progress_is_reported_per_phase(tmp_path: Path) -> None:
    sink = RecordingSink()
    ingest(tmp_path / "s.duckdb", "focus", [SAMPLE], sink=sink)
    assert sink.started == [(str(SAMPLE.resolve()), sink.started[0][1])]
    assert 500 <= sink.started[0][1] <= 2000  # the row estimate from the file's first megabyte
    phases = [p for p, _ in sink.updates]
    # a file whose every row loads is read and loaded in one pass
    assert "reading" not in phases and ("loading", 1.0) in sink.updates
    assert phases.index("loading") < phases.index("committing")
    assert sink.finished == 1


def test_progress_of_a_file_with_a_bad_row_reads_then_loads(tmp_path: Path) -> None:
    with gzip.open(SAMPLE, "rt", newline="", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    path = tmp_path / "one_bad.csv"
    path.write_text("\n".join(lines[:2] + ["too,few,fields"] + lines[2:]), encoding="utf-8")
    sink = RecordingSink()
    report = ingest(tmp_path / "s.duckdb", "focus", [path], sink=sink)
    assert report.files[0].counts_line() == "read 1001, loaded 1000, quarantined 1"
    phases = [p for p, _ in sink.updates]
    assert phases.index("reading") < phases.index("checking") < phases.index("committing")
    assert ("reading", 1.0) in sink.updates and ("loading", 1.0) in sink.updates
    assert sink.finished == 1


def test_broken_quoting_still_reconciles(tmp_path: Path) -> None:
    """An unterminated quote: DuckDB sets the row aside and resynchronises; counts still reconcile and
    the loss is exactly that row (line numbers of the rest are then flagged as approximate)."""
    with gzip.open(SAMPLE, "rt", newline="", encoding="utf-8") as fh:
        lines = fh.read().split("\n")[:21]  # header + 20 rows, one physical line each
    lines[6] = lines[6].replace('"Usage"', '"Usage', 1)
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    f = ingest(db, "focus", [path]).files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (20, 19, 1)
    assert table(db, "SELECT line, reason FROM quarantine") == [
        (7, "cannot split the row: too few fields (expected 44, found 42)")]
    header, rows = sample_rows()
    expected = sum((Decimal(r[header.index("BilledCost")]) for i, r in enumerate(rows[:20]) if i != 5), Decimal(0))
    assert table(db, "SELECT sum(BilledCost) FROM focus_charges") == [(expected,)]
