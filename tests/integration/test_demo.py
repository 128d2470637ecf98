"""The demo company: every planted fact is in the store, and an independent SQL query agrees with it.

Expected values come from `demo_facts` (written by the generator) and are re-derived here with SQL
written for the test over the raw tables; the only literals are the contract's (docs/demo-company.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from knowledge.store import Store, open_store
from tests.cli import finops_cli
from tests.conftest import DEMO_AS_OF, DEMO_SEED, duckdb_connect

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo-company.md"
AS_OF = date.fromisoformat(DEMO_AS_OF)
CENT = Decimal("0.01")


def cents(value: object) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def ts(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def one(store: Store, sql: str, params: list | None = None) -> tuple:
    row = store.con.execute(sql, params or []).fetchone()
    assert row is not None, sql
    return row


def contract_fields() -> dict[str, list[list[str]]]:
    """Planted-fact keys and their fields, parsed from the contract table of docs/demo-company.md.

    Each field is a list of alternatives ("job_id or endpoint_id" -> ["job_id", "endpoint_id"]).
    """
    fields: dict[str, list[list[str]]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| `([a-z0-9_]+)` \| (.*?) \|.*\|$", line)
        if not m:
            continue
        key, cell = m.group(1), re.sub(r"\([^)]*\)", "", m.group(2)).replace("`", "")
        if cell.strip().startswith("list of"):
            fields[key] = []
            continue
        fields[key] = [[alt.strip() for alt in f.split(" or ")] for f in cell.split(",") if f.strip()]
    return fields


# -- the contract ----------------------------------------------------------------------------------------
def test_every_contract_key_and_field_is_present(demo_facts: dict) -> None:
    fields = contract_fields()
    assert len(fields) >= 17, "could not parse the contract table"
    for key, wanted in fields.items():
        assert key in demo_facts, key
        for alternatives in wanted:
            assert any(a in demo_facts[key] for a in alternatives), (key, alternatives)


def test_money_facts_are_two_decimal_strings(demo_facts: dict) -> None:
    money_fields = {"daily_cost", "monthly_cost", "amount", "cost", "daily_prefix_cost", "baseline", "excess",
                    "budget", "spent", "untagged_cost", "total_cost", "daily_cost_start", "daily_cost_end"}
    seen = 0
    for key, value in demo_facts.items():
        if not isinstance(value, dict):
            continue
        for field in money_fields & value.keys():
            assert re.fullmatch(r"-?\d+\.\d\d", value[field]), (key, field, value[field])
            seen += 1
    assert seen >= 19


def test_window_meta_and_ingest_run(demo_store: Store, demo_facts: dict) -> None:
    assert demo_facts["as_of"]["date"] == DEMO_AS_OF
    assert demo_store.meta("as_of") == DEMO_AS_OF
    lo, hi, days = one(demo_store, "SELECT min(ChargePeriodStart), max(ChargePeriodStart), "
                                   "count(DISTINCT ChargePeriodStart) FROM focus_charges")
    assert lo == ts(AS_OF - timedelta(days=90)) and hi == ts(AS_OF - timedelta(days=1)) and days == 90
    bad = one(demo_store, "SELECT count(*) FROM focus_charges WHERE ChargePeriodEnd <> ChargePeriodStart + INTERVAL 1 DAY "
                          "OR BillingPeriodStart <> date_trunc('month', ChargePeriodStart) OR BillingCurrency <> 'USD'")[0]
    assert bad == 0
    providers = {r[0] for r in demo_store.con.execute("SELECT DISTINCT ProviderName FROM focus_charges").fetchall()}
    assert providers == {"AWS", "Google Cloud", "Microsoft", "OpenAI", "Anthropic"}
    run = one(demo_store, "SELECT source, rows_loaded, rows_quarantined FROM ingest_runs")
    assert run[0] == "demo" and run[1] > 100_000 and run[2] == 0
    teams = [r[0] for r in demo_store.con.execute("SELECT team FROM teams ORDER BY team").fetchall()]
    assert teams == sorted(demo_facts["teams"])
    ch = demo_store.con.execute("SELECT slack_channel, team FROM teams").fetchall()
    assert all(c == f"#team-{t}" for c, t in ch)


# -- the $20K cluster --------------------------------------------------------------------------------------
def test_cluster_20k(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["cluster_20k"]
    rid = f["resource_id"]
    last30 = one(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? AND ChargePeriodStart >= ?",
                 [rid, ts(AS_OF - timedelta(days=30))])[0]
    assert cents(last30) == f["monthly_cost"]
    assert Decimal(f["monthly_cost"]) == Decimal(f["daily_cost"]) * 30
    assert 18_000 <= Decimal(f["monthly_cost"]) <= 22_000
    tagged = one(demo_store, "SELECT count(*) FILTER (WHERE Tags['team'] IS NOT NULL OR Tags['owner'] IS NOT NULL), "
                             "count(*) FROM focus_charges WHERE ResourceId = ?", [rid])
    assert tagged[0] == 0 and tagged[1] > 30
    rule = one(demo_store, "SELECT team, owner, match_kind FROM ownership WHERE rule_id = ?", [f["rule_id"]])
    assert rule[0] == f["team"] and rule[1] == f["owner"] and rule[2] in ("resource_id", "resource_pattern")
    alloc = demo_store.con.execute("SELECT DISTINCT x_team FROM charges_allocated WHERE ResourceId = ?", [rid]).fetchall()
    assert alloc == [(f["team"],)]
    job = one(demo_store, "SELECT team, owner, resource_id, ended_at IS NOT NULL FROM gpu_jobs WHERE job_id = ?",
              [f["created_by_job"]])
    assert job == (f["team"], f["owner"], rid, True)
    gpus = one(demo_store, "SELECT gpu_type, gpu_count FROM gpu_prices WHERE instance_type = ? LIMIT 1",
               [f["instance_type"]])
    assert gpus[0] == f["gpu_type"] == "H100" and int(gpus[1]) == f["gpu_count"] == 8


# -- waste ---------------------------------------------------------------------------------------------------
def test_idle_endpoint(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["idle_endpoint"]
    e = one(demo_store, "SELECT resource_id, team, owner, hourly_cost FROM endpoints WHERE endpoint_id = ?",
            [f["endpoint_id"]])
    assert (e[0], e[1], e[2]) == (f["resource_id"], f["team"], f["owner"])
    assert cents(e[3] * 720) == f["monthly_cost"] and 7_000 <= Decimal(f["monthly_cost"]) <= 9_000
    req, util = one(demo_store, "SELECT sum(requests), avg(avg_gpu_util) FROM endpoint_usage_daily "
                                "WHERE endpoint_id = ? AND day >= ?", [f["endpoint_id"], AS_OF - timedelta(days=30)])
    assert req == f["requests_last_30d"] <= 5
    assert round(util, 4) == f["avg_gpu_util_last_30d"] < 0.05
    billed = one(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? AND ChargePeriodStart >= ?",
                 [f["resource_id"], ts(AS_OF - timedelta(days=30))])[0]
    assert billed == e[3] * 720


def test_fourteen_zombie_jobs_by_sql(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["zombie_jobs"]
    rows = demo_store.con.execute(
        "SELECT job_id, team, resource_id FROM gpu_jobs WHERE ended_at IS NULL "
        "AND started_at + to_hours(CAST(ttl_hours AS BIGINT)) < ? ORDER BY job_id", [ts(AS_OF)]
    ).fetchall()
    assert len(rows) == f["count"] == 14
    assert [r[0] for r in rows] == f["job_ids"]
    assert sorted({r[1] for r in rows}) == f["teams"]
    stalled = one(demo_store, "SELECT count(*) FROM gpu_jobs WHERE job_id IN (SELECT unnest(?)) "
                              "AND last_progress_at < ? - to_hours(?)", [f["job_ids"], ts(AS_OF), f["ttl_hours"]])[0]
    assert stalled == 14
    # Run rate: the last (full) day's billing of their resources, x 30.
    last_day = one(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId IN (SELECT unnest(?)) "
                               "AND ChargePeriodStart = ?", [[r[2] for r in rows], ts(AS_OF - timedelta(days=1))])[0]
    assert cents(last_day * 30) == f["monthly_cost"]
    # Other running jobs are within their TTL and progressing.
    healthy = one(demo_store, "SELECT count(*) FROM gpu_jobs WHERE ended_at IS NULL AND job_id NOT IN (SELECT unnest(?))",
                  [f["job_ids"]])[0]
    assert healthy >= 1


def test_replication_left_on(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["replication_left_on"]
    daily = demo_store.con.execute(
        "SELECT ChargePeriodStart, sum(BilledCost) FROM focus_charges WHERE ResourceId = ? "
        "GROUP BY ChargePeriodStart ORDER BY ChargePeriodStart", [f["resource_id"]]).fetchall()
    assert daily[0][0] == ts(date.fromisoformat(f["started"]))
    assert daily[-1][0] == ts(AS_OF - timedelta(days=1)) and len(daily) == (AS_OF - date.fromisoformat(f["started"])).days
    assert {cents(d[1]) for d in daily} == {f["daily_cost"]}
    assert cents(Decimal(f["daily_cost"]) * 30) == f["monthly_cost"]
    assert one(demo_store, "SELECT DISTINCT Tags['team'] FROM focus_charges WHERE ResourceId = ?",
               [f["resource_id"]])[0] == f["team"]


def test_charge_17k_last_week(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["charge_17k"]
    monday = AS_OF - timedelta(days=AS_OF.isoweekday() - 1) - timedelta(days=7)
    assert monday <= date.fromisoformat(f["date"]) < monday + timedelta(days=7)
    top = one(demo_store, "SELECT BilledCost, CAST(ChargePeriodStart AS DATE), ResourceId, SkuId, ServiceName, "
                          "ProviderName, Tags['team'] FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
                          "ORDER BY BilledCost DESC, ResourceId LIMIT 1", [ts(monday), ts(monday + timedelta(days=7))])
    assert (cents(top[0]), top[1].isoformat(), top[2], top[3], top[4], top[5], top[6]) == (
        f["amount"], f["date"], f["resource_id"], f["sku_id"], f["service"], f["provider"], f["team"])
    assert 16_000 <= Decimal(f["amount"]) <= 18_000
    # One-off: the resource has no other charge.
    assert one(demo_store, "SELECT count(*) FROM focus_charges WHERE ResourceId = ?", [f["resource_id"]])[0] == 1


def test_discarded_run_3k(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["discarded_run_3k"]
    j = one(demo_store, "SELECT date_diff('hour', started_at, ended_at), actual_cost, outcome, team, gpu_count, "
                        "resource_id FROM gpu_jobs WHERE job_id = ?", [f["job_id"]])
    assert j[0] == f["hours"] == 6 and cents(j[1]) == f["cost"] and j[2] == f["outcome"] == "discarded"
    assert (j[3], j[4]) == (f["team"], f["gpu_count"])
    billed = one(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ?", [j[5]])[0]
    assert cents(billed) == f["cost"] and 2_500 <= Decimal(f["cost"]) <= 3_500
    assert one(demo_store, "SELECT count(*) FROM gpu_jobs WHERE outcome = 'discarded'")[0] == 1


def test_research_to_prod(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["research_to_prod"]
    tags = demo_store.con.execute("SELECT DISTINCT Tags['env'], Tags['team'], Tags['project'] FROM focus_charges "
                                  "WHERE ResourceId = ?", [f["resource_id"]]).fetchall()
    assert tags == [(f["tagged_env"], f["team"], f["project"])] and f["tagged_env"] == "dev"
    # Runs 24x7 with production-like traffic: every day of the last 30, weekends as busy as weekdays.
    days, min_req, weekend, weekday = one(demo_store, """
        SELECT count(*), min(requests), avg(requests) FILTER (WHERE isodow(day) >= 6),
               avg(requests) FILTER (WHERE isodow(day) < 6)
        FROM endpoint_usage_daily WHERE endpoint_id = ? AND day >= ?""", [f["endpoint_id"], AS_OF - timedelta(days=30)])
    assert days == 30 and min_req > 10_000 and weekend > 0.9 * weekday
    job = one(demo_store, "SELECT j.team, e.created_by_job FROM endpoints e JOIN gpu_jobs j ON j.job_id = e.created_by_job "
                          "WHERE e.endpoint_id = ?", [f["endpoint_id"]])
    assert job == (f["team"], f["job_id"])


def test_prompt_injection_is_on_a_billed_resource(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["prompt_injection"]
    n, cost = one(demo_store, "SELECT count(*), sum(BilledCost) FROM focus_charges WHERE ResourceId = ? AND Tags[?] = ?",
                  [f["resource_id"], f["tag_key"], f["tag_value"]])
    assert n > 0 and cost > 0
    assert "ignore previous instructions" in f["tag_value"].lower()


# -- LLM ------------------------------------------------------------------------------------------------------
def test_prompt_800(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["prompt_800"]
    p = one(demo_store, "SELECT system_prompt_tokens, caching_enabled, model, app, team FROM prompts WHERE prompt_id = ?",
            [f["prompt_id"]])
    assert p == (f["system_prompt_tokens"], f["caching"], f["model"], f["app"], f["team"])
    assert f["system_prompt_tokens"] == 800 and f["calls_per_day"] == 500_000 and f["caching"] is False
    per_day = {r[0] for r in demo_store.con.execute(
        "SELECT sum(calls) FROM llm_calls WHERE prompt_id = ? GROUP BY CAST(ts AS DATE)", [f["prompt_id"]]).fetchall()}
    assert per_day == {f["calls_per_day"]}
    cached = one(demo_store, "SELECT sum(cached_input_tokens) FROM llm_calls WHERE prompt_id = ?", [f["prompt_id"]])[0]
    assert cached == 0
    price = one(demo_store, "SELECT input_cost_per_token FROM llm_prices WHERE model = ?", [f["model"]])[0]
    assert cents(800 * 500_000 * price) == f["daily_prefix_cost"]
    assert f["daily_prefix_tokens"] == 800 * 500_000


def test_frontier_model_on_classification(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["frontier_classification"]
    assert one(demo_store, "SELECT task_type, model FROM prompts WHERE prompt_id = ?", [f["prompt_id"]]) == (
        "classification", f["model"])
    tiers = dict(demo_store.con.execute("SELECT model, tier FROM llm_prices WHERE model IN (?, ?)",
                                        [f["model"], f["cheaper_model"]]).fetchall())
    assert tiers[f["model"]] == "frontier" and tiers[f["cheaper_model"]] == "small"
    used = one(demo_store, "SELECT count(*) FROM llm_calls WHERE prompt_id = ? AND model = ?", [f["prompt_id"], f["model"]])[0]
    assert used > 0


def test_no_max_tokens_app(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["no_max_tokens_app"]
    med, p95, with_max, n, multi = one(demo_store, """
        SELECT quantile_disc(output_tokens, 0.5), quantile_disc(output_tokens, 0.95),
               count(*) FILTER (WHERE max_tokens IS NOT NULL), count(*), count(*) FILTER (WHERE calls <> 1)
        FROM llm_calls WHERE app = ?""", [f["app"]])
    assert (med, p95) == (f["median_output_tokens"], f["p95_output_tokens"])
    assert with_max == 0 and multi == 0 and n > 10_000
    assert p95 > 3 * med and med > 500
    assert one(demo_store, "SELECT max_tokens FROM prompts WHERE prompt_id = ?", [f["prompt_id"]])[0] is None
    others = one(demo_store, "SELECT count(*) FROM prompts WHERE max_tokens IS NULL AND app <> ?", [f["app"]])[0]
    assert others == 0


def test_llm_invoices_match_call_logs(demo_store: Store) -> None:
    calls = one(demo_store, "SELECT sum(cost) FROM llm_calls")[0]
    billed = one(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE ProviderName IN ('OpenAI', 'Anthropic')")[0]
    assert calls == billed and calls > 0
    assert one(demo_store, "SELECT count(*) FROM llm_calls WHERE cost IS NULL")[0] == 0


# -- anomalies ------------------------------------------------------------------------------------------------
def _scope_daily(store: Store, service: str) -> dict[date, Decimal]:
    rows = store.con.execute("SELECT CAST(ChargePeriodStart AS DATE), sum(BilledCost) FROM focus_charges "
                             "WHERE ServiceName = ? GROUP BY 1 ORDER BY 1", [service]).fetchall()
    return {d: c for d, c in rows}


def test_anomaly_spike_is_clear(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["anomaly_spike"]
    daily = _scope_daily(demo_store, f["scope"])
    day = date.fromisoformat(f["date"])
    assert cents(daily[day]) == f["amount"]
    baseline = one(demo_store, """
        SELECT median(c) FROM (SELECT ChargePeriodStart, sum(BilledCost) AS c FROM focus_charges
                               WHERE ServiceName = ? AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
                               GROUP BY ChargePeriodStart)""", [f["scope"], ts(day - timedelta(days=28)), ts(day)])[0]
    assert cents(baseline) == f["baseline"]
    assert Decimal(f["excess"]) == Decimal(f["amount"]) - Decimal(f["baseline"])
    assert daily[day] > Decimal("2.5") * baseline
    others = [c for d, c in daily.items() if d != day]
    assert max(others) < Decimal("1.5") * baseline
    top = one(demo_store, "SELECT ResourceId FROM focus_charges WHERE ServiceName = ? AND ChargePeriodStart = ? "
                          "ORDER BY BilledCost DESC, ResourceId LIMIT 1", [f["scope"], ts(day)])[0]
    assert top == f["resource_id"]


def test_drift(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["drift"]
    daily = _scope_daily(demo_store, f["scope"])
    start = date.fromisoformat(f["start"])
    assert cents(daily[start]) == f["daily_cost_start"]
    assert cents(daily[AS_OF - timedelta(days=1)]) == f["daily_cost_end"]
    before = {c for d, c in daily.items() if d < start}
    after = [daily[d] for d in sorted(daily) if d >= start]
    assert before == {Decimal(f["daily_cost_start"])}
    assert all(b > a for a, b in zip(after, after[1:]))
    assert Decimal(f["daily_cost_end"]) > Decimal("1.5") * Decimal(f["daily_cost_start"])
    assert (AS_OF - start).days >= 21   # over weeks


def test_weekly_seasonality_of_ordinary_resources(demo_store: Store) -> None:
    wd, we = one(demo_store, """
        SELECT avg(c) FILTER (WHERE isodow(d) < 6), avg(c) FILTER (WHERE isodow(d) >= 6) FROM (
            SELECT CAST(ChargePeriodStart AS DATE) AS d, sum(BilledCost) AS c FROM focus_charges
            WHERE ServiceName IN ('Amazon Elastic Compute Cloud', 'Compute Engine', 'Virtual Machines')
              AND regexp_matches(ResourceName, '-[0-9]{6}$')
            GROUP BY 1)""")
    assert we < 0.8 * wd


# -- budgets and tags ---------------------------------------------------------------------------------------------
def test_budget_over_80(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["budget_over_80"]
    start = date.fromisoformat(f["period_start"])
    assert start == (AS_OF - timedelta(days=1)).replace(day=1)
    budget = one(demo_store, "SELECT amount FROM budgets WHERE scope_kind = 'team' AND scope_name = ? AND period_start = ?",
                 [f["team"], start])[0]
    spent = one(demo_store, "SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= ? "
                            "AND ChargePeriodStart < ?", [f["team"], ts(start), ts(AS_OF)])[0]
    by_tag = one(demo_store, "SELECT sum(BilledCost) FROM focus_charges WHERE Tags['team'] = ? AND ChargePeriodStart >= ? "
                             "AND ChargePeriodStart < ?", [f["team"], ts(start), ts(AS_OF)])[0]
    assert cents(budget) == f["budget"] and cents(spent) == f["spent"]
    assert f["pct"] == str((spent / budget).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
    assert Decimal(f["pct"]) > Decimal("0.8") and by_tag / budget > Decimal("0.8")
    # It is the only team above 80% this month.
    over = demo_store.con.execute("""
        SELECT b.scope_name FROM budgets b JOIN (
            SELECT x_team, sum(BilledCost) AS s FROM charges_allocated WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
            GROUP BY x_team) a ON a.x_team = b.scope_name
        WHERE b.scope_kind = 'team' AND b.period_start = ? AND a.s > 0.8 * b.amount ORDER BY 1""",
        [ts(start), ts(AS_OF), start]).fetchall()
    assert over == [(f["team"],)]
    months = one(demo_store, "SELECT count(DISTINCT period_start) FROM budgets")[0]
    assert months >= 3


def test_untagged_share(demo_store: Store, demo_facts: dict) -> None:
    f = demo_facts["untagged_share"]
    total, untagged = one(demo_store, "SELECT sum(BilledCost), sum(BilledCost) FILTER (WHERE Tags['team'] IS NULL "
                                      "OR Tags['team'] = '') FROM focus_charges")
    assert cents(total) == f["total_cost"] and cents(untagged) == f["untagged_cost"]
    assert f["share"] == str((untagged / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
    assert Decimal("0.11") <= Decimal(f["share"]) <= Decimal("0.13")
    # Part of the untagged spend has a suggested owner through an ownership rule; part has none.
    sources = {r[0] for r in demo_store.con.execute(
        "SELECT DISTINCT x_team IS NULL FROM charges_allocated WHERE Tags['team'] IS NULL").fetchall()}
    assert sources == {True, False}


# -- determinism, scale, the CLI and first use -------------------------------------------------------------------
def _facts(path: Path) -> dict:
    with open_store(path, read_only=True) as store:
        return {k: json.loads(v) for k, v in store.con.execute("SELECT key, value FROM demo_facts").fetchall()}


def _finops() -> list[str]:
    script = Path(sys.executable).parent / "finops"
    return [str(script)] if script.exists() else [sys.executable, "-m", "apps.cli.main"]


def test_finops_demo_cli_is_deterministic_and_atomic(tmp_path: Path, demo_facts: dict) -> None:
    target = tmp_path / "store.duckdb"
    target.write_bytes(b"an older store that must be replaced whole")
    env = {**os.environ, "FINOPS_DB": str(tmp_path / "not-this-one.duckdb")}
    out = subprocess.run([*_finops(), "demo", "--db", str(target), "--as-of", DEMO_AS_OF, "--seed", str(DEMO_SEED),
                          "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["rows"]["focus_charges"] > 100_000 and summary["seconds"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.duckdb"]   # no temp file left behind
    assert _facts(target) == demo_facts                                      # same seed -> identical facts
    bad = finops_cli("demo", "--db", str(target), "--as-of", "2026-02-30", env=env)   # in-process: tests/cli.py
    assert bad.returncode == 2 and "--as-of" in bad.stderr, bad.stderr
    assert _facts(target) == demo_facts                                      # a failed run changes nothing


@pytest.fixture(scope="module")
def demo_x2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The demo at scale 2 (~218K charge rows: two of DuckDB's row groups, so its scans run in parallel)."""
    from knowledge.demo import build_demo

    path = tmp_path_factory.mktemp("x2") / "x2.duckdb"
    return path, build_demo(path, as_of=AS_OF, seed=DEMO_SEED, scale=2)


