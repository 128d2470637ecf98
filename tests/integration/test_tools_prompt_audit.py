"""prompt_audit: the 800-token prompt x 500K calls/day, the frontier model on classification, the app
without max_tokens; every saving recomputed here from the store's rows and the price catalog."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from test_tools_support import focus_db, focus_store, mini_db, mini_store  # noqa: F401 - fixtures

from knowledge.store import Store
from tools.contract import FinopsError, NoDataError
from tools.prompt_audit import PromptAuditResult
from tools.registry import run_tool

AS_OF = date(2026, 11, 25)
LAST_30 = [datetime.combine(AS_OF - timedelta(days=30), datetime.min.time()), datetime.combine(AS_OF, datetime.min.time())]


def _price(store: Store, model: str) -> dict:
    cols = ["provider", "inp", "outp", "cache", "tier"]
    row = store.con.execute("SELECT provider, input_cost_per_token, output_cost_per_token, cache_read_input_token_cost, "
                            "tier FROM llm_prices WHERE model = ?", [model]).fetchone()
    return dict(zip(cols, row))


@pytest.fixture
def audit(demo_store: Store) -> PromptAuditResult:
    return run_tool(demo_store, "prompt_audit", {"trim_pct": 20, "top": 50})


def test_the_800_token_prompt(demo_store: Store, demo_facts: dict, audit: PromptAuditResult) -> None:
    fact = demo_facts["prompt_800"]
    row = next(r for r in audit.rows if r.prompt_id == fact["prompt_id"])
    calls = demo_store.con.execute("SELECT sum(calls) FROM llm_calls WHERE prompt_id = ? AND ts >= ? AND ts < ?",
                                   [fact["prompt_id"]] + LAST_30).fetchone()[0]
    assert row.calls_per_day == Decimal(calls) / 30 == fact["calls_per_day"]
    assert row.system_prompt_tokens == fact["system_prompt_tokens"]
    assert row.prefix_tokens_per_day == fact["daily_prefix_tokens"]
    assert row.prefix_cost_per_day == Decimal(fact["daily_prefix_cost"])
    p = _price(demo_store, fact["model"])
    assert Decimal(fact["input_cost_per_token"]) == p["inp"]
    savings = {s.kind: s for s in row.savings}
    spt, per_day = fact["system_prompt_tokens"], Decimal(fact["calls_per_day"])
    assert savings["trim"].monthly == Decimal(spt) * Decimal("0.20") * per_day * p["inp"] * 30
    assert savings["caching"].monthly == Decimal(spt) * per_day * (p["inp"] - p["cache"]) * 30
    assert "800 tokens × 20% = 160 tokens × 500,000 calls/day" in savings["trim"].arithmetic
    assert "× 30 days" in savings["caching"].arithmetic
    text = audit.summary()
    assert "800-token system prompt runs 500,000 times a day" in text
    assert f"costing ${Decimal(fact['daily_prefix_cost']):,.2f}/day" in text


def test_frontier_model_on_classification(demo_store: Store, demo_facts: dict, audit: PromptAuditResult) -> None:
    fact = demo_facts["frontier_classification"]
    row = next(r for r in audit.rows if r.prompt_id == fact["prompt_id"])
    assert (row.task_type, row.model, row.tier) == (fact["task_type"], fact["model"], fact["tier"])
    saving = next(s for s in row.savings if s.kind == "model_tier")
    current, suggested = _price(demo_store, row.model), _price(demo_store, row.suggested_model)
    assert suggested["provider"] == current["provider"] and suggested["tier"] != "frontier"
    # the saving, recomputed from the call logs and the catalog
    inp, cached, out = demo_store.con.execute(
        "SELECT sum(input_tokens), sum(cached_input_tokens), sum(output_tokens) FROM llm_calls "
        "WHERE prompt_id = ? AND ts >= ? AND ts < ?", [fact["prompt_id"]] + LAST_30).fetchone()

    def monthly(p: dict) -> Decimal:
        cache = p["cache"] if p["cache"] is not None else p["inp"]
        return ((inp - cached) * p["inp"] + cached * cache + out * p["outp"]) / 30 * 30

    assert saving.monthly == pytest.approx(monthly(current) - monthly(suggested), abs=Decimal("0.000001"))
    # the suggestion is the cheapest adequate general chat model of that provider in the catalog
    cheaper = demo_store.con.execute(
        "SELECT model, input_cost_per_token, output_cost_per_token, cache_read_input_token_cost, tier FROM llm_prices "
        "WHERE provider = ? AND mode = 'chat' AND tier <> 'frontier' AND input_cost_per_token IS NOT NULL",
        [current["provider"]]).fetchall()
    best = min(monthly({"inp": i, "outp": o, "cache": c}) for m, i, o, c, t in cheaper
               if o is not None and not any(x in m for x in ("audio", "search", "preview", "ft:", "realtime")))
    assert monthly(suggested) == best
    # the demo's own cheaper model is offered too (same family)
    assert fact["cheaper_model"] in {o.model for o in row.model_options}
    assert "runs a classification task on frontier model gpt-4o" in audit.summary()


def test_app_without_max_tokens(demo_store: Store, demo_facts: dict, audit: PromptAuditResult) -> None:
    fact = demo_facts["no_max_tokens_app"]
    row = next(r for r in audit.rows if r.app == fact["app"])
    p50, p95, n = demo_store.con.execute(
        "SELECT quantile_cont(output_tokens, 0.5), quantile_cont(output_tokens, 0.95), sum(calls) FROM llm_calls "
        "WHERE app = ? AND calls = 1 AND max_tokens IS NULL AND ts >= ? AND ts < ?", [fact["app"]] + LAST_30).fetchone()
    assert row.calls_without_max_tokens == n
    assert float(row.median_output) == pytest.approx(p50, abs=0.05) and float(row.p95_output) == pytest.approx(p95, abs=0.05)
    assert row.p95_output >= 2 * row.median_output
    cap = math.ceil(p95 / 100) * 100
    assert row.suggested_max_tokens == cap
    over = demo_store.con.execute(
        "SELECT sum(greatest(output_tokens - ?, 0)) FROM llm_calls WHERE app = ? AND max_tokens IS NULL "
        "AND ts >= ? AND ts < ?", [cap, fact["app"]] + LAST_30).fetchone()[0]
    saving = next(s for s in row.savings if s.kind == "max_tokens")
    assert saving.monthly == Decimal(over) / 30 * _price(demo_store, fact["model"])["outp"] * 30
    assert f"{fact['app']} (prompt" in audit.summary() and "sets no max_tokens" in audit.summary()


def test_filters_and_trim_argument(demo_store: Store, demo_facts: dict) -> None:
    fact = demo_facts["prompt_800"]
    r = run_tool(demo_store, "prompt_audit", {"app": fact["app"], "trim_pct": 50})
    assert [row.prompt_id for row in r.rows] == [fact["prompt_id"]]
    trim = next(s for s in r.rows[0].savings if s.kind == "trim")
    assert trim.monthly == Decimal(fact["daily_prefix_cost"]) * Decimal("0.5") * 30
    with pytest.raises(FinopsError, match="trim_pct"):
        run_tool(demo_store, "prompt_audit", {"trim_pct": 0})


def test_mini_store_prompts(mini_store: Store) -> None:
    r = run_tool(mini_store, "prompt_audit", {})
    router = next(row for row in r.rows if row.prompt_id == "p-triage")
    assert router.suggested_model is not None and any(s.kind == "model_tier" for s in router.savings)
    writer = next(row for row in r.rows if row.prompt_id == "p-writer")
    no_max = mini_store.con.execute(
        "SELECT sum(calls) FROM llm_calls WHERE prompt_id = 'p-writer' AND max_tokens IS NULL "
        "AND ts >= '2026-01-30' AND ts < '2026-03-01'").fetchone()[0]
    assert writer.output_basis == "per call" and writer.calls_without_max_tokens == no_max


def test_no_call_logs(focus_store: Store) -> None:
    with pytest.raises(NoDataError, match="holds no LLM calls"):
        run_tool(focus_store, "prompt_audit", {"period": "2024-09"})
