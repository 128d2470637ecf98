"""The grounding check on its own (pure functions, no store): figures in every notation, figures with
their subject, names against the results, and no figure without a tool result."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.grounding import claims
from agent.grounding_subjects import check_answer

SPEND = {"tool": "spend", "ok": True, "args": {"period": "last month", "group_by": "team"},
         "result": {"total_billed": "1379756.97", "rows": [
             {"key": "search", "billed": "216152.47", "share": "0.1567", "change": "14334.55", "charges": 0},
             {"key": "research", "billed": "181021.01", "share": "0.1312"}]},
         "summary": "Billed cost in last month was $1,379,756.97. By team: search $216,152.47 (15.7%); "
                    "research $181,021.01 (13.1%).",
         "table": {"columns": ["team", "billed"], "rows": [["search", "$216,152.47"], ["research", "$181,021.01"]]}}
SEARCH_ONLY = {"tool": "spend", "ok": True, "args": {"period": "last month", "team": "search"},
               "result": {"total_billed": "216152.47", "rows": []}, "summary": "Team search spent $216,152.47."}
OWNER = {"tool": "who_owns", "ok": True, "args": {"resource": "the $20K cluster"},
         "result": {"team": "search", "owner": "raj.patel@acme.ai", "slack_channel": "#team-search",
                    "resource": {"resource_id": "arn:aws:ec2:us-east-1:210987654321:cluster/llm-serving-h100-a",
                                 "run_rate_monthly": "20160.00"}},
         "summary": "The $20,160.00/month resource is owned by team search (raj.patel@acme.ai, Slack #team-search)."}


@pytest.mark.parametrize(("text", "value", "money"), [
    ("US$9,999,999", "9999999", True), ("USD 5,000", "5000", True), ("9999999USD", "9999999", True),
    ("20160 dollars", "20160", True), ("$4.2e6", "4200000", True), ("$9.999.999,00", "9999999", True),
    ("nine million dollars", "9000000", True), ("a hundred thousand", "100000", False),
    ("twenty percent", "20", False), ("$0", "0", True), ("4,2%", "4.2", False),
])
def test_figures_in_every_notation_are_claims(text: str, value: str, money: bool) -> None:
    [claim] = claims(f"It was {text} last month.")
    assert claim.value * claim.scale == Decimal(value) and claim.money is money


def test_small_counts_in_words_are_not_claims() -> None:
    assert claims("one of the two teams") == []


@pytest.mark.parametrize("text", [
    "Team search spent $216,152.47 last month.",
    "Search spent $216.2K, research $181,021.01.",
    "Last month we spent $1.38M in total; search was 15.7% of it.",
    "Team search spent $216,152.47, out of $1,379,756.97 for the company.",
])
def test_figures_with_their_own_subject_pass(text: str) -> None:
    report = check_answer(text, [SPEND])
    assert report.grounded, report.unsupported


@pytest.mark.parametrize("text", [
    "Team search spent $1,379,756.97 last month.",          # the company total
    "Team search spent $181,021.01 last month.",            # research's figure
    "Research spent $216,152.47 and search spent $181,021.01.",
    "Team platform spent $216,152.47 last month.",          # a team no result names
])
def test_a_real_figure_with_the_wrong_subject_fails(text: str) -> None:
    assert not check_answer(text, [SPEND]).grounded


def test_a_filtered_result_is_about_its_filter() -> None:
    assert check_answer("Team search spent $216,152.47.", [SEARCH_ONLY]).grounded
    assert not check_answer("Team research spent $216,152.47.", [SEARCH_ONLY]).grounded


def test_zero_needs_an_exact_money_zero() -> None:
    assert not check_answer("Team search spent $0 last month.", [SPEND]).grounded   # a share, a count: no money
    assert not check_answer("It cost $0.", [OWNER]).grounded


def test_names_must_come_from_a_result() -> None:
    assert check_answer("Owned by team search: raj.patel@acme.ai, #team-search.", [OWNER]).grounded
    for bad in ("Ask mallory@evil.example.", "Ask in #secret-ops.", "Owned by team growth.",
                "It is arn:aws:ec2:us-east-1:999999999999:cluster/other."):
        report = check_answer(bad, [OWNER])
        assert not report.grounded, bad


def test_no_tool_result_no_figure() -> None:
    failed = {"tool": "spend", "ok": False, "args": {"period": "smarch"}, "error": "cannot understand the period"}
    assert not check_answer("Team search spent $5,000,000.", [failed]).grounded
    assert not check_answer("Team search spent $5,000,000.", []).grounded
    assert check_answer("You asked about $5,000,000; I have no result for it.", [], question="is $5M a lot?").grounded
    assert check_answer("I can answer 3 kinds of questions.", []).grounded


@pytest.mark.parametrize("text", ["Team search spent＄９,９９９,９９９.", "Team search spent 9\u200b999\u200b999 dollars.",
                                  "Team search spent$9,999,999."])
def test_hidden_or_full_width_figures_are_claims(text: str) -> None:
    from agent.grounding import normalize

    assert not check_answer(normalize(text), [SPEND]).grounded
