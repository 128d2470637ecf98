"""The offline planner on the demo store for questions found asking it in my own words (this stop): money
"on GPUs" (the bill has no GPU column: no figure, and the GPU jobs' cost is pointed to), what a team's GPU
jobs cost (the job history, not the team's whole bill), and a ranking said with a superlative ("cheapest
provider", "lowest-cost region": grouped by that dimension, not by team). Each is asked in words other than
the ones the fixes were made on; expected figures come from SQL written here, never from the tools' output."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from agent.answer import Answer
from tests.conftest import duckdb_connect, usd

OCTOBER = ("2026-10-01", "2026-11-01")


def _no_figure(a: Answer) -> bool:
    """Not an answer, and no dollar figure anywhere in the reply."""
    return a.kind != "answer" and not re.search(r"\$\d", a.text)


def _rows(db: Any, query: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of an independent query on the demo store (the expected values)."""
    con = duckdb_connect(str(db), read_only=True)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()
# A job belongs to the period it ran in (job_runs: "Period the jobs ran in"): it started before the period's
# end and ended after its start, or is still running (the demo's as-of day).
RAN_IN = "started_at < ? AND coalesce(ended_at, TIMESTAMP '2026-11-25') > ?"


@pytest.mark.parametrize("q", ["how much of research's october bill went to gpus?",
                               "total gpu costs for the company last month",
                               "data team gpu spending in oct, roughly?"])
def test_money_on_gpus_from_the_bill_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    a = offline(q)
    assert _no_figure(a), a.text


@pytest.mark.parametrize("q", ["how much of research's october bill went to gpus?",
                               "total gpu costs for the company last month"])
def test_the_refusal_points_to_the_gpu_jobs(offline: Callable[..., Answer], q: str) -> None:
    # ("data team gpu spending" is read as a team named 'gpu': no figure either, but a did-you-mean on the team)
    a = offline(q)
    assert "GPUs only" in a.text and "GPU jobs" in a.text, a.text


@pytest.mark.parametrize(("q", "team", "kind"), [
    ("what did research's gpu jobs cost us in october?", "research", None),
    ("recsys training runs in october, total cost?", "recsys", "training"),
])
def test_a_teams_gpu_jobs_cost_is_the_job_history(offline: Callable[..., Answer], sql: Callable[..., Any],
                                                  q: str, team: str, kind: str | None) -> None:
    where = " AND kind = ?" if kind else ""
    params = [team, OCTOBER[1], OCTOBER[0], *([kind] if kind else [])]
    total = sql(f"SELECT sum(actual_cost) FROM gpu_jobs WHERE team = ? AND {RAN_IN}{where}", *params)
    bill = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= ? "
               "AND ChargePeriodStart < ?", team, *OCTOBER)
    a = offline(q)
    assert [c.tool for c in a.tool_calls] == ["job_runs"], a.tool_calls
    assert usd(total) in a.text and usd(bill) not in a.text, a.text


def test_zombie_jobs_are_still_waste(offline: Callable[..., Answer]) -> None:
    a = offline("any abandoned gpu jobs still burning money past their ttl?")
    assert [c.tool for c in a.tool_calls] == ["waste"], a.tool_calls


@pytest.mark.parametrize(("q", "column", "ascending"), [
    ("lowest-cost cloud provider in october?", "ProviderName", True),
    ("in october, which region was cheapest?", "RegionId", True),
    ("highest cost region in october", "RegionId", False),
])
def test_a_superlative_ranks_by_the_dimension_it_names(offline: Callable[..., Answer], demo_db: Any,
                                                       q: str, column: str, ascending: bool) -> None:
    rows = _rows(demo_db, f"SELECT {column}, sum(BilledCost) AS c FROM focus_charges WHERE ChargePeriodStart >= ? "
                          f"AND ChargePeriodStart < ? AND {column} IS NOT NULL AND {column} <> '' GROUP BY 1 "
                          f"ORDER BY c {'ASC' if ascending else 'DESC'}", list(OCTOBER))
    a = offline(q)
    assert a.kind == "answer", a.text
    first, second = rows[0], rows[1]
    body = a.text.split(" By ", 1)[1]
    assert body.find(usd(first[1])) != -1 and body.find(usd(first[1])) < body.find(usd(second[1])), a.text


