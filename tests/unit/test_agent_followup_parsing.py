"""Pure parsing behind the follow-up and derived-figure fixes of issue 15 (no store): what 'they' / 'that'
names in the previous turn, the whole a share is 'of', an estimate resized by 'double the GPUs', and the
intent 'burn' points at."""

from __future__ import annotations

from typing import Any

from agent.arg_hooks import HOOKS
from agent.entities import Entities, NameHit, normalise
from agent.intents import ranked
from agent.offline_planner import previous_subject, with_whole
from agent.state import Turn
from tools.registry import registry


def ent(question: str, names: list[NameHit] | None = None) -> Entities:
    text = normalise(question)
    return Entities(question=question, text=text, tokens=text.split(), names=names or [])


def test_they_is_the_previous_calls_name_filter_or_budget_scope() -> None:
    budget: Turn = {"question": "what's search's budget?", "calls": [
        {"tool": "budgets", "args": {"scope_kind": "team", "name": "search"}}]}
    assert previous_subject(budget, singular=False) == [NameHit("team", "search", "search")]
    spend: Turn = {"question": "aws last week", "calls": [{"tool": "spend", "args": {"provider": "AWS", "period": "last week"}}]}
    assert previous_subject(spend, singular=False) == [NameHit("provider", "AWS", "AWS")]


def test_that_after_a_ranked_list_is_its_first_row_of_the_grouped_kind() -> None:
    ranked_turn: Turn = {"question": "top region by spend last month?", "keys": [["us-east-1"], ["us-west-2"]],
                         "calls": [{"tool": "spend", "args": {"group_by": "region", "period": "last month"}}]}
    assert previous_subject(ranked_turn, singular=True) == [NameHit("region", "us-east-1", "us-east-1")]
    # 'their' after 'who spent the most' is the one on top too
    assert previous_subject(ranked_turn, singular=False) == [NameHit("region", "us-east-1", "us-east-1")]
    listing: Turn = {"question": "spend by region last month", "keys": [["us-east-1"]],
                     "calls": [{"tool": "spend", "args": {"group_by": "region"}}]}
    assert previous_subject(listing, singular=False) == []      # 'they' after a plain list names no one row


def test_the_whole_of_a_share_keeps_the_name_it_is_of() -> None:
    names = [NameHit("provider", "OpenAI", "openai"), NameHit("model", "gpt-4.1", "gpt-4.1")]
    args: dict[str, Any] = {"period": "last month", "provider": "OpenAI", "model": "gpt-4.1"}
    part, whole = with_whole(args, ent("what share of our openai bill last month is gpt-4.1?", names))
    assert part == args and whole == {"period": "last month", "provider": "OpenAI"}
    part, whole = with_whole({"period": "x", "region": "eu-west-1"},
                             ent("eu-west-1 is what % of all our spend?", [NameHit("region", "eu-west-1", "eu-west-1")]))
    assert whole == {"period": "x"}
    assert with_whole({"period": "x"}, ent("what % of spend")) == [{"period": "x"}]


def test_double_the_gpus_and_half_the_hours_resize_the_previous_job() -> None:
    spec = registry.get("estimate")
    hook = HOOKS["estimate"]
    prev = {"gpu_count": 64, "gpu_type": "H100", "hours": "72", "region": "us-east-1"}
    assert hook(dict(prev), ent("and double the GPUs?"), spec)["gpu_count"] == 128
    assert hook(dict(prev), ent("what about half the hours?"), spec)["hours"] == "36"
    assert hook(dict(prev), ent("and 3x the nodes"), spec)["gpu_count"] == 192
    # a duration stated in the follow-up is taken as said, not halved
    assert hook(dict(prev), ent("now for just 24 hrs"), spec)["hours"] == "24"


