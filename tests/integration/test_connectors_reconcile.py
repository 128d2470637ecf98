"""The reconcile tool (usage x catalog vs invoice, per provider and month) and the LLM-spend tool reading
both per-call logs and provider usage buckets, on real DuckDB files. Every expected figure comes from an
SQL query written here (or from the pages this test builds), not from the code under test."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from knowledge.connectors import ingest_provider
from knowledge.store import open_store
from tools.contract import UnknownNameError
from tools.registry import run_tool

DATA = Path(__file__).parents[1] / "data" / "provider-usage"
DAY = 86400

# An independent statement of "call logs x catalog", per provider and month.
LOGS_SQL = """
    SELECT lower(c.provider) AS provider, CAST(date_trunc('month', c.ts) AS DATE) AS month,
           sum((c.input_tokens - c.cached_input_tokens) * p.input_cost_per_token
               + c.cached_input_tokens * coalesce(p.cache_read_input_token_cost, p.input_cost_per_token)
               + c.output_tokens * p.output_cost_per_token) AS computed
    FROM llm_calls c JOIN llm_prices p ON p.model = c.model
    WHERE c.ts >= ? AND c.ts < ?
    GROUP BY 1, 2"""
INVOICE_SQL = """
    SELECT lower(ProviderName) AS provider, CAST(date_trunc('month', ChargePeriodStart) AS DATE) AS month,
           sum(BilledCost) AS invoiced
    FROM focus_charges
    WHERE ServiceCategory = 'AI and Machine Learning' AND ProviderName IN ('OpenAI', 'Anthropic')
      AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
    GROUP BY 1, 2"""


def by_key(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> dict:
    return {(r[0], r[1]): r[2] for r in con.execute(sql, params).fetchall()}


def test_reconcile_on_the_demo_equals_independent_sql(demo_store) -> None:
    result = run_tool(demo_store, "reconcile", {"period": "last 3 months"})
    start, end = datetime.combine(result.period.start, datetime.min.time()), datetime.combine(result.period.end, datetime.min.time())
    logs = by_key(demo_store.con, LOGS_SQL, [start, end])
    invoices = by_key(demo_store.con, INVOICE_SQL, [start, end])
    assert {(r.provider.lower(), r.month) for r in result.rows} == set(logs) == set(invoices)
    for r in result.rows:
        key = (r.provider.lower(), r.month)
        assert r.basis == "call logs"
        assert r.computed == logs[key] and r.invoiced == invoices[key]
        assert r.difference == logs[key] - invoices[key]
        # the demo's AI invoices are built from its call logs: no drift (docs/demo-company.md)
        assert r.difference == 0
    assert result.total_computed == sum(logs.values()) and result.total_invoiced == sum(invoices.values())
    assert "difference of $0.00" in result.summary()
    one = run_tool(demo_store, "reconcile", {"period": "2026-10", "provider": "OPENAI"})
    assert [(r.provider, r.month) for r in one.rows] == [("OpenAI", date(2026, 10, 1))]
    with pytest.raises(UnknownNameError, match="did you mean 'openai'"):
        run_tool(demo_store, "reconcile", {"provider": "opnai"})


def test_reconcile_shows_catalog_drift(writable_demo: Path) -> None:
    with open_store(writable_demo) as store:  # the provider raised a price the catalog still had old
        model = store.con.execute("SELECT model FROM llm_calls WHERE provider = 'openai' GROUP BY model "
                                  "ORDER BY sum(cost) DESC, model LIMIT 1").fetchone()[0]
        store.con.execute("UPDATE llm_prices SET input_cost_per_token = input_cost_per_token * 0.9 WHERE model = ?", [model])
    with open_store(writable_demo, read_only=True) as store:
        result = run_tool(store, "reconcile", {"period": "last 3 months", "provider": "openai"})
        start = datetime.combine(result.period.start, datetime.min.time())
        end = datetime.combine(result.period.end, datetime.min.time())
        logs = by_key(store.con, LOGS_SQL, [start, end])
        invoices = by_key(store.con, INVOICE_SQL, [start, end])
    assert result.rows and all(r.provider == "OpenAI" for r in result.rows)
    for r in result.rows:
        key = ("openai", r.month)
        assert r.difference == logs[key] - invoices[key] < 0
        assert r.difference_pct == (logs[key] - invoices[key]) / invoices[key]
    assert "Largest gap: OpenAI" in result.summary()


def page(buckets: list[dict]) -> dict:
    return {"object": "page", "data": buckets, "has_more": False, "next_page": None}


def usage_pages(tmp: Path) -> Path:
    results = []
    for d in range(2):
        results.append({"object": "bucket", "start_time": 1730419200 + d * DAY, "end_time": 1730419200 + (d + 1) * DAY,
                        "results": [{"object": "organization.usage.completions.result", "input_tokens": 100000 * (d + 1),
                                     "input_cached_tokens": 20000, "output_tokens": 30000, "num_model_requests": 40 + d,
                                     "model": "gpt-4.1", "project_id": "proj_support", "batch": d == 1},
                                    {"object": "organization.usage.embeddings.result", "input_tokens": 5000,
                                     "num_model_requests": 7, "model": None, "project_id": "proj_search"},
                                    {"object": "organization.usage.images.result", "images": 3, "num_model_requests": 3,
                                     "model": "gpt-image-1", "project_id": "proj_support"}]})
    f = tmp / "usage.json"
    f.write_text(json.dumps(page(results)), encoding="utf-8")
    return f


def cost_pages(tmp: Path, amounts: list[str]) -> Path:
    buckets = [{"object": "bucket", "start_time": 1730419200 + d * DAY, "end_time": 1730419200 + (d + 1) * DAY,
                "results": [{"object": "organization.costs.result", "amount": {"value": f"__{d}__", "currency": "usd"},
                             "line_item": "gpt-4.1, input", "project_id": "proj_support"}]} for d in range(len(amounts))]
    text = json.dumps(page(buckets))
    for d, a in enumerate(amounts):
        text = text.replace(f'"__{d}__"', a)  # JSON numbers, exact as written
    f = tmp / "costs.json"
    f.write_text(text, encoding="utf-8")
    return f


def test_reconcile_from_usage_buckets_and_cost_pages(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_provider(db, "openai-usage", [usage_pages(tmp_path)])
    ingest_provider(db, "openai-costs", [cost_pages(tmp_path, ["0.25", "0.1234567"])])
    with open_store(db, read_only=True) as store:
        computed, requests = store.con.execute(
            "SELECT sum(cost), sum(requests) FROM llm_usage_buckets WHERE endpoint IN ('completions', 'embeddings')").fetchone()
        result = run_tool(store, "reconcile", {"period": "2024-11"})
    assert [(r.provider, r.month, r.basis) for r in result.rows] == [("OpenAI", date(2024, 11, 1), "usage buckets")]
    r = result.rows[0]
    invoiced = Decimal("0.25") + Decimal("0.1234567")
    assert (r.computed, r.invoiced, r.calls) == (computed, invoiced, requests)
    assert r.difference == computed - invoiced
    assert r.unpriced_calls == 2  # the two embeddings buckets name no model: priced unknown, never $0


def test_llm_spend_reads_usage_buckets(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_provider(db, "openai-usage", [usage_pages(tmp_path)])
    with open_store(db, read_only=True) as store:
        cost, calls, unknown = store.con.execute(
            "SELECT sum(cost), sum(requests), sum(requests) FILTER (WHERE cost IS NULL) FROM llm_usage_buckets "
            "WHERE endpoint IN ('completions', 'embeddings', 'moderations', 'messages')").fetchone()
        by_app = dict(store.con.execute(
            "SELECT project_id, sum(cost) FROM llm_usage_buckets WHERE endpoint IN ('completions', 'embeddings') "
            "GROUP BY 1").fetchall())
        result = run_tool(store, "llm_spend", {"period": "2024-11", "group_by": "app"})
        support = run_tool(store, "llm_spend", {"period": "2024-11", "app": "proj_support"})
    assert result.source == "llm_calls"  # not the bill fallback
    assert result.total.cost == cost and result.total.calls == calls and result.total.unknown_calls == unknown
    assert {r.key: r.cost for r in result.rows} == {"proj_support": by_app["proj_support"], "proj_search": None}
    assert "(no model: not grouped by model)" in result.unknown_models
    assert support.total.cost == by_app["proj_support"]


def test_call_logs_win_over_buckets_on_the_same_provider_day(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_provider(db, "openai-usage", [usage_pages(tmp_path)])  # 2024-11-01 and 2024-11-02
    log = tmp_path / "spend.json"  # one LiteLLM request on 2024-11-01 (OpenAI)
    log.write_text(json.dumps([{"request_id": "r1", "startTime": "2024-11-01T08:00:00Z", "model": "gpt-4.1",
                                "custom_llm_provider": "openai", "prompt_tokens": 1000, "completion_tokens": 10}]))
    ingest_provider(db, "litellm-spend", [log])
    with open_store(db, read_only=True) as store:
        call_cost = store.con.execute("SELECT sum(cost) FROM llm_calls").fetchone()[0]
        day2 = store.con.execute(
            "SELECT sum(cost), sum(requests) FROM llm_usage_buckets WHERE bucket_start >= ? "
            "AND endpoint IN ('completions', 'embeddings')", [datetime(2024, 11, 2)]).fetchone()
        result = run_tool(store, "llm_spend", {"period": "2024-11", "group_by": "day"})
    assert result.total.cost == call_cost + day2[0]
    assert result.total.calls == 1 + day2[1]
    days = {r.key: r.cost for r in result.rows}
    assert days["2024-11-01"] == call_cost and days["2024-11-02"] == day2[0]
