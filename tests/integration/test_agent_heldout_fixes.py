"""The offline planner on the demo store for the misses fixed from the held-out paraphrase sets (issue 15):
follow-ups that keep their subject, 'vs X?' and share follow-ups, a share of a named whole, an estimate
resized by a follow-up, budget left carried to the next subject, 'burn' as spending. Each is asked in
words other than the held-out question's; expected figures come from SQL written here (or the catalog),
never from the tools' output."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import usd

THIS_MONTH = ("2026-11-01", "2026-11-25")
LAST_MONTH = ("2026-10-01", "2026-11-01")
LAST_WEEK = ("2026-11-16", "2026-11-23")


def spent(sql: Callable[..., Any], where: str, period: tuple[str, str], *params: Any) -> Decimal:
    return Decimal(sql(f"SELECT sum(BilledCost) FROM charges_allocated WHERE {where} "
                       "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", *params, *period))


def test_they_after_a_budget_is_the_budgets_team(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    offline("what's the data team's budget for this month?", "fx-they")
    a = offline("what have they spent so far?", "fx-they")
    assert [c.tool for c in a.tool_calls] == ["spend"]
    assert usd(spent(sql, "x_team = ?", THIS_MONTH, "data")) in a.text


def test_that_after_a_ranking_is_its_top_row(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    offline("which team spent the most last week?", "fx-that")
    a = offline("how much was that?", "fx-that")
    top = sql("SELECT x_team, sum(BilledCost) AS b FROM charges_allocated WHERE x_team IS NOT NULL "
                      "AND ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY x_team ORDER BY b DESC LIMIT 1",
                      *LAST_WEEK)
    assert a.tool_calls and a.tool_calls[0].args.get("team") == top
    assert usd(spent(sql, "x_team = ?", LAST_WEEK, top)) in a.text
    b = offline("and their budget this month?", "fx-that")
    budget = sql("SELECT amount FROM budgets WHERE scope_kind = 'team' AND scope_name = ? AND period_start = ?",
                 top, THIS_MONTH[0])
    assert usd(budget) in b.text


def test_vs_follow_up_gives_both_figures(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    offline("azure spend last month", "fx-vs")
    a = offline("versus aws?", "fx-vs")
    for provider in ("Microsoft", "AWS"):
        v = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ProviderName = ? AND ChargePeriodStart >= ? "
                "AND ChargePeriodStart < ?", provider, *LAST_MONTH)
        assert usd(v) in a.text, provider


def test_share_follow_up_divides_by_all_spend_of_the_same_window(offline: Callable[..., Answer],
                                                                  sql: Callable[..., Any]) -> None:
    offline("what did eu-west-1 cost last month?", "fx-share")
    a = offline("and what % of all our spend was eu-west-1 in that window?", "fx-share")
    part = sql("SELECT sum(BilledCost) FROM focus_charges WHERE RegionId = 'eu-west-1' AND ChargePeriodStart >= ? "
               "AND ChargePeriodStart < ?", *LAST_MONTH)
    whole = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                *LAST_MONTH)
    assert f"{part / whole * 100:.2f}%" in a.text


def test_share_of_a_named_whole(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("what share of the openai spend last month was gpt-4o?")
    part = sql("SELECT sum(cost) FROM llm_calls WHERE model = 'gpt-4o' AND ts >= ? AND ts < ?", *LAST_MONTH)
    whole = sql("SELECT sum(cost) FROM llm_calls WHERE provider = 'openai' AND ts >= ? AND ts < ?", *LAST_MONTH)
    assert f"{part / whole * 100:.2f}%" in a.text


def test_an_estimate_resized_by_follow_ups(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    per_gpu_hour = sql("SELECT on_demand_usd_per_hour / gpu_count FROM gpu_prices "
                       "WHERE instance_type = 'p5.48xlarge' AND region = 'us-east-1'")
    offline("estimate 16 H100s for 48 hours in us-east-1", "fx-resize")
    a = offline("and twice the GPUs?", "fx-resize")
    assert usd(per_gpu_hour * 32 * 48) in a.text
    b = offline("what if we halve the hours?", "fx-resize")
    assert usd(per_gpu_hour * 32 * 24) in b.text


def test_budget_left_follows_the_next_subject(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    def left(team: str) -> Decimal:
        amount = sql("SELECT amount FROM budgets WHERE scope_kind = 'team' AND scope_name = ? AND period_start = ?",
                     team, THIS_MONTH[0])
        return Decimal(amount) - spent(sql, "x_team = ?", THIS_MONTH, team)

    offline("support budget this month?", "fx-left")
    a = offline("how much of it remains?", "fx-left")
    assert usd(left("support")) in a.text
    b = offline("and for ml-platform?", "fx-left")
    assert usd(left("ml-platform")) in b.text


def test_burn_is_spend(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("what did search burn last month?")
    assert [c.tool for c in a.tool_calls] == ["spend"]
    assert usd(spent(sql, "x_team = ?", LAST_MONTH, "search")) in a.text


def test_saved_versus_list_is_list_minus_effective_and_us_is_no_region(offline: Callable[..., Answer],
                                                                        sql: Callable[..., Any]) -> None:
    a = offline("how much did discounts save us versus list price last week?")
    assert a.tool_calls and a.tool_calls[0].args.get("filters") == []
    saved = sql("SELECT sum(ListCost) - sum(EffectiveCost) FROM focus_charges WHERE ChargePeriodStart >= ? "
                "AND ChargePeriodStart < ?", *LAST_WEEK)
    assert usd(saved) in a.text


def test_two_pricing_categories_compared_give_both(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("committed versus on-demand spend in october")
    for category in ("Committed", "Standard"):
        v = sql("SELECT sum(BilledCost) FROM focus_charges WHERE PricingCategory = ? AND ChargePeriodStart >= ? "
                "AND ChargePeriodStart < ?", category, *LAST_MONTH)
        assert usd(v) in a.text, category


@pytest.mark.parametrize(("question", "where", "params", "period"), [
    ("azure mtd?", "ProviderName = ?", ("Microsoft",), THIS_MONTH),
    ("rds last wk", "ServiceName = ?", ("Amazon Relational Database Service",), LAST_WEEK),
    ("eu-west-1 october?", "RegionId = ?", ("eu-west-1",), LAST_MONTH),
])
def test_a_bare_name_and_period_asks_its_spend(question: str, where: str, params: tuple[str, ...],
                                              period: tuple[str, str], offline: Callable[..., Answer],
                                              sql: Callable[..., Any]) -> None:
    a = offline(question)
    v = sql(f"SELECT sum(BilledCost) FROM focus_charges WHERE {where} AND ChargePeriodStart >= ? "
            "AND ChargePeriodStart < ?", *params, *period)
    assert a.kind == "answer" and usd(v) in a.text, a.text


def test_a_bare_team_word_with_a_period_and_dollar_sign(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("support $ last week?")
    assert usd(spent(sql, "x_team = ?", LAST_WEEK, "support")) in a.text
    assert offline("support").kind != "answer"        # the word alone is no question


def test_the_current_month_named_is_the_budgets_current_state(offline: Callable[..., Answer],
                                                             sql: Callable[..., Any]) -> None:
    a = offline("what's the ml-platform budget for november?")
    amount = sql("SELECT amount FROM budgets WHERE scope_kind = 'team' AND scope_name = 'ml-platform' AND period_start = ?",
                 THIS_MONTH[0])
    assert a.kind == "answer" and usd(amount) in a.text
    assert offline("what was the ml-platform budget for september?").kind != "answer"   # a past month: no figure


def test_superlative_before_a_kind_word_is_a_ranking(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("what was our most expensive region last month?")
    top = sql("SELECT RegionId FROM focus_charges WHERE RegionId IS NOT NULL AND ChargePeriodStart >= ? "
              "AND ChargePeriodStart < ? GROUP BY RegionId ORDER BY sum(BilledCost) DESC LIMIT 1", *LAST_MONTH)
    assert a.kind == "answer" and top in a.text


def test_k8s_is_the_kubernetes_concept(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("k8s spend last week")
    v = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName ILIKE '%kubernetes%' AND ChargePeriodStart >= ? "
            "AND ChargePeriodStart < ?", *LAST_WEEK)
    assert usd(v) in a.text


def test_difference_and_percent_change_between_the_previous_two_answers(offline: Callable[..., Answer],
                                                                        sql: Callable[..., Any]) -> None:
    offline("what did support spend last month?", "fx-diff")
    offline("and data?", "fx-diff")
    a = offline("what's the gap between the two?", "fx-diff")
    gap = abs(spent(sql, "x_team = ?", LAST_MONTH, "support") - spent(sql, "x_team = ?", LAST_MONTH, "data"))
    assert usd(gap) in a.text
    offline("azure spend in september", "fx-change")
    offline("and october?", "fx-change")
    b = offline("% change?", "fx-change")
    sep = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ProviderName = 'Microsoft' AND ChargePeriodStart >= "
              "'2026-09-01' AND ChargePeriodStart < '2026-10-01'")
    octo = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ProviderName = 'Microsoft' AND ChargePeriodStart >= ? "
               "AND ChargePeriodStart < ?", *LAST_MONTH)
    assert f"{(octo - sep) / sep * 100:+.2f}%" in b.text
    assert offline("what's the difference between the two?").kind != "answer"    # nothing before it


def test_an_llm_batch_of_a_catalog_model_with_in_out_tokens(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("estimate 300k gpt-4o-mini calls, 600 in / 150 out tokens")
    price = sql("SELECT 300000 * (600 * input_cost_per_token + 150 * output_cost_per_token) FROM llm_prices "
                "WHERE model = 'gpt-4o-mini'")
    assert usd(price) in a.text
    assert offline("gpt-4o-mini spend last month").kind != "answer"     # a catalog model nobody called: no spend


def test_a_bare_duration_is_the_jobs_length(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    per_gpu_hour = sql("SELECT on_demand_usd_per_hour / gpu_count FROM gpu_prices "
                       "WHERE instance_type = 'p5.48xlarge' AND region = 'us-east-1'")
    a = offline("ballpark for 8 H100s, 5 days, us-east-1?")
    assert usd(per_gpu_hour * 8 * 120) in a.text


def test_l7d_is_the_last_7_days(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("claude-opus-4-5 cost l7d")
    v = sql("SELECT sum(cost) FROM llm_calls WHERE model = 'claude-opus-4-5' AND ts >= '2026-11-18' AND ts < '2026-11-25'")
    assert usd(v) in a.text


def test_typos_of_function_and_time_words(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("waht did teh recsys team spend lst wek?")
    assert usd(spent(sql, "x_team = ?", LAST_WEEK, "recsys")) in a.text


def test_a_slashed_day_gets_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("ec2 spend on 11/12")             # 12 November or 11 December: not guessed
    assert a.kind != "answer" and "$" not in a.text


def test_the_nth_is_the_latest_such_day(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    # as of 2026-11-25: "the 3rd" is 2026-11-03, "the 28th" is 2026-10-28 (November's is still ahead)
    for q, day in (("what did bigquery cost on the 3rd?", "2026-11-03"), ("bigquery spend on the 28th", "2026-10-28")):
        v = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = 'BigQuery' "
                "AND CAST(ChargePeriodStart AS DATE) = CAST(? AS DATE)", day)
        a = offline(q)
        assert a.kind == "answer" and usd(v) in a.text and day in a.text, q
    b = offline("what was the 2nd biggest team last month?")   # an ordinal, not a day
    assert "2026-11-02" not in b.text


def test_owner_cues(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    team = sql("SELECT DISTINCT x_team FROM charges_allocated WHERE ResourceName = 'acme-summit-demo-assets-replica-euw1'")
    a = offline("who is on the hook for acme-summit-demo-assets-replica-euw1?")
    assert [c.tool for c in a.tool_calls] == ["who_owns"] and team in a.text
    b = offline("acme-summit-demo-assets-replica-euw1 - owner?")
    assert [c.tool for c in b.tool_calls] == ["who_owns"] and team in b.text


def test_esr_alone_and_env_comparison(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("ESR last week?")
    esr = sql("SELECT (sum(ListCost) - sum(EffectiveCost)) / sum(ListCost) FROM focus_charges "
              "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?", *LAST_WEEK)
    assert [c.tool for c in a.tool_calls] == ["query_costs"] and f"{esr * 100:.1f}%" in a.text
    b = offline("staging vs dev cost last month")
    assert [c.tool for c in b.tool_calls] == ["spend"] and b.tool_calls[0].args.get("group_by") == "env"


def test_spend_with_no_team_is_unallocated(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    for q in ("spend with no owning team last week", "last week, how much wasn't allocated to any team?"):
        a = offline(q)
        assert usd(spent(sql, "x_team IS NULL", LAST_WEEK)) in a.text, q


def test_the_other_month_word_is_the_period_compared(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("how does last month's spend compare with september?")
    for start, end in (LAST_MONTH, ("2026-09-01", "2026-10-01")):
        v = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?", start, end)
        assert usd(v) in a.text
    assert offline("spend last month blorp september").kind != "answer"


def test_since_the_1st(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    a = offline("how much has data spent since the 1st?")
    assert usd(spent(sql, "x_team = ?", ("2026-11-01", "2026-11-25"), "data")) in a.text


def test_a_difference_question_of_its_own_is_not_about_the_previous_answers(offline: Callable[..., Answer]) -> None:
    offline("what did support spend last month?", "fx-own")
    offline("and data?", "fx-own")
    a = offline("what's the difference between list and billed cost?", "fx-own")
    assert [c.tool for c in a.tool_calls] == ["query_costs"]