def test_burn_is_spending_and_burn_rate_a_budgets_word() -> None:
    assert ranked(normalise("what did the data team burn thru in october?"))[0][1].tool == "spend"
    assert ranked(normalise("how much are we burning in eu-west-1 this month"))[0][1].tool == "spend"
    assert ranked(normalise("what's our burn rate vs budget?"))[0][1].tool == "budgets"


def test_two_values_of_one_dimension_compared_are_a_breakdown_over_both() -> None:
    from agent.semantic_route import _compared_concepts, concept_filters

    concepts, dims = _compared_concepts(concept_filters("on-demand vs committed spend last month"), [])
    assert dims == ["pricing_category"]
    assert concepts == [{"dimension": "pricing_category", "op": "in", "values": ["Standard", "Committed"]}]
    one, dims = _compared_concepts(concept_filters("storage spend last month"), [])
    assert dims == [] and one == [{"dimension": "service_category", "op": "eq", "values": ["Storage"]}]


def test_saving_against_list_price_is_the_savings_measure() -> None:
    from agent.semantic_route import semantic_args

    args = semantic_args(ent("how much did we save vs list price last month?"))
    assert args is not None and args["measures"] == ["savings"]
    args = semantic_args(ent("list cost last month"))
    assert args is not None and args["measures"] == ["list_cost"]


def test_which_of_and_wise_read_the_grouping() -> None:
    from agent.entities import _group

    for question, dim in (("which of our llm apps was the priciest?", "app"), ("which of the teams spent most?", "team"),
                          ("biggest spender last month, team-wise?", "team"), ("top spenders region-wise", "region")):
        e = ent(question)
        _group(e)
        assert e.group_by[:1] == [dim], question


def test_a_typo_corrected_into_a_name_is_asked_back_a_cost_word_is_not() -> None:
    from agent.typos import corrected_into_names

    e = ent("anthropic spend")
    e.fixes = {"anthropik": "anthropic", "storgae": "storage"}
    e.known = {"provider": ["Anthropic", "AWS"], "service_category": ["Storage"]}
    assert corrected_into_names(e) == [("anthropik", "Anthropic")]


def test_misspelt_function_and_time_words_and_abbreviations() -> None:
    from agent.typos import correction

    assert [correction(w) for w in ("teh", "wek", "lst", "yer", "toks")] == ["the", "week", "last", "year", "tokens"]
    # three-letter words that are words, or near no time word, are left alone
    assert [correction(w) for w in ("web", "was", "yes", "day", "dat")] == [None] * 5


def test_l30d_is_the_last_30_days() -> None:
    assert normalise("s3 cost l30d") == "s3 cost last 30 days"
    assert normalise("gcp L7D?") == "gcp last 7 days?"
    assert normalise("p5.48xlarge l40s") == "p5.48xlarge l40s"       # a GPU, not a window


def test_a_lone_day_is_no_period() -> None:
    from agent.offline_planner import LONE_DAY

    assert LONE_DAY.search("vertex ai spend on the 17th") is not None
    assert LONE_DAY.search("what did s3 cost on 11/17?") is not None
    assert LONE_DAY.search("spend in 2026-11-17") is None and LONE_DAY.search("64 h100s for 72 hours") is None


def test_difference_and_change_read_the_two_previous_totals() -> None:
    from decimal import Decimal

    from agent.derived import change, difference

    def spend(total: str, label: str) -> Any:
        return {"tool": "spend", "ok": True, "result": {"total_billed": total, "period": {"label": label}, "filters": {}}}

    outcomes = [spend("100.00", "September 2026"), spend("125.00", "October 2026")]
    assert "Difference: $25.00" in (difference({}, outcomes) or "")
    assert "Change: +25.00%" in (change({}, outcomes) or "")
    assert change({}, [spend("0", "x"), spend("5", "y")]) is None and Decimal(1)


def test_since_the_first_is_month_to_date() -> None:
    assert normalise("bigquery cost since the 1st") == "bigquery cost month to date"
    assert normalise("spend since the first of the month?") == "spend month to date?"
