"""A spending pace ("run rate", "burn rate") is the forecast of its scope, never a price per unit (it failed on
mixed units) nor a resource found by a team's name inside another name ("search" in "research-…"); a country
in any spelling gets no figure (the GCP "US" multi-region was answered for "the u.s."); an average price per
unit is answered per pricing unit, to the tenth of a cent. Asked in words other than heldout13_pace_units';
expected figures come from SQL written here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import usd

_LAST_7 = "ChargePeriodStart >= DATE '2026-11-18' AND ChargePeriodStart < DATE '2026-11-25'"


def _calls(a: Answer) -> list[tuple[str, dict[str, Any]]]:
    return [(c.tool, dict(c.args)) for c in a.tool_calls]


def test_our_run_rate_is_the_forecast_near_the_current_pace(offline: Callable[..., Answer],
                                                             sql: Callable[..., Any]) -> None:
    pace = sql(f"SELECT sum(BilledCost) / 7 * 30 FROM focus_charges WHERE {_LAST_7}")
    last_30 = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-10-26' "
                  "AND ChargePeriodStart < DATE '2026-11-25'")
    a = offline("tell me our present run rate please")
    assert a.kind == "answer" and [t for t, _ in _calls(a)] == ["forecast"], a.text
    assert usd(last_30) in a.text, a.text          # the 30 days it is set against, exactly
    first = a.text.split("$", 1)[1].split(" ", 1)[0].replace(",", "")
    assert abs(float(first) - float(pace)) / float(pace) < 0.05, (first, pace)


def test_a_teams_run_rate_is_its_forecast_not_a_resource(offline: Callable[..., Answer]) -> None:
    a = offline("monthly run rate for recsys?")
    assert _calls(a) == [("forecast", {"scope": "team", "name": "recsys"})], a.text
    a = offline("what is the research team's burn rate")
    assert _calls(a) == [("forecast", {"scope": "team", "name": "research"})], a.text


def test_a_named_resources_run_rate_stays_who_owns(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    team = sql("SELECT min(x_team) FROM charges_allocated WHERE ResourceName = 'llm-serving-h100-a'")
    a = offline("what's the monthly run rate of llm-serving-h100-a? who pays?")
    assert [t for t, _ in _calls(a)] == ["who_owns"] and f"team {team}" in a.text, a.text


@pytest.mark.parametrize("q", ["burn rate of the data team's box", "the support team's costliest vm, what's it cost?"])
def test_a_teams_described_resource_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    # not the team's forecast, nor the costliest resource whose text holds the team's name
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_top_n_of_a_category_keeps_the_category_and_the_team(offline: Callable[..., Answer],
                                                             sql: Callable[..., Any]) -> None:
    first = sql("SELECT ResourceId FROM charges_allocated WHERE x_team = 'recsys' AND ServiceCategory = 'Compute' "
                "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01' "
                "GROUP BY ResourceId ORDER BY sum(BilledCost) DESC, ResourceId LIMIT 1")
    total = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'recsys' AND ServiceCategory = 'Compute' "
                "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("top 4 compute resources of recsys in october")
    assert a.kind == "answer" and first in a.text and usd(total) in a.text, a.text


@pytest.mark.parametrize("q", ["what did aws cost us in the u.s. last week",
                               "spend in the United States last month",
                               "how much did search spend in the u.k. in october"])
def test_a_country_in_any_spelling_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_a_region_named_like_a_country_prefix_is_answered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE RegionId = 'us-east-1' "
                "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("what did we spend in us-east-1 in october?")
    assert a.kind == "answer" and usd(total) in a.text, a.text


def test_an_average_price_is_given_per_pricing_unit(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    where = ("ServiceName = 'Amazon Simple Storage Service' AND ChargePeriodStart >= DATE '2026-10-26' "
             "AND ChargePeriodStart < DATE '2026-11-25'")
    units = sql(f"SELECT string_agg(DISTINCT PricingUnit, '|' ORDER BY PricingUnit) FROM focus_charges WHERE {where}")
    assert len(units.split("|")) > 1                # the demo's S3 is billed in two units
    a = offline("average rate we pay for s3 storage?")
    assert a.kind == "answer", a.text
    for unit in units.split("|"):
        price = sql(f"SELECT sum(EffectiveCost) / sum(PricingQuantity) FROM focus_charges WHERE {where} "
                    "AND PricingUnit = ?", unit)
        assert f"{unit} {usd(price, 4)}" in a.text, a.text
    assert "(100.0%)" not in a.text and "others $" not in a.text


def test_an_hourly_unit_price_is_not_a_slice_of_time(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    price = sql("SELECT sum(EffectiveCost) / sum(PricingQuantity) FROM focus_charges "
                "WHERE ServiceName = 'Amazon Elastic Compute Cloud' AND PricingUnit = 'Hours' "
                "AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("ec2 average hourly unit price in october")
    assert a.kind == "answer" and usd(price, 4) in a.text and "(100.0%)" not in a.text, a.text


def test_a_model_family_adds_up_every_model_of_it(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    # "claude models" left haiku out as a "small tier" (only a "-class" question means the big ones)
    total = sql("SELECT sum(cost) FROM llm_calls WHERE model LIKE 'claude%' "
                "AND ts >= DATE '2026-11-01' AND ts < DATE '2026-11-25'")
    a = offline("what have the claude models cost so far this month?")
    assert a.kind == "answer" and usd(total) in a.text, a.text
    big = sql("SELECT sum(cost) FROM llm_calls WHERE model IN ('gpt-4.1', 'gpt-4o') "
              "AND ts >= DATE '2026-10-01' AND ts < DATE '2026-11-01'")
    a = offline("spend on gpt-4 class models in october")
    assert a.kind == "answer" and usd(big) in a.text, a.text


def test_is_a_team_over_budget_shows_its_budget_even_without_an_alert(offline: Callable[..., Answer],
                                                                     sql: Callable[..., Any]) -> None:
    # only budgets with an alert were asked for: a team under its thresholds read as "No budgets cover …"
    amount = sql("SELECT amount FROM budgets WHERE scope_kind = 'team' AND scope_name = 'recsys' "
                 "AND period_start = DATE '2026-11-01'")
    a = offline("is recsys over its budget?")
    assert a.kind == "answer" and usd(amount) in a.text and "No budgets cover" not in a.text, a.text
    alerting = sql("SELECT count(*) FROM budgets WHERE period_start = DATE '2026-11-01'")
    a = offline("which budgets are over budget?")
    assert f"of {alerting} budgets" in a.text, a.text


@pytest.mark.parametrize("q", ["support-bot spend per user last month?", "cost of each conversation our support bot has",
                               "what do we pay per seat for the llm apps"])
def test_a_unit_the_data_does_not_count_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)                                   # it gave the cost per call (or the app's whole spend)
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_a_unit_the_data_counts_is_still_answered(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    per_1k = sql("SELECT sum(cost) / sum(calls) * 1000 FROM llm_calls WHERE app = 'support-bot' "
                 "AND ts >= DATE '2026-10-26' AND ts < DATE '2026-11-25'")
    a = offline("support-bot: what does every call cost us?")
    assert a.kind == "answer" and usd(per_1k, 4) in a.text, a.text


@pytest.mark.parametrize("q", ["were there any cost spikes for azure last week?", "unusual spend in us-west-2 lately?",
                               "forecast for europe-west4 through december"])
def test_a_name_anomalies_or_forecast_cannot_keep_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)                        # anomalies listed every service's; the forecast was the whole bill's
    assert a.kind != "answer" and "$" not in a.text, a.text


def test_the_second_half_of_a_month_is_its_days(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= DATE '2026-09-16' "
                "AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("how much did we spend in the second half of september?")
    assert a.kind == "answer" and usd(total) in a.text, a.text


@pytest.mark.parametrize("q,model", [("anomalies in gpt-4.1 spend", "gpt-4.1"),
                                     ("any anomaly on claude-haiku-4-5 over the last two weeks?", "claude-haiku-4-5")])
def test_anomalies_of_a_model_are_looked_for_not_its_spend(offline: Callable[..., Answer], q: str, model: str) -> None:
    a = offline(q)                                       # gave the model's LLM spend, no anomaly looked for
    assert [(c.tool, dict(c.args).get("name")) for c in a.tool_calls] == [("anomalies", model)], a.text


def test_the_biggest_spender_is_a_team(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    team = sql("SELECT team FROM llm_calls WHERE provider = 'openai' AND ts >= DATE '2026-10-26' "
               "AND ts < DATE '2026-11-25' GROUP BY team ORDER BY sum(cost) DESC LIMIT 1")
    a = offline("who is the largest consumer of openai?")
    assert a.kind == "answer" and "By team: " + team in a.text, a.text


def test_the_average_price_we_pay_is_the_unit_price(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    price = sql("SELECT sum(EffectiveCost) / sum(PricingQuantity) FROM focus_charges WHERE ServiceName = 'Compute Engine' "
                "AND PricingUnit = 'Hours' AND ChargePeriodStart >= DATE '2026-10-01' AND ChargePeriodStart < DATE '2026-11-01'")
    a = offline("average price paid per compute engine hour in october?")
    assert a.kind == "answer" and usd(price, 4) in a.text, a.text


def test_the_cost_of_usage_is_a_cost_not_a_quantity(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    total = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = 'BigQuery' "
                "AND ChargePeriodStart >= DATE '2026-09-01' AND ChargePeriodStart < DATE '2026-10-01'")
    a = offline("what did our bigquery usage cost in september?")   # it gave the TiB consumed
    assert a.kind == "answer" and usd(total) in a.text and "TiB" not in a.text, a.text


@pytest.mark.parametrize("q", ["what did research and support spend together in october?",
                               "recsys plus support, total spend last week"])
def test_two_teams_together_get_no_whole_bill_headline(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)                       # it headed with every team's total, the named two among the rows
    assert a.kind != "answer" and "$" not in a.text, a.text
