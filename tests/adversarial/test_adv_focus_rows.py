"""Issue 16, FOCUS CSV: one bad value per row, through the real CLI on a DuckDB file.

Rows of the FinOps Foundation sample, each with one column spoiled (numbers that are not decimals, dates
that are not dates or are out of range, required text missing or holding a NUL byte, values outside
FOCUS's lists). One `finops ingest focus --json` reads the file: each spoiled row must be quarantined
on its own line, with its file and a reason naming the column, the good rows load, and read = loaded +
quarantined. Values that are valid, if odd (' 5 ', '1e-400', a long ProviderName), are not bad inputs
and are not listed.
"""

from __future__ import annotations

import json

import pytest

from tests.adversarial.test_adv_ingest import COL, ROWS, all_rows, finops, write_csv

NUMBERS = ["abc", "NaN", "Infinity", "-Infinity", "1e400", "$5", "1,000.00", "--1", "0x10", "true"]
DATES = ["abc", "2024-13-01", "2024-02-30", "10000-01-01", "1999-12-31", "2101-01-01", "infinity", "-infinity",
         "0001-01-01 BC", "1970-01-01", "", "2024-01-01T25:00:00", "NULL"]
TEXT_MISSING = ["", "NULL", "\x00"]

CASES: list[tuple[str, str, str]] = (  # (column, value, a word the reason must hold)
    [("BilledCost", v, "BilledCost") for v in NUMBERS]
    + [("EffectiveCost", v, "EffectiveCost") for v in NUMBERS]
    + [("ListCost", v, "ListCost") for v in NUMBERS[:5]]
    + [("ChargePeriodStart", v, "ChargePeriodStart") for v in DATES]
    + [("ChargePeriodEnd", v, "ChargePeriodEnd") for v in DATES[:6]]
    + [("BillingPeriodStart", v, "BillingPeriodStart") for v in DATES[6:12]]
    + [("BillingCurrency", v, "urrency") for v in [*TEXT_MISSING, "x" * 40, "Usage\u202e"]]
    + [("ChargeCategory", v, "ChargeCategory") for v in [*TEXT_MISSING, "x" * 40, "Usage\u202e"]]
    + [(col, v, col) for col in ("ProviderName", "BillingAccountId", "ServiceName") for v in TEXT_MISSING]
)
GOOD = 5


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("adv-focus")
    rows = [list(r) for r in ROWS[:GOOD]]
    for (col, value, _), base in zip(CASES, ROWS[GOOD:]):
        row = list(base)
        row[COL[col]] = value
        rows.append(row)
    f = write_csv(work / "spoiled.csv", rows)
    db = work / "s.duckdb"
    res = finops("ingest", "focus", "--db", str(db), "--json", str(f))
    quarantine = {line: (file, reason) for file, line, reason in all_rows(db, "SELECT file, line, reason FROM quarantine")}
    loaded = all_rows(db, "SELECT count(*) FROM focus_charges")[0][0]
    return {"res": res, "file": f, "quarantine": quarantine, "loaded": loaded}


def test_the_good_rows_load_and_the_counts_reconcile(ingested: dict) -> None:
    res = ingested["res"]
    assert res.exit_code == 0, res.stderr
    report = json.loads(res.stdout)["files"][0]
    n = len(CASES)
    assert (report["rows_read"], report["rows_loaded"], report["rows_quarantined"]) == (GOOD + n, GOOD, n)
    assert ingested["loaded"] == GOOD and len(ingested["quarantine"]) == n


@pytest.mark.parametrize("index, col, value, word", [(i, *c) for i, c in enumerate(CASES)],
                         ids=[f"{c}={v[:12]!r}" for c, v, _ in CASES])
def test_each_spoiled_row_is_quarantined_on_its_line(ingested: dict, index: int, col: str, value: str,
                                                     word: str) -> None:
    line = 2 + GOOD + index  # the header is line 1
    assert line in ingested["quarantine"], f"{col}={value!r} was loaded"
    file, reason = ingested["quarantine"][line]
    assert file == str(ingested["file"])
    assert word in reason, reason
