"""Who owns "the most expensive storage bucket", "our priciest db", "the biggest cluster": the costliest resource
of that kind over who_owns' window (the 30 days before the data's end), found by the tool and reached by the
offline planner. A total of the whole kind is never the answer (it was: "what does our most expensive storage
bucket cost a month?" got the Storage category's 30-day total). Asked in words other than the held-out sets';
expected resources, teams and figures come from SQL written here over the demo store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from knowledge.store import Store
from tests.conftest import usd
from tools.contract import UnknownNameError
from tools.registry import run_tool
from tools.who_owns import WhoOwnsResult

WINDOW = ("2026-10-26", "2026-11-25")      # the demo's data ends 2026-11-24: the 30 days before 2026-11-25
CATEGORY = {"storage bucket": "Storage", "database": "Databases", "cluster": "Compute"}


def costliest(sql: Callable[..., Any], category: str) -> tuple[str, Any]:
    rid = sql("SELECT ResourceId FROM focus_charges WHERE ServiceCategory = ? AND ResourceId IS NOT NULL "
              "AND ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP) "
              "GROUP BY ResourceId ORDER BY sum(BilledCost) DESC, ResourceId LIMIT 1", category, *WINDOW)
    cost = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? "
               "AND ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP)", rid, *WINDOW)
    return rid, cost


@pytest.mark.parametrize(("text", "kind"), [("the most expensive storage bucket", "storage bucket"),
                                            ("our costliest database", "database"),
                                            ("the largest cluster", "cluster")])
def test_the_tool_finds_the_costliest_resource_of_the_kind(demo_store: Store, sql: Callable[..., Any],
                                                           text: str, kind: str) -> None:
    rid, cost = costliest(sql, CATEGORY[kind])
    r = run_tool(demo_store, "who_owns", {"resource": text})
    assert isinstance(r, WhoOwnsResult)
    assert r.resource.resource_id == rid and r.resource.cost_last_30d == cost
    team = sql("SELECT min(x_team) FROM charges_allocated WHERE ResourceId = ?", rid)
    assert r.team == team
    assert "the highest cost in" in r.resource.matched_by and usd(cost) in r.summary()


@pytest.mark.parametrize("text", ["the most expensive hovercraft", "the priciest payments bucket"])
def test_a_superlative_of_words_no_resource_holds_names_none(demo_store: Store, text: str) -> None:
    with pytest.raises(UnknownNameError):
        run_tool(demo_store, "who_owns", {"resource": text})


def test_the_db_we_run_is_a_database_not_a_training_run(demo_store: Store, sql: Callable[..., Any]) -> None:
    rid, _ = costliest(sql, "Databases")
    r = run_tool(demo_store, "who_owns", {"resource": "the priciest db we run"})
    assert r.resource.resource_id == rid


@pytest.mark.parametrize("q", ["what's our most expensive storage bucket costing us?",
                               "how much does the costliest storage bucket run us each month?",
                               "priciest storage bucket: who pays for it?"])
def test_the_planner_asks_who_owns_never_a_total_of_the_kind(offline: Callable[..., Answer], sql: Callable[..., Any],
                                                             q: str) -> None:
    rid, cost = costliest(sql, "Storage")
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceCategory = 'Storage' "
                "AND ChargePeriodStart >= CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP)", *WINDOW)
    a = offline(q)
    assert a.kind == "answer" and [c.tool for c in a.tool_calls] == ["who_owns"], a.text
    assert rid in a.text and usd(cost) in a.text and usd(total) not in a.text, a.text