# -- fixcheck round h9's three misses (written blind by a helper), asked again in other words -----------------
def test_gpu_nodes_as_a_share_of_a_bill_get_no_figure(offline: Callable[..., Answer]) -> None:
    a = offline("how much of october's ec2 spend was gpu nodes rather than cpu boxes?")
    assert _no_figure(a), a.text


def test_jobs_named_by_their_gpu_type_are_the_job_history(offline: Callable[..., Answer],
                                                           sql: Callable[..., Any]) -> None:
    total = sql(f"SELECT sum(actual_cost) FROM gpu_jobs WHERE gpu_type = 'A100' AND {RAN_IN}", OCTOBER[1], OCTOBER[0])
    a = offline("what did all our a100 runs cost in october?")
    assert [c.tool for c in a.tool_calls] == ["job_runs"], a.tool_calls
    assert usd(total) in a.text, a.text


def test_a_superlative_with_a_provider_in_between_ranks_that_providers_services(offline: Callable[..., Answer],
                                                                                 demo_db: Any) -> None:
    rows = _rows(demo_db, "SELECT ServiceName, sum(BilledCost) AS c FROM focus_charges WHERE ProviderName = 'AWS' "
                          "AND ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1 ORDER BY c ASC", list(OCTOBER))
    a = offline("least expensive aws service in october?")
    assert a.kind == "answer", a.text
    body = a.text.split(" By ", 1)[1]
    assert body.startswith("service") and body.find(rows[0][0]) < body.find(rows[1][0]), a.text


def test_who_is_footing_the_bill_for_a_resource_is_its_owner(offline: Callable[..., Answer],
                                                             sql: Callable[..., Any]) -> None:
    team = sql("SELECT min(Tags['team']) FROM focus_charges WHERE ResourceName = 'acme-research-datasets' "
               "AND Tags['team'] <> ''")
    a = offline("who is footing the bill for acme-research-datasets?")
    assert [c.tool for c in a.tool_calls] == ["who_owns"], a.tool_calls
    assert f"owned by team {team}" in a.text, a.text
    missing = offline("who's paying for the acme-quantum-archive bucket?")
    assert missing.kind == "did_you_mean" and not re.search(r"\$\d", missing.text), missing.text


# -- fixcheck round h10's misses (written blind by a helper), asked again in other words ----------------------
def test_a_possessive_everyday_team_name_with_its_jobs_is_that_team(offline: Callable[..., Answer],
                                                                    sql: Callable[..., Any]) -> None:
    # 'data' is an everyday word; "data's training runs" names the team (the answer was every team's jobs)
    total = sql(f"SELECT sum(actual_cost) FROM gpu_jobs WHERE team = 'data' AND kind = 'training' AND {RAN_IN}",
                OCTOBER[1], OCTOBER[0])
    a = offline("data's training runs last month, total?")
    assert [(c.tool, c.args.get("team")) for c in a.tool_calls] == [("job_runs", "data")], a.tool_calls
    assert usd(total) in a.text, a.text


def test_misspelt_before_and_a_plural_and_a_contraction_are_read(offline: Callable[..., Answer],
                                                                 sql: Callable[..., Any]) -> None:
    def team_total(team: str, start: str, end: str) -> Any:
        return sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= ? "
                   "AND ChargePeriodStart < ?", team, start, end)

    a = offline("ml-platform spend, last month vs the month befor?")
    assert usd(team_total("ml-platform", *OCTOBER)) in a.text, a.text
    assert usd(team_total("ml-platform", "2026-09-01", "2026-10-01")) in a.text, a.text
    b = offline("what'd research spend last month?")
    assert usd(team_total("research", *OCTOBER)) in b.text, b.text
    c = offline("top 5 regoins by cost in october")
    assert [c.args.get("group_by") for c in c.tool_calls] == ["region"], c.tool_calls