@pytest.mark.slow
def test_scale_two_doubles_ordinary_rows_and_keeps_facts(demo_x2: tuple[Path, Any], demo_db: Path,
                                                         demo_facts: dict) -> None:
    path, summary = demo_x2
    ordinary = "SELECT count(*) FROM focus_charges WHERE regexp_matches(ResourceName, '-[0-9]{6}$')"
    with open_store(demo_db, read_only=True) as one_x, open_store(path, read_only=True) as two_x:
        n1 = one_x.con.execute(ordinary).fetchone()[0]
        n2 = two_x.con.execute(ordinary).fetchone()[0]
        planted1 = one_x.con.execute("SELECT count(*) FROM focus_charges").fetchone()[0] - n1
        planted2 = two_x.con.execute("SELECT count(*) FROM focus_charges").fetchone()[0] - n2
    assert 1.9 < n2 / n1 < 2.1 and planted1 == planted2
    assert summary.rows["focus_charges"] == n2 + planted2
    facts = _facts(path)
    for key in ("cluster_20k", "idle_endpoint", "zombie_jobs", "charge_17k", "discarded_run_3k", "prompt_800",
                "anomaly_spike", "drift", "prompt_injection"):
        assert facts[key] == demo_facts[key], key
    assert Decimal("0.11") <= Decimal(facts["untagged_share"]["share"]) <= Decimal("0.13")
    assert Decimal(facts["budget_over_80"]["pct"]) > Decimal("0.8")


