"""llm-calls, gpu-jobs, endpoints, ownership and budgets ingestion on real DuckDB files: types, checks,
quarantine lines, cost at ingest, users' own prices, replace semantics. Expected values are computed
here from the input files and the shipped catalog file, not by the code under test."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from knowledge.ingest import SPECS, IngestError, ingest
from knowledge.ingest.limits import LoadPolicy
from knowledge.prices import llm_catalog_path
from knowledge.store import open_store
from tests.conftest import db_rows as rows
from tests.conftest import duckdb_connect

DATA = Path(__file__).parents[1] / "data" / "ingest"




def quarantine(db: Path) -> dict[int, str]:
    return {line: reason for line, reason in rows(db, "SELECT line, reason FROM quarantine ORDER BY line")}


def catalog_prices() -> dict[str, tuple[Decimal | None, Decimal | None, Decimal | None]]:
    """Per-token (input, output, cache read) prices straight from the shipped catalog file."""
    out = {}
    with open(llm_catalog_path(), encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    for r in csv.DictReader(lines):
        def d(key: str, r: dict[str, str] = r) -> Decimal | None:
            return Decimal(r[key]) if r[key] else None
        out[r["model"]] = (d("input_cost_per_token"), d("output_cost_per_token"), d("cache_read_input_token_cost"))
    return out


def expected_cost(prices: tuple, inp: int, cached: int, out: int) -> Decimal:
    p_in, p_out, p_cache = prices
    return (inp - cached) * p_in + cached * (p_cache if p_cache is not None else p_in) + out * p_out


def test_spec_columns_match_the_store_tables(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        for spec in SPECS.values():
            ddl = dict(store.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [spec.table]
            ).fetchall())
            for col in spec.columns:
                assert ddl.get(col.name) == col.sql_type, (spec.table, col.name)
            derived = {"x_tag_team", "x_tag_owner", "x_tag_project", "x_tag_env", "x_tag_app", "x_tag_model"}
            lineage = {c for c in ddl if c.startswith("x_")} - derived      # tag columns: computed, not lineage
            assert lineage == set(spec.lineage), spec.table


def test_llm_calls_cost_at_ingest_and_quarantine(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    f = ingest(db, "llm-calls", [DATA / "llm_calls.csv"]).files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (8, 4, 4)
    q = quarantine(db)
    assert q[5] == "unknown model 'gpt4o'; did you mean 'gpt-4o'?"
    assert "input_tokens is negative: -5" in q[6]
    assert "output_tokens: not a whole number '1.5'" in q[7] and "cached_input_tokens 20 exceed input_tokens 10" in q[7]
    assert q[8] == "ts: not a date/time 'yesterday'"

    prices = catalog_prices()
    got = rows(db, "SELECT ts, provider, model, calls, input_tokens, cached_input_tokens, output_tokens, max_tokens, "
                   "cost FROM llm_calls ORDER BY ts, model")
    with open(DATA / "llm_calls.csv", newline="") as fh:
        good = [r for r in csv.DictReader(fh) if r["model"] in prices and r["input_tokens"].isdigit()
                and r["output_tokens"].isdigit() and r["ts"][:4] == "2026"]
    assert len(got) == len(good) == 4
    by_model = {g[2]: g for g in got}
    for r in good:
        g = by_model[r["model"]]
        inp, cached, out = int(r["input_tokens"]), int(r["cached_input_tokens"] or 0), int(r["output_tokens"])
        assert g[-1] == expected_cost(prices[r["model"]], inp, cached, out)
        assert g[3] == int(r["calls"] or 1)
        assert g[7] == (int(r["max_tokens"]) if r["max_tokens"] else None)  # no max_tokens stays NULL
    # provider filled from the catalog when the log leaves it empty; zones -> naive UTC
    assert by_model["gpt-4o-mini"][1] == "openai"
    assert by_model["claude-sonnet-4-5"][0] == datetime(2026, 11, 1, 9, 1)
    assert by_model["gpt-4o"][0] == datetime(2026, 11, 1, 10, 0)


def test_llm_calls_with_the_users_own_prices(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest(db, "llm-calls", [DATA / "llm_calls.csv"])
    f = ingest(db, "llm-calls", [DATA / "llm_calls.csv"], prices_file=DATA / "prices_override.csv",
               policy=LoadPolicy(force=True)).files[0]  # half its rows are bad: over --max-quarantine
    assert f.rows_replaced == 4 and f.rows_loaded == 4  # re-ingesting a file replaces its rows
    assert rows(db, "SELECT count(*) FROM llm_calls") == [(4,)]
    cost = rows(db, "SELECT cost FROM llm_calls WHERE model = 'gpt-4o'")[0][0]
    per_m = Decimal(1_000_000)
    assert cost == (1200 - 800) * Decimal("2.00") / per_m + 800 * Decimal("1.00") / per_m + 150 * Decimal("8.00") / per_m
    assert rows(db, "SELECT source FROM llm_prices WHERE model IN ('gpt-4o', 'acme-internal-7b') ORDER BY model") == [
        ("prices_override.csv",), ("prices_override.csv",)]
    mini = rows(db, "SELECT cost FROM llm_calls WHERE model = 'gpt-4o-mini'")[0][0]
    assert mini == expected_cost(catalog_prices()["gpt-4o-mini"], 900, 0, 80)  # other models keep catalog prices


def test_a_bad_price_file_is_refused_before_anything_changes(tmp_path: Path) -> None:
    bad = tmp_path / "prices.csv"
    bad.write_text("model,input_per_1m,output_per_1m\ngpt-4o,two,8\n")
    db = tmp_path / "s.duckdb"
    with pytest.raises(IngestError, match="input price 'two' is not a number"):
        ingest(db, "llm-calls", [DATA / "llm_calls.csv"], prices_file=bad)
    assert not db.exists()


def test_gpu_jobs_checks_and_key_replace(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    f = ingest(db, "gpu-jobs", [DATA / "gpu_jobs.csv"]).files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (7, 2, 5)
    q = quarantine(db)
    assert q[4] == "gpu_count is negative: -8"
    assert "avg_gpu_util is not between 0 and 1: 1.7" in q[5] and "ended_at 2026-10-31 00:00:00 is before started_at" in q[5]
    assert q[6].startswith("kind 'pretraining' is not one of training")
    assert q[7].startswith("duplicate job_id 'job-001'")
    assert q[8] == "job_id is missing"
    job = rows(db, "SELECT name, gpu_count, budget, avg_gpu_util, ended_at, actual_cost FROM gpu_jobs WHERE job_id = 'job-001'")
    assert job == [("llama-70b-sft", 64, Decimal("40000"), 0.82, datetime(2026, 11, 3, 12), Decimal("37210.25"))]
    running = rows(db, "SELECT ended_at, budget FROM gpu_jobs WHERE job_id = 'job-002'")
    assert running == [(None, None)]
    # a later file updates a job by its id: replaced, not added
    update = tmp_path / "jobs-update.csv"
    update.write_text("job_id,name,ended_at\njob-002,eval-sweep,2026-11-04 00:00:00\n")
    g = ingest(db, "gpu-jobs", [update]).files[0]
    assert g.rows_replaced == 1
    assert rows(db, "SELECT count(*) FROM gpu_jobs") == [(2,)]
    assert rows(db, "SELECT ended_at FROM gpu_jobs WHERE job_id = 'job-002'") == [(datetime(2026, 11, 4),)]


def test_endpoints_ownership_budgets(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    report = {f.kind: f for kind, name in [("endpoints", "endpoints.csv"), ("ownership", "ownership.csv"),
                                           ("budgets", "budgets.csv")]
              for f in ingest(db, kind, [DATA / name]).files}
    assert report["endpoints"].counts_line() == "read 4, loaded 2, quarantined 2"
    assert report["ownership"].counts_line() == "read 6, loaded 3, quarantined 3"
    assert report["budgets"].counts_line() == "read 6, loaded 2, quarantined 4"
    by_file = {}
    for file, line, reason in rows(db, "SELECT file, line, reason FROM quarantine ORDER BY file, line"):
        by_file.setdefault(Path(file).name, {})[line] = reason
    assert by_file["endpoints.csv"] == {4: "hourly_cost is negative: -1", 5: "created_at: not a date/time '31/10/2026'"}
    assert by_file["ownership.csv"][5] == "tag rule pattern 'cost-center' is not key=value"
    assert by_file["ownership.csv"][6].startswith("match_kind 'regex' is not one of")
    assert by_file["ownership.csv"][7] == "rule_id: not a whole number 'x'"
    assert by_file["budgets.csv"] == {
        4: "period_start 2026-11-15 is not the first day of a month",
        5: "period 'weekly' is not one of monthly, quarterly",
        6: "amount is negative: -5",
        7: "alert_thresholds '80%' is not a comma-separated list of numbers",
    }
    assert rows(db, "SELECT endpoint_id, hourly_cost, created_at FROM endpoints ORDER BY 1") == [
        ("ep-01", Decimal("55.04"), datetime(2026, 9, 1)), ("ep-02", Decimal("0.8048"), datetime(2026, 10, 1))]
    assert rows(db, "SELECT rule_id, priority FROM ownership ORDER BY 1") == [(1, 10), (2, 100), (3, 50)]  # default 100
    assert rows(db, "SELECT scope_name, period_start, amount, alert_thresholds FROM budgets ORDER BY 1") == [
        ("research", date(2026, 10, 1), Decimal("250000.50"), "0.8,1.0"),
        ("search", date(2026, 11, 1), Decimal("50000"), "0.8,1.0"),
    ]
    runs = rows(db, "SELECT source, rows_read, rows_loaded + rows_quarantined FROM ingest_runs ORDER BY source")
    assert all(read == total for _, read, total in runs) and len(runs) == 3


def test_parquet_for_other_kinds(tmp_path: Path) -> None:
    pq = tmp_path / "jobs.parquet"
    con = duckdb_connect(":memory:")
    con.execute(f"COPY (SELECT 'j-' || i AS job_id, i AS gpu_count, TIMESTAMP '2026-11-01' + to_hours(i) AS started_at, "
                f"CASE WHEN i = 3 THEN -1.5 ELSE i * 0.1 END AS avg_gpu_util FROM range(1, 6) t(i)) TO '{pq}' (FORMAT parquet)")
    con.close()
    db = tmp_path / "s.duckdb"
    f = ingest(db, "gpu-jobs", [pq]).files[0]
    assert f.counts_line() == "read 5, loaded 4, quarantined 1"
    line, reason, raw = rows(db, "SELECT line, reason, raw FROM quarantine")[0]
    assert (line, reason) == (3, "avg_gpu_util is not between 0 and 1: -1.5")
    assert '"job_id":"j-3"' in raw and "file_row_number" not in raw
    assert rows(db, "SELECT sum(gpu_count), max(started_at) FROM gpu_jobs") == [(1 + 2 + 4 + 5, datetime(2026, 11, 1, 5))]