def test_a_word_after_a_named_teams_noun_is_no_second_team(offline: Callable[..., Answer]) -> None:
    # "the data team gpu spending": 'gpu' is not a team name; the reply is about GPUs (no figure)
    a = offline("the research team gpu costs last month?")
    assert a.kind != "answer" and "GPUs only" in a.text and "no team" not in a.text, a.text
    b = offline("how much did team zorblax spend last month?")
    assert b.kind == "did_you_mean" and "zorblax" in b.text and not re.search(r"\$\d", b.text), b.text


def test_who_is_paying_for_names_only_the_thing(offline: Callable[..., Answer]) -> None:
    a = offline("who's paying for all those gpus?")
    assert a.kind == "did_you_mean" and "who's paying" not in a.text and not re.search(r"\$\d", a.text), a.text


def test_a_model_named_by_vendor_and_family_is_that_model(offline: Callable[..., Answer],
                                                          sql: Callable[..., Any]) -> None:
    # h10's last miss ("claude haiku"), and "claude opus", which answered with every Anthropic model's spend
    sonnet = sql("SELECT sum(cost) FROM llm_calls WHERE model = 'claude-sonnet-4-5' AND ts >= ? AND ts < ?", *OCTOBER)
    anthropic = sql("SELECT sum(cost) FROM llm_calls WHERE provider = 'anthropic' AND ts >= ? AND ts < ?", *OCTOBER)
    a = offline("how much went to claude sonnet in oct?")
    assert [c.args.get("model") for c in a.tool_calls] == ["claude-sonnet-4-5"], a.tool_calls
    assert usd(sonnet) in a.text and usd(anthropic) not in a.text, a.text
    b = offline("what did claude cost us in october?")          # the vendor alone stays the provider
    assert usd(anthropic) in b.text, b.text


# -- my five questions of the review: two were answered for something else -----------------------------------
def test_an_untagged_share_keeps_the_team_it_names(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    # "how much of ml-platform's october spend was untagged?" was the whole company's untagged share
    untagged = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'search' AND coalesce(Tags['team'], '') = '' "
                   "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", *OCTOBER)
    company = sql("SELECT sum(BilledCost) FROM focus_charges WHERE coalesce(Tags['team'], '') = '' "
                  "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", *OCTOBER)
    a = offline("search team: what did their untagged resources cost in october?")
    assert [c.tool for c in a.tool_calls] == ["tag_audit"], a.tool_calls
    assert usd(untagged) in a.text and usd(company) not in a.text, a.text


def test_which_n_of_a_dimension_ranks_that_dimension(offline: Callable[..., Answer], demo_db: Any) -> None:
    # "which three regions did we spend the most in last week?" was every team's spend
    rows = _rows(demo_db, "SELECT ProviderName, sum(BilledCost) AS c FROM focus_charges WHERE ChargePeriodStart >= ? "
                          "AND ChargePeriodStart < ? GROUP BY 1 ORDER BY c DESC", list(OCTOBER))
    a = offline("which two providers cost us the most in october?")
    assert [(c.args.get("group_by"), c.args.get("top")) for c in a.tool_calls] == [("provider", 2)], a.tool_calls
    assert usd(rows[0][1]) in a.text and usd(rows[1][1]) in a.text, a.text


# -- this stop's questions: a count said in words, a count on a movers question, "did we pay" -------------------
SEPTEMBER = ("2026-09-01", "2026-10-01")
_RISES = """SELECT x_team, sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) - sum(BilledCost) FILTER (WHERE ChargePeriodStart < ?) AS d
            FROM charges_allocated WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? AND x_team IS NOT NULL
            GROUP BY 1 HAVING d > 0 ORDER BY d DESC"""


@pytest.mark.parametrize(("q", "n"), [("what three teams climbed the most in october?", 3),
                                      ("which two teams jumped the most in october vs september?", 2)])
def test_a_movers_question_with_a_count_names_that_many(offline: Callable[..., Answer], demo_db: Any,
                                                         q: str, n: int) -> None:
    # "which 3 teams went up the most last month?" listed every team that rose; "which two ..." was "don't know 'two'"
    rises = _rows(demo_db, _RISES, [OCTOBER[0], OCTOBER[0], SEPTEMBER[0], OCTOBER[1]])
    a = offline(q)
    assert a.kind == "answer", a.text
    movers = a.text.split("\n")[0]
    assert [t for t, _ in rises[:n]] == re.findall(r"([a-z-]+) \+\$", movers), movers
    assert all(usd(d).replace("$", "+$") in movers for _, d in rises[:n]), movers