THREAD_CASES: list[tuple[str, dict[str, Any]]] = [
    ("spend", {"group_by": "service", "period": "last month"}),
    ("spend", {"group_by": "team", "period": "last 3 months"}),
    ("spend", {"group_by": "resource", "top": 10}),
    ("query_costs", {"measures": ["billed_cost", "effective_cost"], "group_by": ["provider", "service_category"],
                     "period": "last month", "compare": "previous"}),
    ("anomalies", {}),
    ("tag_audit", {}),
    ("forecast", {"scope": "team"}),
    ("waste", {}),
    ("who_owns", {"resource": "inference cluster"}),
    ("budgets", {}),
]


@pytest.mark.slow
def test_answers_do_not_depend_on_duckdb_s_thread_count(demo_x2: tuple[Path, Any],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite runs DuckDB on one thread per worker (tests/conftest.py); users run it on every core. On a
    store of several row groups, each tool gives the same result (and the same text) on 1 thread and on 4."""
    from knowledge.connection import THREADS_ENV
    from tools.registry import run_tool

    path, _ = demo_x2
    runs: dict[str, list[Any]] = {}
    for threads in ("1", "4"):
        monkeypatch.setenv(THREADS_ENV, threads)
        with open_store(path, read_only=True) as store:
            assert store.con.execute("SELECT current_setting('threads')").fetchone()[0] == int(threads)
            results = [run_tool(store, tool, args) for tool, args in THREAD_CASES]
        runs[threads] = [(r.model_dump(mode="json", exclude={"evidence"}), r.summary()) for r in results]
    for (tool, args), one, four in zip(THREAD_CASES, runs["1"], runs["4"], strict=True):
        assert one == four, f"{tool} {args}: differs between 1 and 4 DuckDB threads"


def test_a_bad_thread_count_is_a_clear_error(demo_db: Path) -> None:
    bad = finops_cli("ask", "spend last month", "--db", str(demo_db), env={**os.environ, "FINOPS_DUCKDB_THREADS": "all"})
    assert bad.returncode == 2, (bad.returncode, bad.stdout, bad.stderr)
    assert "FINOPS_DUCKDB_THREADS must be a whole number of threads, 1 or more (got 'all')" in bad.stderr
    assert "$" not in bad.stdout


def test_ensure_store_builds_on_first_use_only(tmp_path: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo is built only at the default path (no --db, no FINOPS_DB): here under $XDG_DATA_HOME."""
    from knowledge.bootstrap import ensure_store, store_has_data

    monkeypatch.delenv("FINOPS_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    path = tmp_path / "finops" / "finops.duckdb"
    got, notice = ensure_store(None)
    assert got == path and path.exists()
    assert notice is not None and "\n" not in notice
    assert notice.startswith(f"No store at {path}: built the demo company (90 days, as of ")
    assert "finops ingest focus FILE" in notice
    with open_store(path, read_only=True) as store:
        assert store.meta("as_of") == re.search(r"as of (\d{4}-\d\d-\d\d)", notice).group(1)
        assert store.con.execute("SELECT count(*) FROM demo_facts").fetchone()[0] >= 17
    assert ensure_store(None) == (path, None)
    assert ensure_store(path) == (path, None)          # named, and there: used as it is
    assert store_has_data(demo_db)


def test_ensure_store_never_builds_at_a_named_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge.bootstrap import NoStoreError, ensure_store

    monkeypatch.delenv("FINOPS_DB", raising=False)
    named = tmp_path / "typo" / "finops.duckdb"
    with pytest.raises(NoStoreError, match=f"no store at {named}; build one with `finops demo --db {named}`"):
        ensure_store(named)
    monkeypatch.setenv("FINOPS_DB", str(named))
    with pytest.raises(NoStoreError):
        ensure_store(None)
    assert list(tmp_path.iterdir()) == []                 # nothing created, not even the directory


def test_empty_store_counts_as_no_data(empty_store: Store) -> None:
    from knowledge.bootstrap import store_has_data

    path = empty_store.path
    empty_store.close()
    assert not store_has_data(path)
    con = duckdb_connect(str(path))
    con.execute("INSERT INTO teams (team) VALUES ('mine')")
    con.close()
    assert store_has_data(path)
