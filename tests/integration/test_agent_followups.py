"""The offline planner on the demo store on disk, for what people say beyond a plain question: requests to
change things (declined), pronoun follow-ups, corrections, typos in the words that pick a tool, names that
contain tool words, arguments carried into the call, and figures derived from tool results.
Expected figures come from `demo_facts` or SQL written here; never from the tools' own output.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from agent.actions import action_request
from agent.answer import Answer
from agent.entities import normalise
from agent.typos import correction
from tests.conftest import usd

D30 = ("2026-10-26", "2026-11-25")
LAST_MONTH = ("2026-10-01", "2026-11-01")
LAST_WEEK = ("2026-11-16", "2026-11-23")


def tools(a: Answer) -> list[str]:
    return [c.tool for c in a.tool_calls]


# -- requests to change things ------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "read_along"), [
    ("delete all untagged resources", "tag_audit"),
    ("stop the idle support-sentiment-l40s endpoint now", "waste"),
    ("terminate all the zombie jobs for me", "waste"),
    ("set the support team's budget to $1M", "budgets"),
    ("please kill the zombies", "waste"),
    ("DROP TABLE focus_charges;", None),
    ("change the owner tag of llm-serving-h100-a to me", None),
])
def test_a_request_to_change_something_is_declined(question: str, read_along: str | None,
                                                    offline: Callable[..., Answer]) -> None:
    a = offline(question)
    assert a.kind == "refusal", a.text
    assert "read-only" in a.text and a.text.startswith("I can't")
    assert not re.search(r"\b(?:deleted|stopped|terminated|updated|changed|has been)\b", a.text)
    assert tools(a) == ([read_along] if read_along else [])
    assert all(c.ok for c in a.tool_calls)


def test_the_refusal_shows_what_the_action_would_save(offline: Callable[..., Answer], facts: dict[str, Any]) -> None:
    a = offline("stop the idle support-sentiment-l40s endpoint now")
    idle = facts["idle_endpoint"]
    assert a.tool_calls[0].args["kinds"] == ["idle_endpoint"]
    assert idle["name"] in a.text and f"{usd(idle['monthly_cost'])}/month" in a.text


@pytest.mark.parametrize("question", [
    "what would stopping the idle endpoint save?", "should we delete untagged resources?", "drop in spend last week?",
    "change in cost by team last month", "update on the search budget?", "set up a weekly report",
    "show me untagged spend", "scale it to 10x",
])
def test_questions_about_actions_are_not_requests(question: str) -> None:
    assert action_request(normalise(question)) is None


# -- pronoun follow-ups and corrections ---------------------------------------------------------------------

def test_who_owns_it_after_a_charge(offline: Callable[..., Answer], facts: dict[str, Any]) -> None:
    charge = facts["charge_17k"]
    first = offline("what was the big $17K charge last week?", session="fu-charge")
    assert tools(first) == ["explain_charge"] and usd(charge["amount"]) in first.text
    second = offline("who owns it?", session="fu-charge")
    assert tools(second) == ["who_owns"]
    assert second.tool_calls[0].args == {"resource": charge["resource_id"]}
    assert f"owned by team {charge['team']}" in second.text


def test_how_much_did_it_cost_after_who_owns(offline: Callable[..., Answer], facts: dict[str, Any],
                                              sql: Callable[..., Any]) -> None:
    cluster = facts["cluster_20k"]
    offline("who owns llm-serving-h100-a?", session="fu-cluster")
    a = offline("how much did it cost last month?", session="fu-cluster")
    assert tools(a) == ["spend"]
    assert a.tool_calls[0].args["resource"] == cluster["resource_id"]
    month = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? AND ChargePeriodStart >= ? "
                "AND ChargePeriodStart < ?", cluster["resource_id"], *LAST_MONTH)
    assert usd(month) in a.text


def test_they_and_them_after_a_list_rerun_the_list(offline: Callable[..., Answer], facts: dict[str, Any]) -> None:
    z = facts["zombie_jobs"]
    first = offline("any zombie jobs?", session="fu-zombies")
    second = offline("how much do they cost per month?", session="fu-zombies")
    third = offline("which teams own them?", session="fu-zombies")
    for a in (second, third):
        assert tools(a) == ["waste"] and a.tool_calls[0].args == first.tool_calls[0].args
    assert usd(z["monthly_cost"]) in second.text
    assert all(t in third.text for t in z["teams"]) and not re.search(r"(?<![\w-])support(?![\w-])", third.text)


def test_it_after_several_things_answers_for_the_first_few(offline: Callable[..., Answer]) -> None:
    first = offline("anything unusual last week?", session="fu-anomaly")
    assert tools(first) == ["anomalies"]
    a = offline("which team owns it?", session="fu-anomaly")
    assert tools(a) and set(tools(a)) == {"who_owns"} and 1 < len(a.tool_calls) <= 3
    assert a.text.startswith("The previous answer listed")


def test_estimate_follow_ups_change_the_numbers(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    per_gpu_hour = Decimal(str(sql("SELECT on_demand_usd_per_hour / gpu_count FROM gpu_prices WHERE gpu_type = 'H100' "
                                   "AND region = 'us-east-1' AND provider = 'aws' LIMIT 1")))
    offline("estimate 64 H100s for 72 hours in us-east-1", session="fu-estimate")
    a = offline("and with 32 GPUs?", session="fu-estimate")
    assert a.tool_calls[0].args["gpu_count"] == 32 and a.tool_calls[0].args["gpu_type"] == "H100"
    assert usd(32 * 72 * per_gpu_hour) in a.text
    b = offline("what about for 48 hours?", session="fu-estimate")
    assert b.tool_calls[0].args["gpu_count"] == 32 and Decimal(b.tool_calls[0].args["hours"]) == 48
    assert usd(32 * 48 * per_gpu_hour) in b.text


def test_i_meant_reasks_with_the_corrected_name(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    first = offline("how much did team recsyss spend last week?", session="fu-meant")
    assert first.kind == "did_you_mean" and "recsys" in first.suggestions
    a = offline("I meant recsys", session="fu-meant")
    assert tools(a) == ["spend"] and a.tool_calls[0].args == {"period": "last week", "team": "recsys"}
    week = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'recsys' AND ChargePeriodStart >= ? "
               "AND ChargePeriodStart < ?", *LAST_WEEK)
    assert usd(week) in a.text


# -- typos, names with tool words, arguments ---------------------------------------------------------------

@pytest.mark.parametrize(("typo", "word"), [("spedn", "spend"), ("chrage", "charge"), ("idel", "idle"),
                                            ("untaged", "untagged"), ("ownz", "owns"), ("mcuh", "much")])
def test_typos_of_intent_words_are_read_as_the_word(typo: str, word: str) -> None:
    assert correction(typo) == word


@pytest.mark.parametrize("word", ["production", "most", "post", "spent", "idea", "user", "serch", "oracel", "march",
                                  "speed", "change", "whole"])
def test_real_words_and_names_are_not_corrected(word: str) -> None:
    assert correction(word) is None


def test_a_typo_question_is_answered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("how mcuh did we spedn last month")
    assert tools(a) == ["spend"]
    month = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                *LAST_MONTH)
    assert usd(month) in a.text


def test_a_resource_named_llm_is_not_an_llm_question(offline: Callable[..., Answer], facts: dict[str, Any]) -> None:
    a = offline("which job created the llm-serving-h100-a cluster?")
    assert tools(a) == ["who_owns"]
    assert facts["cluster_20k"]["created_by_job"] in a.text


def test_provider_spend_from_call_logs_is_not_zero(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("claude spend last 30 days")
    assert tools(a) == ["llm_spend"]
    cost = sql("SELECT sum(cost) FROM llm_calls WHERE provider = 'anthropic' AND ts >= ? AND ts < ?", *D30)
    assert Decimal(cost) > 0 and usd(cost) in a.text and "$0.00 over 0 calls" not in a.text


def test_a_filter_matching_nothing_says_so(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    assert sql("SELECT count(*) FROM llm_calls WHERE app = 'support-bot' AND provider = 'anthropic'") == 0
    a = offline("anthropic spend of the support-bot app last 30 days")
    assert tools(a) == ["llm_spend"]
    assert "No LLM calls match" in a.text and "$0.00" not in a.text


def test_trim_percent_is_passed(offline: Callable[..., Answer], facts: dict[str, Any]) -> None:
    p = facts["prompt_800"]
    a = offline("What would trimming the support-bot system prompt by 25% save?")
    assert tools(a) == ["prompt_audit"] and a.tool_calls[0].args["trim_pct"] == 25
    assert usd(Decimal(p["daily_prefix_cost"]) * Decimal("0.25") * 30) in a.text


def test_a_catalog_model_to_move_to_gets_its_saving(offline: Callable[..., Answer], sql: Callable[..., Any],
                                                    facts: dict[str, Any]) -> None:
    f = facts["frontier_classification"]
    a = offline(f"How much would moving {f['app']} from {f['model']} to {f['cheaper_model']} save per month?")
    assert a.kind == "answer" and tools(a) == ["prompt_audit"]
    saving = sql("""
        WITH p AS (SELECT input_cost_per_token AS i, output_cost_per_token AS o, cache_read_input_token_cost AS c
                   FROM llm_prices WHERE model = ?)
        SELECT (sum(l.cost) - sum((l.input_tokens - l.cached_input_tokens) * p.i + l.cached_input_tokens * p.c
                                  + l.output_tokens * p.o))
        FROM llm_calls l, p WHERE l.app = ? AND l.ts >= ? AND l.ts < ?""", f["cheaper_model"], f["app"], *D30)
    m = re.search(rf"to {re.escape(f['cheaper_model'])} would save \$([\d,]+\.\d\d)/month", a.text)
    assert m, a.text
    assert abs(Decimal(m.group(1).replace(",", "")) - Decimal(str(saving))) <= Decimal(str(saving)) * Decimal("0.05")


# -- derived figures ---------------------------------------------------------------------------------------

def test_cost_per_single_call(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("Are we paying $0.50 or $0.05 per answer on search-answers?")
    assert tools(a) == ["unit_costs"]
    cost = Decimal(str(sql("SELECT sum(cost) FROM llm_calls WHERE app = 'search-answers' AND ts >= ? AND ts < ?", *D30)))
    calls = sql("SELECT sum(calls) FROM llm_calls WHERE app = 'search-answers' AND ts >= ? AND ts < ?", *D30)
    assert f"{usd(cost / calls, 4)} per call" in a.text


def test_which_team_has_the_most_zombies(offline: Callable[..., Answer], sql: Callable[..., Any],
                                         facts: dict[str, Any]) -> None:
    ids = facts["zombie_jobs"]["job_ids"]
    marks = ", ".join("?" for _ in ids)
    top = sql(f"SELECT team FROM gpu_jobs WHERE job_id IN ({marks}) GROUP BY team ORDER BY count(*) DESC, team LIMIT 1",
              *ids)
    n = sql(f"SELECT count(*) FROM gpu_jobs WHERE job_id IN ({marks}) AND team = ?", *ids, top)
    a = offline("which team has the most zombie jobs?")
    assert tools(a) == ["waste"]
    assert a.text.startswith(f"By team, most first (items of this answer, their monthly cost added): {top} {n} (")


def test_a_model_family_by_team_is_added_up(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("What did we spend on GPT-4-class models last month, by team?")
    models = [c.args["model"] for c in a.tool_calls]
    assert set(tools(a)) == {"llm_spend"} and len(models) > 1
    marks = ", ".join("?" for _ in models)
    teams = sql(f"SELECT list(DISTINCT team ORDER BY team) FROM llm_calls WHERE model IN ({marks}) AND ts >= ? "
                "AND ts < ?", *models, *LAST_MONTH)
    head = a.text.split("\n", 1)[0]
    assert teams
    for team in teams:
        cost = sql(f"SELECT sum(cost) FROM llm_calls WHERE model IN ({marks}) AND team = ? AND ts >= ? AND ts < ?",
                   *models, team, *LAST_MONTH)
        assert f"{team} {usd(cost)}" in head