def test_which_x_did_we_pay_the_most_ranks_that_dimension(offline: Callable[..., Answer], demo_db: Any) -> None:
    # "what providers did we pay the most in october?" got the help reply
    (top,) = _rows(demo_db, "SELECT RegionId, sum(BilledCost) AS c FROM focus_charges WHERE ChargePeriodStart >= ? "
                            "AND ChargePeriodStart < ? GROUP BY 1 ORDER BY c DESC LIMIT 1", list(OCTOBER))
    a = offline("which regions have we paid the most in october?")
    assert [c.args.get("group_by") for c in a.tool_calls] == ["region"], a.tool_calls
    assert top[0] in a.text and usd(top[1]) in a.text, a.text


# -- blind round h11's misses, asked in other words than its questions -------------------------------------------
def test_the_week_of_a_day_is_that_calendar_week(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    # "ml-platform spend ... the wk of nov 16 vs the wk of nov 9" was answered for the day Nov 16 alone
    def week_of(monday: str) -> Any:
        return sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'support' AND ChargePeriodStart >= "
                   "CAST(? AS TIMESTAMP) AND ChargePeriodStart < CAST(? AS TIMESTAMP) + INTERVAL 7 DAY", monday, monday)
    later, earlier = week_of("2026-11-09"), week_of("2026-11-02")
    a = offline("support costs in the week of nov 12 compared with the week of nov 5?")
    assert a.kind == "answer", a.text
    assert usd(later) in a.text and usd(earlier) in a.text and usd(abs(later - earlier)) in a.text, a.text


@pytest.mark.parametrize("q", ["mean weekly cost of the data team in november?",
                               "on average, what do we spend per month on aws?",
                               "support's average quarterly bill"])
def test_an_average_per_month_or_week_gets_no_figure(offline: Callable[..., Answer], q: str) -> None:
    # "whats search's avg monthly spend over the last 6 months?" was answered with the 6 months' total
    a = offline(q)
    assert _no_figure(a), a.text


def test_top_with_a_count_in_words_ranks_the_dimension_named(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    # "top four regions by $ this month so far?" got the help reply, then every team's spend
    first = sql("SELECT ProviderName FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? "
                "GROUP BY 1 ORDER BY sum(BilledCost) DESC LIMIT 1", *OCTOBER)
    a = offline("top three providers in october")
    assert [(c.args.get("group_by"), c.args.get("top")) for c in a.tool_calls] == [("provider", 3)], a.tool_calls
    assert first in a.text, a.text


def test_on_track_for_a_budget_is_the_budgets_burn(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    # "is research on track for its november budget?" was "I don't know 'track'" (and, with 'track' known, a
    # 30-day forecast against no budget)
    spent = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = 'data' AND ChargePeriodStart >= "
                "TIMESTAMP '2026-11-01' AND ChargePeriodStart < TIMESTAMP '2026-11-25'")
    a = offline("is the data team on track with their budget this month?")
    assert [c.tool for c in a.tool_calls] == ["budgets"], a.tool_calls
    assert usd(spent) in a.text, a.text


@pytest.mark.parametrize(("q", "team"), [("recsys spend was ~250k in sept, what was it in oct?", "recsys"),
                                         ("search cost around 200k for september. what did it cost for october?", "search")])
def test_a_figure_stated_for_one_month_then_another_asked_answers_the_other(
        offline: Callable[..., Answer], sql: Callable[..., Any], q: str, team: str) -> None:
    # "bigquery was ~12.6k in sept, what did it come to in oct?" got "I could not read 'oct'"
    october = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= ? "
                  "AND ChargePeriodStart < ?", team, *OCTOBER)
    a = offline(q)
    assert a.kind == "answer", a.text
    assert usd(october) in a.text.split(" from ")[0], a.text


@pytest.mark.parametrize("q", ["what have we spent the most on this quarter?", "what costs us the most?",
                               "so what did I pay the most for in september"])
