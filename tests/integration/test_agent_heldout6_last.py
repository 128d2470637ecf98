"""The offline planner on the demo store for the last misses of the blind held-out set heldout6 and of
fixcheck round h7 (issue 15): a running GPU cluster described by its GPUs, a resource description whose
words mostly match nothing, the smallest spender first, a month named twice in one question, what the
frontier-model classifier cost, a shortened or misspelt "utilization". Each is asked in words other than
the held-out and fixcheck questions'; expected figures come from SQL written here or from the demo's facts
file, never from the tools' output."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import duckdb_connect, usd
from tools.periods import find_period

OCTOBER = ("2026-10-01", "2026-11-01")
NOVEMBER = ("2026-11-01", "2026-11-25")


@pytest.mark.parametrize("q", ["what's the 8x h100 prod cluster costing us a day?",
                               "the live cluster with 8 H100s, daily burn?",
                               "cost per day of the h100 box w/ 8 gpus that hosts our llm"])
def test_a_running_cluster_described_by_its_gpus_is_that_resource(offline: Callable[..., Answer],
                                                                   facts: dict[str, Any], q: str) -> None:
    a = offline(q)
    cluster = facts["cluster_20k"]
    assert a.kind == "answer" and cluster["resource_name"] in a.text, a.text
    assert f"{usd(cluster['daily_cost'])}/day" in a.text, a.text


def test_its_week_is_the_run_rates_basis(offline: Callable[..., Answer], facts: dict[str, Any],
                                         sql: Callable[..., Any]) -> None:
    cluster = facts["cluster_20k"]
    week = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? "
               "AND ChargePeriodStart >= DATE '2026-11-18' AND ChargePeriodStart < DATE '2026-11-25'",
               cluster["resource_id"])
    a = offline("what does the 8xh100 inference fleet cost per week?")
    assert cluster["resource_name"] in a.text and usd(week) in a.text, a.text


def test_a_description_whose_words_mostly_match_nothing_names_no_resource(offline: Callable[..., Answer]) -> None:
    # "serving" alone is in several names; "osaka" and "gaudi" are in none: no resource is guessed
    a = offline("who owns the gaudi serving pod in osaka?")
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_a_weak_word_no_longer_picks_a_resource(offline: Callable[..., Answer], facts: dict[str, Any]) -> None:
    # it, and, does, cost: words of the question, not of a name (it had named recsys-ranker-a)
    a = offline("the 8xh100 serving cluster, who pays for it and what does it cost a day?")
    assert facts["cluster_20k"]["resource_name"] in a.text and "recsys-ranker-a" not in a.text.split("Other")[0], a.text


def _first_named(text: str, names: list[str]) -> str:
    found = [(text.find(n), n) for n in names if n in text]
    return min(found)[1]


def test_the_smallest_spender_comes_first(offline: Callable[..., Answer], sql: Callable[..., Any],
                                          demo_db: Any) -> None:
    con = duckdb_connect(str(demo_db), read_only=True)
    rows = con.execute("SELECT ProviderName, sum(BilledCost) AS c FROM focus_charges WHERE ChargePeriodStart >= ? "
                       "AND ChargePeriodStart < ? GROUP BY 1 ORDER BY c ASC", list(OCTOBER)).fetchall()
    con.close()
    a = offline("which cloud provider did we pay the least in october?")
    names = [r[0] for r in rows]
    assert "smallest first" in a.text and _first_named(a.text, names) == names[0], a.text
    assert usd(rows[0][1]) in a.text


def test_at_least_is_a_threshold_not_an_order(offline: Callable[..., Answer]) -> None:
    a = offline("which teams spent at least $200k in october?")
    assert "smallest first" not in a.text, a.text


def test_a_month_named_twice_is_one_period() -> None:
    assert find_period("spend so far in nov and the nov budget").unparsed == []
    assert find_period("spend in october vs november").compared_with is not None
    assert find_period("spend in oct, and what about dec").unparsed == ["dec"]


def test_spent_so_far_and_the_budget_of_the_same_month(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    spent = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'support' "
                "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", *NOVEMBER)
    budget = sql("SELECT amount FROM budgets WHERE scope_kind = 'team' AND scope_name = 'support' "
                 "AND period_start = DATE '2026-11-01'")
    a = offline("support - what have they burned through in november so far, plus their november budget?")
    assert usd(spent) in a.text and usd(budget) in a.text, a.text


def test_what_the_frontier_classifier_cost(offline: Callable[..., Answer], facts: dict[str, Any]) -> None:
    a = offline("is a frontier model doing our ticket classification? what did it run us in the last 30 days")
    fc = facts["frontier_classification"]
    assert fc["app"] in a.text and usd(fc["cost_last_30d"]) in a.text, a.text


@pytest.mark.parametrize("q", ["util of the idle support endpoint over 30 days?",
                               "support endpoint thats idle: gpu utlization in the last 30 days"])
def test_utilization_shortened_or_misspelt_is_read(offline: Callable[..., Answer], facts: dict[str, Any],
                                                   q: str) -> None:
    a = offline(q)
    util = Decimal(str(facts["idle_endpoint"]["avg_gpu_util_last_30d"])) * 100
    assert f"GPU {util.quantize(Decimal('0.01'))}% busy" in a.text, a.text
    assert not re.search(r"don't know '(?:util|utlization)'", a.text)


def test_a_new_question_the_previous_call_cannot_take_is_not_its_follow_up(offline: Callable[..., Answer],
                                                                           facts: dict[str, Any]) -> None:
    # found asking my own questions: after "who owns X?", a question with only a period the planner reads
    # re-ran the same lookup (who_owns takes no period) and gave X's owner and cost again
    first = offline("who's the owner of llm-serving-h100-a", session="own-q")
    assert facts["cluster_20k"]["team"] in first.text
    a = offline("which services got more expensive in november than october?", session="own-q")
    assert facts["cluster_20k"]["resource_name"] not in a.text, a.text


def _top_resources(demo_db: Any, start: str, end: str, n: int) -> list[tuple[str, Any]]:
    con = duckdb_connect(str(demo_db), read_only=True)
    try:
        return con.execute("SELECT ResourceId, sum(BilledCost) AS c FROM focus_charges WHERE ChargePeriodStart >= ? "
                           "AND ChargePeriodStart < ? AND ResourceId IS NOT NULL GROUP BY 1 ORDER BY c DESC LIMIT ?",
                           [start, end, n]).fetchall()
    finally:
        con.close()


def test_top_resources_and_who_owns_each_is_a_ranking_then_one_lookup_per_row(offline: Callable[..., Answer],
                                                                              demo_db: Any, facts: dict[str, Any]) -> None:
    top = _top_resources(demo_db, *OCTOBER, 2)
    a = offline("what were our 2 priciest resources in october, and who owns each?")
    tools = [c.tool for c in a.tool_calls]
    assert tools == ["spend", "who_owns", "who_owns"], a.text
    assert all(usd(cost) in a.text for _, cost in top), a.text
    assert [c.args["resource"] for c in a.tool_calls[1:]] == [rid for rid, _ in top]
    # the cluster is the second of October (facts: its owner is known from an ownership rule)
    assert top[1][0] == facts["cluster_20k"]["resource_id"] and facts["cluster_20k"]["owner"] in a.text


def test_the_single_biggest_resource_and_its_owner(offline: Callable[..., Answer], demo_db: Any) -> None:
    (rid, cost), = _top_resources(demo_db, "2026-11-16", "2026-11-23", 1)
    a = offline("which one resource cost the most last week + its owner?")
    assert [c.tool for c in a.tool_calls] == ["spend", "who_owns"] and a.tool_calls[1].args["resource"] == rid
    assert usd(cost) in a.text and "is owned by team" in a.text, a.text


def test_owners_of_a_ranking_of_teams_or_services_are_not_invented(offline: Callable[..., Answer]) -> None:
    a = offline("top 4 services last month and who owns them")
    assert a.kind != "answer" and "$" not in a.text and "per resource" in a.text, a.text


def test_the_owner_of_each_is_every_row_not_the_first(offline: Callable[..., Answer], demo_db: Any) -> None:
    top = _top_resources(demo_db, *OCTOBER, 3)
    a = offline("top 3 resources in october, with the owner of each")
    assert [c.args.get("resource") for c in a.tool_calls[1:]] == [rid for rid, _ in top], a.text


def test_per_day_on_average_is_the_average(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    # found asking my own questions: "per day on average" (that word order) gave the month's total only
    total = sql("SELECT sum(cost) FROM llm_calls WHERE provider = 'anthropic' AND ts >= ? AND ts < ?", *OCTOBER)
    a = offline("what did anthropic run us per day on average in october?")
    assert usd(Decimal(total) / 31) in a.text, a.text


def _changes(demo_db: Any, column: str, cur: tuple[str, str], prev: tuple[str, str]) -> dict[str, Decimal]:
    con = duckdb_connect(str(demo_db), read_only=True)
    try:
        rows = con.execute(
            f"SELECT {column}, sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?) "
            f"- sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?) "
            f"FROM focus_charges WHERE {column} IS NOT NULL GROUP BY 1", [*cur, *prev]).fetchall()
    finally:
        con.close()
    return {k: Decimal(v) for k, v in rows if v is not None}


def test_which_ones_got_cheaper_lists_the_decreases_largest_first(offline: Callable[..., Answer], demo_db: Any) -> None:
    # found asking my own questions: it got the help text (and after a who_owns turn, that turn's answer again)
    changes = _changes(demo_db, "ServiceName", ("2026-11-01", "2026-11-25"), ("2026-10-01", "2026-10-25"))
    down = sorted((v, k) for k, v in changes.items() if v < 0)
    a = offline("so which services came down in november compared to october?")
    assert "Decreases by service vs the same days of October 2026" in a.text, a.text
    line = a.text.split("\n")[0]
    assert _first_named(line, [k for _, k in down]) == down[0][1] and usd(-down[0][0]) in line, a.text


def test_top_movers_rank_by_the_size_of_the_change(offline: Callable[..., Answer], demo_db: Any) -> None:
    changes = _changes(demo_db, "ProviderName", OCTOBER, ("2026-09-01", "2026-10-01"))
    biggest = max(changes, key=lambda k: abs(changes[k]))
    a = offline("october's top movers by provider?")
    line = a.text.split("\n")[0]
    assert line.startswith("Biggest changes by provider vs September 2026") and _first_named(line, list(changes)) == biggest
    assert usd(abs(changes[biggest])) in line, a.text


def test_movers_against_a_period_that_is_not_the_one_before_are_asked_back(offline: Callable[..., Answer]) -> None:
    a = offline("which teams grew in november vs september?")
    assert a.kind != "answer" and "$" not in a.text and "just before" in a.text, a.text


def test_a_misspelt_which_and_month_over_month_wording_rank_the_rise(offline: Callable[..., Answer],
                                                                      demo_db: Any) -> None:
    changes = _changes(demo_db, "ServiceName", OCTOBER, ("2026-09-01", "2026-10-01"))
    up = sorted(((v, k) for k, v in changes.items() if v > 0), reverse=True)
    a = offline("whcih service rose the most, oct over sept?")
    line = a.text.split("\n")[0]
    assert line.startswith("Increases by service vs September 2026") and _first_named(line, [k for _, k in up]) == up[0][1]
    assert find_period("spend oct over sept").compared_with == "sept"


def test_a_rise_against_a_period_with_no_data_gives_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("which region increased the most in Q3 compared to Q2?")   # Q3 holds data, Q2 none
    assert a.kind != "answer" and "$" not in a.text and "no billing data" in a.text, a.text


def test_an_owner_clause_with_chatter_after_it(offline: Callable[..., Answer], demo_db: Any) -> None:
    (rid, cost), = _top_resources(demo_db, *OCTOBER, 1)
    a = offline("largest single resource in october n who owns it? want to ping them")
    assert [c.tool for c in a.tool_calls] == ["spend", "who_owns"] and a.tool_calls[1].args["resource"] == rid, a.text
    assert usd(cost) in a.text
