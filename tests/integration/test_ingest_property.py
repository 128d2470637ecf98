"""Property tests: corrupt random rows and fields of a valid FOCUS file and check that nothing is lost or
double counted: read = loaded + quarantined, the loaded totals equal the untouched rows' totals, and every
corrupted row is in quarantine at its physical line with its raw text."""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.ingest import check_files, ingest_into
from knowledge.store import Store, open_store

SAMPLE = Path(__file__).parents[1] / "data" / "focus_sample_1000.csv.gz"
ROWS = 40

with gzip.open(SAMPLE, "rt", newline="", encoding="utf-8") as _fh:
    _ALL = list(csv.reader(_fh))
HEADER, BASE = _ALL[0], _ALL[1 : ROWS + 1]
COL = {name: i for i, name in enumerate(HEADER)}

CORRUPTIONS = (
    "bad_cost", "bad_date", "unknown_currency", "missing_mandatory", "bad_category", "end_before_start",
    "bad_tags", "too_few_fields", "too_many_fields",
)


def corrupt(row: list[str], how: str, pick: int) -> list[str]:
    r = list(row)
    if how == "bad_cost":
        r[COL[("BilledCost", "EffectiveCost", "ListCost")[pick % 3]]] = ("abc", "1.2.3", "$5", "1e999")[pick % 4]
    elif how == "bad_date":
        r[COL[("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart")[pick % 3]]] = ("2024-13-45", "soon", "31/12/2024")[pick % 3]
    elif how == "unknown_currency":
        r[COL["BillingCurrency"]] = ("QQQ", "US$", "dollar")[pick % 3]
    elif how == "missing_mandatory":
        r[COL[("ProviderName", "ServiceName", "BillingAccountId", "BilledCost", "ChargeCategory")[pick % 5]]] = ""
    elif how == "bad_category":
        r[COL["ChargeCategory"]] = ("Refund", "usage", "Discount")[pick % 3]
    elif how == "end_before_start":
        r[COL["ChargePeriodEnd"]] = "2020-01-01 00:00:00"
    elif how == "bad_tags":
        r[COL["Tags"]] = ("{oops", "[1, 2]", "team=search")[pick % 3]
    elif how == "too_few_fields":
        del r[pick % len(r)]
    elif how == "too_many_fields":
        r.insert(pick % len(r), "extra")
    return r


def render(row: list[str], eol: str = "\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=eol).writerow(row)
    return buf.getvalue()


@st.composite
def damaged_files(draw: st.DrawFn) -> dict:
    bad = draw(st.dictionaries(st.integers(0, ROWS - 1), st.tuples(st.sampled_from(CORRUPTIONS), st.integers(0, 50)),
                               max_size=ROWS // 2))
    multiline = draw(st.sets(st.integers(0, ROWS - 1), max_size=6))  # good or bad rows whose text spans lines
    blanks = draw(st.sets(st.integers(0, ROWS - 1), max_size=3))  # blank lines before these rows
    gz = draw(st.booleans())
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return {"bad": bad, "multiline": multiline, "blanks": blanks, "gz": gz, "eol": eol}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One store on disk for all examples; each example starts from empty tables."""
    s = open_store(tmp_path_factory.mktemp("prop") / "s.duckdb")
    yield s
    s.close()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=damaged_files())
def test_nothing_lost_or_double_counted(store: Store, case: dict) -> None:
    eol = case["eol"]
    text = [render(HEADER, eol)]
    line = 2
    start_of: dict[int, int] = {}
    raw_of: dict[int, str] = {}
    for i, row in enumerate(BASE):
        if i in case["blanks"]:
            text.append(eol)
            line += 1
        r = list(row)
        if i in case["multiline"]:
            r[COL["ChargeDescription"]] = f"first line\nsecond \"quoted\" line {i}"
        if i in case["bad"]:
            how, pick = case["bad"][i]
            r = corrupt(r, how, pick)
        rendered = render(r, eol)
        start_of[i] = line
        raw_of[i] = rendered[: -len(eol)]
        text.append(rendered)
        line += rendered.count("\n")
    body = "".join(text).encode("utf-8")
    good = [i for i in range(ROWS) if i not in case["bad"]]
    expected_billed = sum((Decimal(BASE[i][COL["BilledCost"]]) for i in good), Decimal(0))

    con = store.con
    for t in ("focus_charges", "quarantine", "ingest_runs"):
        con.execute(f"DELETE FROM {t}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("damaged.csv.gz" if case["gz"] else "damaged.csv")
        path.write_bytes(gzip.compress(body) if case["gz"] else body)
        f = ingest_into(store, "focus", check_files("focus", [path])).files[0]
    loaded, billed = con.execute("SELECT count(*), coalesce(sum(BilledCost), 0) FROM focus_charges").fetchone()
    q = con.execute("SELECT line, raw FROM quarantine ORDER BY line").fetchall()
    run = con.execute("SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_runs").fetchone()
    lines = [r[0] for r in con.execute("SELECT x_line FROM focus_charges").fetchall()]

    assert f.rows_read == f.rows_loaded + f.rows_quarantined == ROWS
    assert run == (f.rows_read, f.rows_loaded, f.rows_quarantined)
    assert loaded == f.rows_loaded == len(good)
    assert billed == expected_billed
    assert [x[0] for x in q] == sorted(start_of[i] for i in case["bad"])
    assert {ln: raw for ln, raw in q} == {start_of[i]: raw_of[i] for i in case["bad"]}
    assert lines == [None] * len(good)  # a charge loaded from a CSV file has no line; a quarantined one has its own