def test_a_ranking_that_names_nothing_to_rank_is_asked_back(offline: Callable[..., Answer], q: str) -> None:
    # "what did we pay the most for in october?" was the month's total broken down by team: a ranking by a
    # dimension nobody named
    a = offline(q)
    assert a.kind == "did_you_mean" and not re.search(r"\$\d", a.text), a.text
    assert "service" in a.text and a.suggestions
    followed = offline(a.suggestions[0])
    assert [c.args.get("group_by") for c in followed.tool_calls] == ["service"], followed.tool_calls


@pytest.mark.parametrize(("q", "start", "days"), [
    ("how much will the data team spend next month?", "2026-12-01", 31),
    ("projected spend for december, just gcp", "2026-12-01", 31),
    ("next week's forecast pls", "2026-11-30", 7),
    ("forecast Q1 2027", "2027-01-01", 90),
])
def test_a_forecast_of_a_later_calendar_period_counts_that_period_only(offline: Callable[..., Answer], q: str,
                                                                      start: str, days: int) -> None:
    # "forecast next month" (asked on 2026-11-25, the demo's today) was the 30 days from 2026-11-25 to 12-24
    a = offline(q)
    calls = [c for c in a.tool_calls if c.tool == "forecast"]
    assert [(c.args.get("start"), c.args.get("horizon_days")) for c in calls] == [(start, days)], a.tool_calls
    assert f"forecast for {start} to " in a.text, a.text


@pytest.mark.parametrize("q", ["forecast for november", "are we on track this month?", "how will this month end up?",
                               "projected total for the rest of the month"])
def test_a_forecast_of_this_month_is_its_month_end_total(offline: Callable[..., Answer], sql: Callable[..., Any],
                                                          q: str) -> None:
    # these got the 30 days ahead (2026-11-25 to 12-24), half of it next month
    so_far = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                 "2026-11-01", "2026-11-25")
    a = offline(q)
    assert a.text.startswith("Month-end projection"), a.text
    assert usd(so_far) in a.text and "forecast 2026-11-25 to 2026-11-30" in a.text, a.text


def test_a_month_name_already_past_is_not_forecast_a_year_ahead(offline: Callable[..., Answer]) -> None:
    a = offline("forecast for october")
    assert _no_figure(a), a.text


@pytest.mark.parametrize("q", ["what was the costliest in september?", "which ones were the priciest last week"])
def test_a_superlative_with_nothing_ranked_is_asked_back(offline: Callable[..., Answer], q: str) -> None:
    # blind round h12: "which one was the most expensive in october?" was October's total by team
    a = offline(q)
    assert a.kind == "did_you_mean" and not re.search(r"\$\d", a.text), a.text


@pytest.mark.parametrize(("q", "start", "days"), [
    ("gcp projection for next qtr", "2027-01-01", 90),
    ("on the current run rate, what does january 2027 come to?", "2027-01-01", 31),
    ("search team next mo?? forecast pls", "2026-12-01", 31),
])
def test_later_periods_in_short_words_are_forecast_on_their_own(offline: Callable[..., Answer], q: str, start: str,
                                                                days: int) -> None:
    a = offline(q)
    assert [(c.tool, c.args.get("start"), c.args.get("horizon_days")) for c in a.tool_calls] == [
        ("forecast", start, days)], (a.tool_calls, a.text)


def test_the_same_month_named_twice_is_read_once(offline: Callable[..., Answer], sql: Callable[..., Any]) -> None:
    # "are we on track this month? where do we land for nov" was "I could not read 'nov'"
    so_far = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
                 "2026-11-01", "2026-11-25")
    a = offline("this month, where will we land for november at this pace?")
    assert a.text.startswith("Month-end projection") and usd(so_far) in a.text, a.text


def test_an_outlook_is_a_forecast(offline: Callable[..., Answer]) -> None:
    # "give me the december outlook for gcp" (asked in December) was December's spend so far
    a = offline("spend outlook for recsys in december?")
    assert [(c.tool, c.args.get("start"), c.args.get("name")) for c in a.tool_calls] == [
        ("forecast", "2026-12-01", "recsys")], a.tool_calls
