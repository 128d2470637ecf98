"""llm_spend: tokens and cost by model/app/..., unit costs, cached share, trend; unknown prices."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from test_tools_support import focus_db, focus_store, mini_db, mini_store  # noqa: F401 - fixtures

from knowledge.store import Store
from tools.contract import NoDataError, UnknownNameError
from tools.llm_spend import LlmSpendResult
from tools.registry import run_tool

AS_OF = date(2026, 11, 25)
LAST_30 = [datetime.combine(AS_OF - timedelta(days=30), datetime.min.time()), datetime.combine(AS_OF, datetime.min.time())]


def test_by_model_matches_independent_sql(demo_store: Store) -> None:
    r = run_tool(demo_store, "llm_spend", {"group_by": "model", "top": 20})
    assert isinstance(r, LlmSpendResult) and r.source == "llm_calls"
    expected = {m: (calls, cost, inp, cached, out) for m, calls, cost, inp, cached, out in demo_store.con.execute(
        "SELECT model, sum(calls), sum(cost), sum(input_tokens), sum(cached_input_tokens), sum(output_tokens) "
        "FROM llm_calls WHERE ts >= ? AND ts < ? GROUP BY model", LAST_30).fetchall()}
    assert {row.key for row in r.rows} == set(expected)
    for row in r.rows:
        calls, cost, inp, cached, out = expected[row.key]
        assert (row.calls, row.cost, row.input_tokens, row.cached_input_tokens, row.output_tokens) == (calls, cost, inp, cached, out)
        assert row.cost_per_1k_calls == cost / calls * 1000
        assert row.cost_per_1m_tokens == cost / (inp + out) * 1_000_000
        assert row.cached_share == Decimal(cached) / Decimal(inp)
    assert r.total.cost == sum(v[1] for v in expected.values())
    prev = demo_store.con.execute("SELECT sum(cost) FROM llm_calls WHERE ts >= ? AND ts < ?",
                                  [LAST_30[0] - timedelta(days=30), LAST_30[0]]).fetchone()[0]
    assert r.previous_cost == prev and r.total.change == r.total.cost - prev
    assert len(r.daily) == 30 and sum(d.cost for d in r.daily) == r.total.cost


def test_cost_per_1k_calls_of_the_support_bot(demo_store: Store, demo_facts: dict) -> None:
    app = demo_facts["prompt_800"]["app"]
    r = run_tool(demo_store, "llm_spend", {"group_by": "app", "app": app.upper()})
    assert r.filters == {"app": app}
    calls, cost = demo_store.con.execute(
        "SELECT sum(calls), sum(cost) FROM llm_calls WHERE app = ? AND ts >= ? AND ts < ?", [app] + LAST_30).fetchone()
    assert r.total.cost_per_1k_calls == cost / calls * 1000
    assert "per 1K calls" in r.summary()


def test_by_team_and_customer(demo_store: Store) -> None:
    r = run_tool(demo_store, "llm_spend", {"group_by": "customer", "top": 5})
    other = next(row for row in r.rows if row.is_other)
    known = demo_store.con.execute(
        "SELECT count(DISTINCT customer_id) FROM llm_calls WHERE ts >= ? AND ts < ? AND customer_id IS NOT NULL",
        LAST_30).fetchone()[0]
    assert other.folded == known - 5
    assert any(row.key == "(none)" for row in r.rows)  # aggregate rows carry no customer: their own line


def test_unknown_price_is_unknown_not_zero(mini_store: Store) -> None:
    r = run_tool(mini_store, "llm_spend", {"group_by": "model"})
    house = next(row for row in r.rows if row.key == "house-model-1")
    assert house.cost is None and house.unknown_calls == 5 and house.cost_per_1k_calls is None
    assert r.unknown_models == ["house-model-1"]
    text = r.summary()
    assert "at least" in text and "unknown for 5 calls" in text and "house-model-1 $0.00" not in text
    assert ["house-model-1"] == [row[0] for row in r.table().rows if row[5] == "unknown"]


def test_unknown_model_suggests(demo_store: Store) -> None:
    with pytest.raises(UnknownNameError, match=r"unknown model 'gpt-4.1-mni'; did you mean 'gpt-4.1-mini'"):
        run_tool(demo_store, "llm_spend", {"model": "gpt-4.1-mni"})


def test_focus_sample_falls_back_to_the_bill(focus_store: Store) -> None:
    r = run_tool(focus_store, "llm_spend", {"period": "2024-09", "group_by": "provider"})
    assert r.source == "billing" and r.total.calls is None
    expected = focus_store.con.execute(
        "SELECT sum(BilledCost) FROM focus_charges WHERE ServiceCategory = 'AI and Machine Learning'").fetchone()[0]
    assert r.total.cost == expected
    assert "no LLM call logs" in r.summary() and "tokens unknown" in r.summary()
    with pytest.raises(NoDataError, match="needs LLM call logs"):
        run_tool(focus_store, "llm_spend", {"period": "2024-09", "group_by": "customer"})


def test_period_without_calls(demo_store: Store) -> None:
    with pytest.raises(NoDataError, match="no LLM calls for June 2026 .*holds data from 2026-08-27"):
        run_tool(demo_store, "llm_spend", {"period": "2026-06"})
