"""The real agent graph with the offline planner on the demo store on disk: the questions people bring
(the README's questions), phrased several ways each. Expected figures come from `demo_facts` or an independent SQL
query written here, formatted here; never from the tools' own output.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.answer import Answer
from agent.service import ask
from tests.conftest import usd

AS_OF = date(2026, 11, 25)          # tests/conftest.py DEMO_AS_OF
LAST_WEEK = ("2026-11-16", "2026-11-23")
LAST_MONTH = ("2026-10-01", "2026-11-01")


@pytest.fixture(scope="module")
def offline(demo_db: Path, monkeypatch_module: pytest.MonkeyPatch) -> Callable[..., Answer]:
    def run(question: str, session: str | None = None) -> Answer:
        return ask(question, db=demo_db, session_id=session, planner="offline")

    return run


@pytest.fixture(scope="module")
def monkeypatch_module() -> pytest.MonkeyPatch:
    mp = pytest.MonkeyPatch()
    mp.delenv("OPENAI_API_KEY", raising=False)
    mp.delenv("FINOPS_TODAY", raising=False)
    yield mp
    mp.undo()


def called(answer: Answer) -> list[str]:
    return [c.tool for c in answer.tool_calls]


@dataclass(frozen=True)
class Case:
    tool: str
    phrasings: tuple[str, ...]
    expect: Callable[[Answer, dict[str, Any], Callable[..., Any]], None]


# -- expectations --------------------------------------------------------------------------------------------

def owner_of_cluster(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    c = f["cluster_20k"]
    assert f"team {c['team']}" in a.text and c["owner"] in a.text
    assert usd(c["monthly_cost"]) in a.text


def charge_17k(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    c = f["charge_17k"]
    assert usd(c["amount"]) in a.text and c["date"] in a.text and c["resource_id"] in a.text


def spend_last_month_by_team(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                *LAST_MONTH)
    search = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' AND ChargePeriodStart >= ? "
                 "AND ChargePeriodStart < ?", *LAST_MONTH)
    assert a.tool_calls[0].args.get("group_by", "team") == "team"
    assert usd(total) in a.text and f"search {usd(search)}" in a.text


def search_last_week(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' AND ChargePeriodStart >= ? "
                "AND ChargePeriodStart < ?", *LAST_WEEK)
    assert a.tool_calls[0].args.get("team") == "search"
    assert usd(total) in a.text


def llm_by_team_last_month(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(cost) FROM llm_calls WHERE ts >= ? AND ts < ?", *LAST_MONTH)
    support = sql("SELECT sum(cost) FROM llm_calls WHERE team = 'support' AND ts >= ? AND ts < ?", *LAST_MONTH)
    assert usd(total) in a.text and f"support {usd(support)}" in a.text


def gpt4_class_last_month(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    models = {c.args.get("model") for c in a.tool_calls}
    assert {"gpt-4.1", "gpt-4o"} <= models and not any("mini" in (m or "") for m in models)
    for model in ("gpt-4.1", "gpt-4o"):
        cost = sql("SELECT sum(cost) FROM llm_calls WHERE model = ? AND ts >= ? AND ts < ?", model, *LAST_MONTH)
        assert usd(cost) in a.text
    assert all(c.args.get("group_by") == "team" for c in a.tool_calls)


def untagged_90_days(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    u = f["untagged_share"]
    assert usd(u["untagged_cost"]) in a.text and usd(u["total_cost"]) in a.text
    assert f"{Decimal(u['share']) * 100:.1f}%" in a.text


def h100_estimate(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    per_instance = sql("SELECT on_demand_usd_per_hour FROM gpu_prices WHERE instance_type = 'p5.48xlarge' "
                       "AND region = 'us-east-1'")
    expected = Decimal(64) * Decimal(72) * Decimal(per_instance) / Decimal(8)
    assert a.tool_calls[0].args["gpu_type"] == "H100" and a.tool_calls[0].args["gpu_count"] == 64
    assert usd(expected) in a.text


def ai_by_model(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                "2026-10-26", AS_OF.isoformat())
    assert a.tool_calls[0].args.get("group_by") == "model"
    assert usd(total) in a.text


def idle_endpoint(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    e = f["idle_endpoint"]
    assert "idle_endpoint" in a.tool_calls[0].args["kinds"]
    assert e["name"] in a.text and usd(e["monthly_cost"]) in a.text


def zombies(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    z = f["zombie_jobs"]
    assert a.tool_calls[0].args["kinds"] == ["zombie_job"]
    assert f"{z['count']} items" in a.text and usd(z["monthly_cost"]) in a.text


def dev_like_prod(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    r = f["research_to_prod"]
    assert a.tool_calls[0].args["kinds"] == ["dev_like_prod"]
    assert r["endpoint_id"].removeprefix("ep-") in a.text and usd(r["monthly_cost"]) in a.text


def replication(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    r = f["replication_left_on"]
    assert a.tool_calls[0].args["kinds"] == ["left_on"]
    assert r["resource_name"] in a.text and usd(r["monthly_cost"]) in a.text


def prompt_800(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    p = f["prompt_800"]
    assert p["app"] in a.text and f"{p['system_prompt_tokens']}-token" in a.text
    assert f"{usd(p['daily_prefix_cost'])}/day" in a.text


def frontier(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    p = f["frontier_classification"]
    assert p["app"] in a.text and f"frontier model {p['model']}" in a.text and p["cheaper_model"] in a.text


def no_max_tokens(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    p = f["no_max_tokens_app"]
    assert f"{p['app']} (prompt {p['prompt_id']}" in a.text and "sets no max_tokens" in a.text


def budget_80(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    b = f["budget_over_80"]
    assert b["team"] in a.text and usd(b["spent"]) in a.text and usd(b["budget"]) in a.text
    assert f"{Decimal(b['pct']) * 100:.1f}%" in a.text


def spike(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    s = f["anomaly_spike"]
    day = date.fromisoformat(s["date"])
    assert f"{s['scope']} ({s['scope_kind']}) spiked on {day:%a} {day.day} {day:%b %Y}" in a.text
    assert usd(s["amount"]) in a.text


def drift(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    d = f["drift"]
    assert f"{d['scope']} ({d['scope_kind']}) has drifted up" in a.text
    assert usd(d["daily_cost_start"]) in a.text and usd(d["daily_cost_end"]) in a.text


def forecast_total(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    last30 = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                 "2026-10-26", AS_OF.isoformat())
    assert a.tool_calls[0].args.get("horizon_days", 30) == 30
    assert "forecast" in a.text and usd(last30) in a.text


def forecast_next_month(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    # December on its own (asked on 2026-11-25), compared with the last 31 days of data
    last31 = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                 "2026-10-25", AS_OF.isoformat())
    assert {k: a.tool_calls[0].args.get(k) for k in ("start", "horizon_days")} == {"start": "2026-12-01",
                                                                                   "horizon_days": 31}
    assert "forecast for 2026-12-01 to 2026-12-31" in a.text and usd(last31) in a.text, a.text


def per_1k_support_bot(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    cost = Decimal(sql("SELECT sum(cost) FROM llm_calls WHERE app = 'support-bot' AND ts >= ? AND ts < ?",
                       "2026-10-26", AS_OF.isoformat()))
    calls = sql("SELECT sum(calls) FROM llm_calls WHERE app = 'support-bot' AND ts >= ? AND ts < ?",
                "2026-10-26", AS_OF.isoformat())
    assert a.tool_calls[0].args == {"by": "app", "name": "support-bot"}
    assert f"{usd(cost / calls * 1000)} per 1K calls" in a.text and usd(cost) in a.text


def per_training_run(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    runs = sql("SELECT count(*) FROM gpu_jobs WHERE project = 'llama-ft' AND kind IN ('training', 'fine-tune') "
               "AND started_at >= ? AND started_at < ?", "2026-10-26", AS_OF.isoformat())
    assert a.tool_calls[0].args == {"by": "training_run", "name": "llama-ft"}
    assert "llama-ft" in a.text and "per run" in a.text and runs > 0


def per_prediction(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    endpoint = sql("SELECT name FROM endpoints ORDER BY name LIMIT 1")
    assert a.tool_calls[0].args.get("by", "endpoint") == "endpoint"
    assert "per 1K requests" in a.text and endpoint in a.text


def fix_first(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    z = f["zombie_jobs"]
    first = a.text.split("2. ", 1)[0]
    assert f"{z['count']} zombie jobs" in first and f"{usd(z['monthly_cost'])}/month" in first


def scaled_10x(a: Answer, f: dict[str, Any], sql: Callable[..., Any]) -> None:
    cost = Decimal(sql("SELECT sum(cost) FROM llm_calls WHERE app = 'support-bot' AND ts >= ? AND ts < ?",
                       "2026-10-26", AS_OF.isoformat()))
    assert a.text.startswith("At 10x the volume") and usd(cost * 10) in a.text and usd(cost) in a.text


CASES: dict[str, Case] = {
    "who owns the $20K cluster": Case("who_owns", (
        "Which team owns this $20K/month inference cluster?",
        "who owns the 20k cluster?",
        "Who is responsible for the $20K a month H100 cluster?",
        "whose is llm-serving-h100-a?",
        "who owns llm-serving-h100-a",
    ), owner_of_cluster),
    "the $17K charge": Case("explain_charge", (
        "What's this $17K charge from last week?",
        "explain the 17k charge last week",
        "What was that $17,000 line item last week?",
        "Why is there a $17K charge on the bill last week?",
    ), charge_17k),
    "spend last month by team": Case("spend", (
        "How much did we spend last month by team?",
        "spend by team for last month",
        "What did we spend last month, broken down by team?",
        "last month's cost per team",
    ), spend_last_month_by_team),
    "one team last week": Case("spend", (
        "How much did the search team spend last week?",
        "search team spend last week",
        "What did team search cost us last week?",
    ), search_last_week),
    "LLM spend by team": Case("llm_spend", (
        "LLM spend by team last month",
        "How much did each team spend on LLM APIs last month?",
        "token costs per team for last month",
    ), llm_by_team_last_month),
    "GPT-4-class models": Case("llm_spend", (
        "What did we spend on GPT-4-class models last month, by team?",
        "GPT-4 class model spend last month by team",
    ), gpt4_class_last_month),
    "untagged share": Case("tag_audit", (
        "How much of our spend is untagged over the last 90 days?",
        "What share of spend has no team tag in the last 90 days?",
        "untagged spend, last 90 days",
    ), untagged_90_days),
    "GPU estimate": Case("estimate", (
        "How much would 64 H100s for 72 hours cost?",
        "estimate 64 x H100 for 3 days",
        "What will a 64-GPU H100 run for 72 hours cost?",
    ), h100_estimate),
    "all this AI": Case("spend", (
        "How much is all this AI costing us?",
        "What's our AI spend?",
    ), ai_by_model),
    "idle endpoint": Case("waste", (
        "Which GPUs are idle?",
        "Is this model still worth running?",
        "any idle endpoints?",
        "Which inference endpoints get no traffic?",
    ), idle_endpoint),
    "zombie jobs": Case("waste", (
        "Any zombie jobs?",
        "Which training jobs are running past their TTL?",
        "show me abandoned jobs",
    ), zombies),
    "dev like prod": Case("waste", (
        "What's running in dev that looks like prod?",
        "Which dev workloads behave like production?",
    ), dev_like_prod),
    "left on": Case("waste", (
        "Is any replication left on?",
        "what did we forget to turn off?",
    ), replication),
    "800-token prompt": Case("prompt_audit", (
        "Which prompts cost the most? What would trimming the system prompt save?",
        "Our 800-token system prompt runs 500K times a day: what does it cost?",
        "what would caching the system prompt save?",
    ), prompt_800),
    "frontier for classification": Case("prompt_audit", (
        "Are we using a frontier model where a mini would do?",
        "Where could a cheaper model do the job?",
    ), frontier),
    "no max_tokens": Case("prompt_audit", (
        "Which apps don't set max_tokens?",
        "any prompts without a max tokens limit?",
    ), no_max_tokens),
    "budget burn": Case("budgets", (
        "Which team is closest to its budget?",
        "Are we on budget this month?",
        "Who is over 80% of their budget?",
    ), budget_80),
    "anomaly spike": Case("anomalies", (
        "Anything unusual this month?",
        "Why did inference spend jump on Tuesday?",
        "any cost spikes in the last 2 weeks?",
    ), spike),
    "drift": Case("anomalies", (
        "Is any service drifting up?",
        "what costs are creeping up slowly?",
    ), drift),
    "forecast": Case("forecast", (
        "forecast our spend for the next 30 days",
    ), forecast_total),
    "forecast next month": Case("forecast", (
        "What will we spend next month?",
    ), forecast_next_month),
    "cost per 1K inferences": Case("unit_costs", (
        "What's our cost per 1,000 inferences on the support bot?",
        "cost per 1k calls for support-bot",
        "how much does the support bot cost per thousand requests?",
    ), per_1k_support_bot),
    "cost per training run": Case("unit_costs", (
        "Cost per training run for llama-ft?",
        "what does each llama-ft training run cost?",
    ), per_training_run),
    "fix first": Case("remediations", (
        "What should we fix first, and what does it save per month?",
        "How can we cut our AI costs?",
        "what are our biggest savings opportunities?",
    ), fix_first),
    "10x traffic": Case("unit_costs", (
        "What would the support bot cost at 10x traffic?",
        "if support-bot traffic grows to 10x, what will it cost?",
    ), scaled_10x),
    "per prediction": Case("unit_costs", (
        "Are we paying $0.50 or $0.05 per prediction?",
        "what's our cost per inference by endpoint?",
    ), per_prediction),
}

PARAMS = [pytest.param(case, q, id=f"{name}: {q}") for name, case in CASES.items() for q in case.phrasings]


@pytest.mark.parametrize(("case", "question"), PARAMS)
def test_question(case: Case, question: str, offline: Callable[..., Answer], facts: dict[str, Any],
                  sql: Callable[..., Any]) -> None:
    a = offline(question)
    assert a.kind == "answer", a.text
    assert called(a) and set(called(a)) == {case.tool}, (called(a), a.text)
    assert a.evidence and a.evidence[0].sql, "every answer carries its SQL"
    assert a.planner == "offline" and a.grounded
    case.expect(a, facts, sql)


# -- names that do not resolve, questions that cannot be mapped, approval without a job ------------------------

@pytest.mark.parametrize("question", [
    "How much did the serch team spend last week?",
    "spend for team serch last month",
    "serch team costs by service",
])
def test_a_misspelt_team_gets_did_you_mean(question: str, offline: Callable[..., Answer]) -> None:
    a = offline(question)
    assert a.kind == "did_you_mean", a.text
    assert "search" in a.suggestions
    assert "'serch'" in a.text and "$" not in a.text


@pytest.mark.parametrize("question", [
    "What's the weather in Paris?",
    "Write me a poem about clouds",
    "asdf qwerty",
])
def test_an_unmappable_question_gets_help_and_no_number(question: str, offline: Callable[..., Answer]) -> None:
    a = offline(question)
    assert a.kind == "help" and not a.tool_calls
    assert a.suggestions and all(isinstance(s, str) for s in a.suggestions)
    assert "How much did we spend last month by team?" in a.text   # an example from the registry
    assert not re.search(r"\$\d", a.text.split("\n", 1)[0])          # the reply itself states no figure


@pytest.mark.parametrize("question", ["This training will cost $50K. Approve?", "approve a $48K run?"])
def test_approve_a_bare_figure_asks_for_the_job(question: str, offline: Callable[..., Answer]) -> None:
    a = offline(question)
    assert a.kind == "refusal" and not a.tool_calls
    assert "finops estimate" in a.text


# -- conversation memory: follow-ups ---------------------------------------------------------------------------

def test_and_last_month_reruns_the_previous_tool(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    first = offline("How much did the search team spend last week?", session="t-follow-1")
    assert called(first) == ["spend"]
    second = offline("and last month?", session="t-follow-1")
    assert called(second) == ["spend"]
    args = second.tool_calls[0].args
    assert args["period"] == "last month" and args["team"] == "search"
    month = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' AND ChargePeriodStart >= ? "
                "AND ChargePeriodStart < ?", *LAST_MONTH)
    assert usd(month) in second.text
    third = offline("and the month before?", session="t-follow-1")
    assert third.tool_calls[0].args["period"] == "2026-09-01..2026-09-30"
    fourth = offline("and the week before that?", session="t-follow-1")
    assert fourth.tool_calls[0].args == {"period": "2026-08-25..2026-08-31", "team": "search"}


def test_scale_it_follows_the_previous_subject(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    first = offline("What's our cost per 1,000 inferences on the support bot?", session="t-scale-1")
    assert first.tool_calls[0].args == {"by": "app", "name": "support-bot"}
    second = offline("What will this cost if we scale it to 10× traffic?", session="t-scale-1")
    assert second.tool_calls[0].args == {"by": "app", "name": "support-bot"}
    cost = Decimal(sql("SELECT sum(cost) FROM llm_calls WHERE app = 'support-bot' AND ts >= ? AND ts < ?",
                       "2026-10-26", AS_OF.isoformat()))
    assert second.text.startswith("At 10x the volume") and usd(cost * 10) in second.text


def test_which_of_those_is_untagged(offline: Callable[..., Answer], facts: dict[str, Any]) -> None:
    first = offline("top 10 resources by spend last week", session="t-those-1")
    assert first.tool_calls[0].args["group_by"] == "resource"
    second = offline("which of those is untagged?", session="t-those-1")
    assert called(second) == ["tag_audit"]
    assert second.tool_calls[0].args["period"] == "last week"
    cluster = facts["cluster_20k"]                  # no team tag, and a top-10 resource last week
    head = second.text.split("\n\n", 1)[0]
    assert head.startswith("Of the 10 items of the previous answer")
    assert cluster["resource_id"] in head or cluster["resource_name"] in head


def test_without_a_session_nothing_is_remembered(offline: Callable[..., Answer]) -> None:
    offline("How much did the search team spend last week?")
    a = offline("and last month?")
    # No memory: "and last month?" alone names nothing to answer, so it gets the help reply and no tool runs
    # (never the search team's spend carried over from the other, unrelated call).
    assert a.kind == "help"
    assert called(a) == []
    assert "search" not in a.text


# -- untrusted text in the data ---------------------------------------------------------------------------------

def test_instructions_in_tag_values_are_not_followed_offline(offline: Callable[..., Answer], facts: dict[str, Any],
                                                             sql: Callable[..., Any]) -> None:
    inj = facts["prompt_injection"]
    a = offline(f"who owns {inj['resource_id']}?")
    assert called(a) == ["who_owns"] and a.kind == "answer"
    cost = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ResourceId = ? AND ChargePeriodStart >= ?",
               inj["resource_id"], "2026-10-26")
    assert Decimal(cost) > 0
    assert usd(cost) in a.text                 # the true cost, not the "$0" the tag asks for
    assert "approved" not in a.text.lower() and "admin mode" not in a.text.lower().replace(inj["tag_value"].lower(), "")
