"""Issue 16, data integrity of `finops ingest` (items 11-15 and the smaller ingest items), through the real
CLI (typer's CliRunner on apps.cli.main; a subprocess where a real pipe is needed) on DuckDB files on disk.

Expected figures come from the test's own files, summed here with Decimal, never from the code under
test. Every file is small and generated in tmp_path.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from apps.cli.main import app
from tests.cli import CliRunner
from tests.conftest import duckdb_connect

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "focus_sample_1000.csv.gz"
SAMPLE_TOTAL = Decimal("20.52022672899")  # README: the FOCUS sample's BilledCost total


def finops(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def sample() -> tuple[list[str], list[list[str]]]:
    with gzip.open(SAMPLE, "rt", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


HEADER, ROWS = sample()
COL = {name: i for i, name in enumerate(HEADER)}


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def with_values(rows: list[list[str]], **values: str) -> list[list[str]]:
    out = []
    for r in rows:
        r = list(r)
        for name, value in values.items():
            r[COL[name]] = value
        out.append(r)
    return out


def billed(rows: list[list[str]]) -> Decimal:
    return sum((Decimal(r[COL["BilledCost"]]) for r in rows if r[COL["BilledCost"]] != "NULL"), Decimal(0))


def one(db: Path, sql: str, *params: object):
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchone()
    finally:
        con.close()


def all_rows(db: Path, sql: str, *params: object) -> list[tuple]:
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def snapshot(db: Path) -> tuple:
    return tuple(one(db, f"SELECT count(*), bit_xor(hash(t)) FROM {t} AS t")
                 for t in ("focus_charges", "quarantine", "ingest_runs", "llm_calls", "gpu_utilization"))


# -- 11. a bad re-export must not replace a good month -----------------------------------------------------
def test_reingest_of_a_mostly_bad_export_is_refused_and_keeps_the_old_rows(tmp_path: Path) -> None:
    good_rows = ROWS[:200]
    good = write_csv(tmp_path / "sept.csv", good_rows)
    db = tmp_path / "s.duckdb"
    first = finops("ingest", "focus", "--db", str(db), str(good))
    assert first.exit_code == 0 and "read 200, loaded 200, quarantined 0" in first.stdout
    before = snapshot(db)
    # the restated export: the same month, 190 of its 200 rows broken
    bad_rows = with_values(good_rows[:190], BilledCost="n/a") + good_rows[190:]
    bad = write_csv(tmp_path / "sept-restated.csv", bad_rows)
    res = finops("ingest", "focus", "--db", str(db), str(bad))
    assert res.exit_code == 2
    assert "refused: 190 of 200 rows (95.0%) are bad" in res.stderr
    assert "replace 200 rows already in the store" in res.stderr and "--force" in res.stderr
    assert "line 2: BilledCost: not a decimal number 'n/a'" in res.stderr  # says what is wrong
    assert "rolled back: nothing was loaded" in res.stderr
    assert "loaded" not in res.stdout
    assert snapshot(db) == before  # the good month is intact
    assert one(db, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (200, billed(good_rows))

    # a higher limit, or --force, replaces (the user's call)
    allowed = finops("ingest", "focus", "--db", str(db), "--max-quarantine", "96%", str(bad))
    assert allowed.exit_code == 0, allowed.stderr
    assert "read 200, loaded 10, quarantined 190 (replaced 200 earlier rows)" in allowed.stdout
    assert one(db, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (10, billed(good_rows[190:]))
    forced = finops("ingest", "focus", "--db", str(db), "--force", str(good))
    assert forced.exit_code == 0 and "(replaced 10 earlier rows)" in forced.stdout


def test_the_limit_applies_only_to_a_replace_and_is_inclusive(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    # a first load with bad rows replaces nothing: loaded, bad rows quarantined, exit 0
    rows = ROWS[:100]
    mostly_bad = write_csv(tmp_path / "first.csv", with_values(rows[:60], BilledCost="x") + rows[60:])
    res = finops("ingest", "focus", "--db", str(db), str(mostly_bad))
    assert res.exit_code == 0 and "read 100, loaded 40, quarantined 60" in res.stdout
    # a re-export with exactly 1% bad rows replaces (the default limit is 1%, not over it)
    one_bad = write_csv(tmp_path / "again.csv", with_values(rows[:1], BilledCost="x") + rows[1:])
    res = finops("ingest", "focus", "--db", str(db), str(one_bad))
    assert res.exit_code == 0, res.stderr
    assert "read 100, loaded 99, quarantined 1 (replaced 40 earlier rows)" in res.stdout
    two_bad = write_csv(tmp_path / "again2.csv", with_values(rows[:2], BilledCost="x") + rows[2:])
    res = finops("ingest", "focus", "--db", str(db), str(two_bad))
    assert res.exit_code == 2 and "2 of 100 rows (2.0%)" in res.stderr
    assert finops("ingest", "focus", "--db", str(db), "--max-quarantine", "lots", str(two_bad)).exit_code == 2


def test_connector_reingest_is_refused_too(tmp_path: Path) -> None:
    def page(results: list[dict]) -> dict:
        return {"object": "page", "has_more": False, "next_page": None, "data": [
            {"object": "bucket", "start_time": 1730419200, "end_time": 1730505600, "results": results}]}

    def result(model: str, tokens: object) -> dict:
        return {"object": "organization.usage.completions.result", "input_tokens": tokens, "output_tokens": 10,
                "num_model_requests": 1, "model": model}

    db = tmp_path / "s.duckdb"
    good = tmp_path / "day.json"
    good.write_text(json.dumps(page([result(f"gpt-4o-{i}", 100) for i in range(10)])))
    assert finops("ingest", "openai-usage", "--db", str(db), str(good)).exit_code == 0
    before = snapshot(db)
    bad = tmp_path / "day-again.json"
    bad.write_text(json.dumps(page([result("gpt-4o-0", 100)] + [result(f"gpt-4o-{i}", "lots") for i in range(1, 10)])))
    res = finops("ingest", "openai-usage", "--db", str(db), str(bad))
    assert res.exit_code == 2 and "9 of 10 rows (90.0%) are bad" in res.stderr
    assert "rolled back: nothing was loaded" in res.stderr
    assert snapshot(db) == before


# -- 12. double counting -----------------------------------------------------------------------------------
def test_the_same_export_under_two_names_loads_once(tmp_path: Path) -> None:
    a = tmp_path / "billing-a.csv.gz"
    shutil.copy(SAMPLE, a)
    b = tmp_path / "billing-b.csv.gz"  # the same text, compressed again (other gzip header, other bytes)
    b.write_bytes(gzip.compress(gzip.decompress(SAMPLE.read_bytes()), mtime=12345))
    assert a.read_bytes() != b.read_bytes()
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "focus", "--db", str(db), str(a), str(b))
    assert res.exit_code == 0, res.stderr
    assert f"{a}: read 1000, loaded 1000, quarantined 0" in res.stdout
    assert f"{b}: skipped, nothing loaded: same content as {a}, loaded earlier in this command" in res.stdout
    assert "total: read 1000, loaded 1000, quarantined 0; 1 file skipped (content already loaded)" in res.stdout
    assert one(db, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (1000, SAMPLE_TOTAL)

    # a later command with the same content: said so, with the earlier counts; --force loads it again
    again = finops("ingest", "focus", "--db", str(db), str(b))
    assert again.exit_code == 0
    assert "skipped, nothing loaded: same content as" in again.stdout
    assert "(read 1000, loaded 1000, quarantined 0;" in again.stdout and "--force" in again.stdout
    forced = finops("ingest", "focus", "--db", str(db), "--force", str(b))
    assert forced.exit_code == 0 and "read 1000, loaded 1000, quarantined 0 (replaced 1000 earlier rows)" in forced.stdout
    assert one(db, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (1000, SAMPLE_TOTAL)
    assert one(db, "SELECT count(*), count(DISTINCT content_sha256) FROM ingest_runs") == (2, 1)


@pytest.mark.parametrize("variant", ["utc-offset", "provider-case", "provider-spaces", "account-spaces"])
def test_a_restated_period_replaces_however_its_key_is_spelled(tmp_path: Path, variant: str) -> None:
    rows = ROWS[:50]
    period = {r[COL["BillingPeriodStart"]] for r in rows}
    assert period == {"2024-09-01 00:00:00"}
    db = tmp_path / "s.duckdb"
    assert finops("ingest", "focus", "--db", str(db), str(write_csv(tmp_path / "v1.csv", rows))).exit_code == 0
    restated = with_values(rows, BilledCost="1.5")  # the provider restated every charge of the month
    if variant == "utc-offset":
        restated = with_values(restated, BillingPeriodStart="2024-09-01T00:00:00-08:00",
                               BillingPeriodEnd="2024-10-01T00:00:00-08:00")
    elif variant == "provider-case":
        restated = with_values(restated, ProviderName="aws")
    elif variant == "provider-spaces":
        restated = with_values(restated, ProviderName=" A W S ")
    else:
        restated = [list(r) for r in restated]
        for r in restated:
            r[COL["BillingAccountId"]] = " " + r[COL["BillingAccountId"]] + " "
    res = finops("ingest", "focus", "--db", str(db), str(write_csv(tmp_path / "v2.csv", restated)))
    assert res.exit_code == 0, res.stderr
    assert "read 50, loaded 50, quarantined 0 (replaced 50 earlier rows)" in res.stdout
    assert one(db, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (50, Decimal("1.5") * 50)


def test_another_account_or_month_is_not_replaced(tmp_path: Path) -> None:
    rows = ROWS[:20]
    db = tmp_path / "s.duckdb"
    assert finops("ingest", "focus", "--db", str(db), str(write_csv(tmp_path / "sep.csv", rows))).exit_code == 0
    october = with_values(rows, BillingPeriodStart="2024-10-01T00:00:00-08:00", BillingPeriodEnd="2024-11-01T00:00:00-08:00",
                          ChargePeriodStart="2024-10-02 00:00:00", ChargePeriodEnd="2024-10-02 01:00:00")
    other = with_values(rows, BillingAccountId="999")
    for name, r in (("oct.csv", october), ("other.csv", other)):
        res = finops("ingest", "focus", "--db", str(db), str(write_csv(tmp_path / name, r)))
        assert res.exit_code == 0 and "read 20, loaded 20, quarantined 0" in res.stdout and "replaced" not in res.stdout
    assert one(db, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (60, billed(rows) * 3)


# -- 13. out-of-range dates are quarantined, and questions keep working ------------------------------------
POISON = {
    "10000-01-01": "ChargePeriodStart: date out of range (allowed years 2000 to 2100) '10000-01-01'",
    "infinity": "ChargePeriodStart: date out of range (allowed years 2000 to 2100) 'infinity'",
    "-infinity": "ChargePeriodStart: date out of range (allowed years 2000 to 2100) '-infinity'",
    "0044-03-15 (BC)": "ChargePeriodStart: date out of range (allowed years 2000 to 2100) '0044-03-15 (BC)'",
    "1970-01-01 00:00:00": "ChargePeriodStart: date out of range (allowed years 2000 to 2100) '1970-01-01 00:00:00'",
    "epoch": "ChargePeriodStart: date out of range (allowed years 2000 to 2100) 'epoch'",
    "2101-01-01T00:00:00Z": "ChargePeriodStart: date out of range (allowed years 2000 to 2100) '2101-01-01T00:00:00Z'",
    # a zone abbreviation with a date past DuckDB's range made TRY_CAST raise and failed the whole file
    "294247-01-10 04:00:54 PST": "ChargePeriodStart: date out of range (allowed years 2000 to 2100) '294247-01-10 04:00:54 PST'",
}


def test_out_of_range_dates_are_quarantined_and_ask_still_answers(tmp_path: Path) -> None:
    good = ROWS[:10]
    poisoned = [list(r) for r in ROWS[10:10 + len(POISON)]]
    for r, value in zip(poisoned, POISON):
        r[COL["ChargePeriodStart"]] = value
    zoned = with_values(ROWS[30:31], ChargePeriodStart="2024-01-18 14:00:00 PST", ChargePeriodEnd="2024-09-18 23:00:00")
    f = write_csv(tmp_path / "poison.csv", good + poisoned + zoned)
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "focus", "--db", str(db), "--json", str(f))
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["db"] == str(db)  # the store, not the private copy the ingest wrote
    report = json.loads(res.stdout)["files"][0]
    n = len(POISON)
    assert (report["rows_read"], report["rows_loaded"], report["rows_quarantined"]) == (11 + n, 11, n)
    q = all_rows(db, "SELECT file, line, reason FROM quarantine ORDER BY line")
    assert [line for _, line, _ in q] == list(range(12, 12 + n))
    for (_, _, reason), expected in zip(q, POISON.values()):  # (a date past the end also ends before it starts)
        assert reason.split("; ")[0] == expected
    assert {file for file, _, _ in q} == {str(f)}
    assert one(db, "SELECT min(ChargePeriodStart) >= TIMESTAMP '2024-01-01', max(ChargePeriodStart) < TIMESTAMP '2025-01-01' "
                   "FROM focus_charges") == (True, True)
    # the zoned row: 14:00 PST is 22:00 UTC
    assert one(db, "SELECT count(*) FROM focus_charges WHERE ChargePeriodStart = TIMESTAMP '2024-01-18 22:00:00' "
                   "AND ChargePeriodEnd = TIMESTAMP '2024-09-18 23:00:00'") == (1,)
    ask = finops("ask", "--db", str(db), "total spend in September 2024")
    assert ask.exit_code == 0, ask.output


def test_out_of_range_dates_in_other_kinds(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    calls = tmp_path / "calls.csv"
    calls.write_text("ts,model,input_tokens,output_tokens\n"
                     "2026-11-01T09:00:00Z,gpt-4o,10,5\n"
                     "10000-01-01T00:00:00Z,gpt-4o,10,5\n"
                     "1970-01-01 00:00:00,gpt-4o,10,5\n"
                     "2026-11-01T09:00:00Z,gpt-4o,9223372036854775808,5\n")
    res = finops("ingest", "llm-calls", "--db", str(db), str(calls))
    assert res.exit_code == 0, res.stderr
    assert "read 4, loaded 1, quarantined 3" in res.stdout
    assert "line 3: ts: date out of range" in res.stdout and "line 4: ts: date out of range" in res.stdout
    assert "line 5: input_tokens: not a whole number '9223372036854775808'" in res.stdout
    budgets = tmp_path / "budgets.csv"
    budgets.write_text("scope_kind,scope_name,period,period_start,amount\n"
                       "team,search,monthly,2026-11-01,100\nteam,data,monthly,infinity,100\n")
    res = finops("ingest", "budgets", "--db", str(db), str(budgets))
    assert res.exit_code == 0 and "read 2, loaded 1, quarantined 1" in res.stdout
    assert "line 3: period_start: date out of range (allowed years 2000 to 2100) 'infinity'" in res.stdout


def test_a_call_whose_provider_nobody_knows_is_quarantined(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("model,input_per_1m,output_per_1m\nmy-model,1,2\n")  # the user's price, no provider
    calls = tmp_path / "calls.csv"
    calls.write_text("ts,model,provider,input_tokens,output_tokens\n"
                     "2026-11-01T09:00:00Z,gpt-4o,,10,5\n2026-11-01T09:00:00Z,my-model,,10,5\n"
                     "2026-11-01T09:00:00Z,my-model,acme,10,5\n")
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "llm-calls", "--db", str(db), "--prices", str(prices), str(calls))
    assert res.exit_code == 0, res.stderr
    assert "read 3, loaded 2, quarantined 1" in res.stdout
    assert "line 3: provider is missing, and the price catalog names none for model 'my-model'" in res.stdout
    assert all_rows(db, "SELECT model, provider FROM llm_calls ORDER BY model") == [("gpt-4o", "openai"), ("my-model", "acme")]


def test_a_nul_byte_or_an_oversized_key_costs_its_row_not_the_file(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    rows = ROWS[:3]
    rows[1] = list(rows[1])
    rows[1][COL["ResourceId"]] = "i-123\x00abc"
    f = tmp_path / "nul.csv"
    write_csv(f, rows)
    res = finops("ingest", "focus", "--db", str(db), str(f))
    assert res.exit_code == 0, res.stderr  # was: "not a CSV, CSV.gz or Parquet file (binary content)"
    assert "read 3, loaded 2, quarantined 1" in res.stdout
    assert "line 3: ResourceId: contains a NUL byte (a damaged file?)" in res.stdout
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("job_id,team\nj1,search\n" + "j" * 200_000 + ",search\n")
    res = finops("ingest", "gpu-jobs", "--db", str(db), str(jobs))
    assert res.exit_code == 0, res.stderr  # was: the primary key index refused the key and the whole file
    assert "read 2, loaded 1, quarantined 1" in res.stdout and "line 3: job_id is longer than 1024 bytes" in res.stdout


# -- 14. one bad record never fails a whole provider file --------------------------------------------------
def test_litellm_bad_records_are_quarantined_one_by_one(tmp_path: Path) -> None:
    def rec(i: int, **over: object) -> dict:
        base = {"request_id": f"r{i}", "call_type": "acompletion", "startTime": "2026-11-01T10:00:00Z",
                "endTime": "2026-11-01T10:00:01Z", "model": "gpt-4o", "custom_llm_provider": "openai",
                "prompt_tokens": 100, "completion_tokens": 10, "spend": 0.001}
        base.update(over)
        return base

    records = [
        rec(1),
        rec(2, model=None, model_group=None),                        # no model at all
        rec(3, model="my-private-finetune", custom_llm_provider=None),  # unknown model, no provider
        rec(4, prompt_tokens=2**63),                                 # past BIGINT
        rec(5, startTime="10000-01-01T00:00:00Z"),                   # year 10000
        rec(6, spend=1e40, model="gpt-4o-mini"),                     # LiteLLM's own spend is not loaded
    ]
    f = tmp_path / "spend.json"
    f.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "litellm-spend", "--db", str(db), str(f))
    assert res.exit_code == 0, res.stderr
    assert "read 6, loaded 2, quarantined 4" in res.stdout
    reasons = dict(all_rows(db, "SELECT line, reason FROM quarantine"))
    assert reasons[3] == "model is missing (no model or model_group)"
    assert reasons[4].startswith("unknown model 'my-private-finetune'") and "no provider" in reasons[4]
    assert reasons[5] == "prompt_tokens: '9223372036854775808' is too large (at most 2^63 - 1)"
    assert reasons[6].startswith("startTime: date out of range")
    assert all_rows(db, "SELECT request_id FROM llm_calls ORDER BY 1") == [("r1",), ("r6",)]


def test_dcgm_out_of_range_timestamps_are_quarantined(tmp_path: Path) -> None:
    scrape = tmp_path / "scrape.prom"
    scrape.write_text(
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",Hostname="h1"} 37 1732406400000\n'
        'DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",Hostname="h1"} 12 100000000000000000000\n'
        'DCGM_FI_DEV_GPU_UTIL{gpu="2",UUID="GPU-c",Hostname="h1"} 12 0\n'
    )
    query = tmp_path / "range.json"
    query.write_text(json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"__name__": "DCGM_FI_DEV_GPU_UTIL", "gpu": "0", "UUID": "GPU-a", "Hostname": "h2"},
         "values": [[1732406400, "37"], [1e20, "40"], [0, "41"]]}]}}))
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "dcgm", "--db", str(db), str(scrape), str(query))
    assert res.exit_code == 0, res.stderr
    assert f"{scrape}: read 3, loaded 1, quarantined 2" in res.stdout
    assert f"{query}: read 3, loaded 1, quarantined 2" in res.stdout
    assert one(db, "SELECT count(*) FROM quarantine WHERE reason LIKE '%out of range (allowed years 2000 to 2100)%'") == (4,)


def test_json_page_values_that_fit_no_column_are_quarantined_one_by_one(tmp_path: Path) -> None:
    def result(**over: object) -> dict:
        r = {"object": "organization.usage.completions.result", "input_tokens": 10, "output_tokens": 1,
             "num_model_requests": 1, "model": "gpt-4o"}
        r.update(over)
        return r

    buckets = [
        {"object": "bucket", "start_time": 1730419200, "end_time": 1730505600, "results": [
            result(), result(model="m2", input_tokens=2**63), result(model="m3", output_tokens=10**30),
            result(model="m6")]},
        {"object": "bucket", "start_time": 0, "end_time": 86400, "results": [result(model="m4")]},          # 1970
        {"object": "bucket", "start_time": 10**20, "end_time": 10**20 + 86400, "results": [result(model="m5")]},
    ]
    text = json.dumps({"object": "page", "has_more": False, "data": buckets}, indent=1)
    text = text.replace('"model": "m6"', '"model": "bad\\ud800text"')  # an escaped lone surrogate
    f = tmp_path / "pages.json"
    f.write_text(text)
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "openai-usage", "--db", str(db), str(f))
    assert res.exit_code == 0, res.stderr
    assert "read 6, loaded 1, quarantined 5" in res.stdout
    reasons = [r for (r,) in all_rows(db, "SELECT reason FROM quarantine ORDER BY line")]
    assert reasons[0] == "input_tokens: '9223372036854775808' is too large (at most 2^63 - 1)"
    assert reasons[1].startswith("output_tokens: '1000000000000000000000000000000' is too large")
    assert reasons[2].startswith("text that is not valid Unicode")
    assert reasons[3] == "bucket: start_time: date out of range (allowed years 2000 to 2100) '0'"
    assert reasons[4] == "bucket: start_time: date out of range (allowed years 2000 to 2100) '100000000000000000000'"
    assert one(db, "SELECT count(*), min(model) FROM llm_usage_buckets") == (1, "gpt-4o")


# -- 15. nothing is printed as loaded unless it was committed ----------------------------------------------
def test_a_failure_later_in_the_command_prints_no_loaded_line(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    sept = ROWS[:100]
    assert finops("ingest", "focus", "--db", str(db), str(write_csv(tmp_path / "sept.csv", sept))).exit_code == 0
    before = snapshot(db)
    other_account = write_csv(tmp_path / "other.csv", with_values(ROWS[100:104], BillingAccountId="42"))
    broken = write_csv(tmp_path / "sept-broken.csv", with_values(sept[:95], BilledCost="?") + sept[95:])
    res = finops("ingest", "focus", "--db", str(db), str(other_account), str(broken))
    assert res.exit_code == 2
    assert "read 4, loaded 4" not in res.stdout and res.stdout == ""
    assert "rolled back: nothing was loaded" in res.stderr
    assert snapshot(db) == before
    json_res = finops("ingest", "focus", "--db", str(db), "--json", str(other_account), str(broken))
    assert json_res.exit_code == 2
    assert json.loads(json_res.stdout)["rolled_back"].startswith("rolled back: nothing was loaded")


def test_a_damaged_file_is_named_and_rolls_back(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    good = write_csv(tmp_path / "good.csv", ROWS[:5])
    # a Parquet file whose footer reads but whose data pages are damaged
    pq = tmp_path / "export.parquet"
    con = duckdb_connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{SAMPLE}', all_varchar = true)) TO '{pq}' (FORMAT parquet)")
    con.close()
    data = bytearray(pq.read_bytes())
    mid = len(data) // 3
    data[mid:mid + 2000] = bytes((b * 7 + 13) & 0xFF for b in data[mid:mid + 2000])
    pq.write_bytes(bytes(data))
    res = finops("ingest", "focus", "--db", str(db), str(good), str(pq))
    assert res.exit_code == 2
    assert f"error: {pq}: cannot read this Parquet file (" in res.stderr
    assert "rolled back: nothing was loaded" in res.stderr and res.stdout == ""
    # a truncated CSV.gz: DuckDB alone would load the rows before the cut
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 2])
    res = finops("ingest", "focus", "--db", str(db), str(cut))
    assert res.exit_code == 2 and f"error: {cut}: a damaged gzip file" in res.stderr
    assert not db.exists() or one(db, "SELECT count(*) FROM focus_charges") == (0,)


def test_a_broken_pipe_after_the_commit_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    a = write_csv(tmp_path / "a.csv", ROWS[:300])
    b = write_csv(tmp_path / "b.csv", with_values(ROWS[300:600], BillingAccountId="77"))
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the first line (like `| head -0`)
    env = {k: v for k, v in os.environ.items() if k != "FINOPS_DB"}
    try:
        proc = subprocess.run([sys.executable, "-m", "apps.cli.main", "ingest", "focus", "--db", str(db), str(a), str(b)],
                              cwd=ROOT, env=env, stdout=w, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(w)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "broken pipe" in proc.stderr and "committed" in proc.stderr
    assert one(db, "SELECT count(*), sum(BilledCost) FROM focus_charges") == (600, billed(ROWS[:600]))


# -- smaller -----------------------------------------------------------------------------------------------
def test_a_first_row_over_one_megabyte_loads(tmp_path: Path) -> None:
    tags = json.dumps({f"k{i}": "v" * 100 for i in range(12_000)})  # ~1.4 MB of Tags
    assert len(tags) > 1 << 20
    rows = with_values(ROWS[:1], Tags=tags) + ROWS[1:3]
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "focus", "--db", str(db), str(write_csv(tmp_path / "wide.csv", rows)))
    assert res.exit_code == 0, res.stderr
    assert "read 3, loaded 3, quarantined 0" in res.stdout
    assert one(db, "SELECT max(cardinality(Tags)) FROM focus_charges") == (12_000,)


def test_a_line_over_16_mb_is_quarantined_when_read_and_refused_when_dropped(tmp_path: Path) -> None:
    # 17 MB: DuckDB sets the line aside ("line too long") and the rest loads. Past ~100 MB DuckDB drops such
    # a line without a word; the ingest then refuses the file (benchmarks/ingest_hardening.py runs that case).
    f = tmp_path / "long.csv.gz"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([HEADER, ROWS[0]])
    with gzip.open(f, "wb", compresslevel=1) as fh:
        fh.write(buf.getvalue().encode())
        fh.write(b",".join([b"NULL"] * (len(HEADER) - 1)) + b',"')  # a 17 MB Tags value
        for _ in range(17):
            fh.write(b"x" * (1 << 20))
        fh.write(b'"\n')
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(ROWS[1])
        fh.write(buf.getvalue().encode())
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "focus", "--db", str(db), str(f))
    assert res.exit_code == 0, res.stderr
    assert "read 3, loaded 2, quarantined 1" in res.stdout and "line 3: cannot split the row: line too long" in res.stdout


def test_utf16_is_named_not_called_binary(tmp_path: Path) -> None:
    text = (tmp_path / "x.csv")
    write_csv(text, ROWS[:3])
    for name, data in (("le.csv", text.read_text().encode("utf-16")),
                       ("be.csv", b"\xfe\xff" + text.read_text().encode("utf-16-be")),
                       ("gz.csv.gz", gzip.compress(text.read_text().encode("utf-16")))):
        f = tmp_path / name
        f.write_bytes(data)
        res = finops("ingest", "focus", "--db", str(tmp_path / "s.duckdb"), str(f))
        assert res.exit_code == 2
        assert res.stderr.strip().splitlines()[0] == f"error: {f}: UTF-16 file: re-save it as UTF-8 (CSV UTF-8) and ingest that"
    # JSON pages in UTF-16 (as PowerShell writes them) are decoded
    page = {"object": "page", "has_more": False, "data": [{"object": "bucket", "start_time": 1730419200,
            "end_time": 1730505600, "results": [{"object": "organization.usage.completions.result",
            "input_tokens": 10, "output_tokens": 1, "num_model_requests": 1, "model": "gpt-4o"}]}]}
    pj = tmp_path / "page.json"
    pj.write_bytes(json.dumps(page).encode("utf-16"))
    res = finops("ingest", "openai-usage", "--db", str(tmp_path / "s.duckdb"), str(pj))
    assert res.exit_code == 0 and "read 1, loaded 1, quarantined 0" in res.stdout


def test_a_gzip_bomb_of_json_pages_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    bomb = tmp_path / "pages.json.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:  # 3 MiB of spaces then a page: ~3 KB on disk
        fh.write(b" " * (3 << 20) + b'{"object": "page", "data": []}')
    assert bomb.stat().st_size < 10_000
    db = tmp_path / "s.duckdb"
    res = finops("ingest", "openai-usage", "--db", str(db), str(bomb), env={"FINOPS_MAX_INPUT_MB": "1"})
    assert res.exit_code == 2
    assert f"{bomb}: decompresses to more than 1 MiB, the limit for one input" in res.stderr
    assert not db.exists()
    # without a lowered limit: refused by its ratio once past 64 MiB (peak RSS: benchmarks/ingest_hardening.py)
    big = tmp_path / "big.json.gz"
    with gzip.open(big, "wb", compresslevel=9) as fh:
        for _ in range(80):
            fh.write(b" " * (1 << 20))
        fh.write(b'{"object": "page", "data": []}')
    res = finops("ingest", "openai-usage", "--db", str(db), str(big))
    assert res.exit_code == 2 and "refused as a likely gzip bomb" in res.stderr
    assert not db.exists()
