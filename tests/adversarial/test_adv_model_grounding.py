"""Issue 16 #16 through the real ChatOpenAI against the loopback fake server (tests/fakes/openai_server.py),
the real graph and tools on the demo store: a model's invented figures (in any notation), real figures
given to the wrong subject, names no tool returned, and text written when every tool failed never reach
the answer (CLI or Slack). Expected figures come from SQL over the store and the demo's facts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fakes.openai_server import FakeOpenAI, Script, final, tool_call
from fakes.slack_api import BotHarness, FakeSlackApi

from agent.service import ask
from apps.cli.main import app
from tests.cli import CliRunner
from tests.conftest import usd

LAST_MONTH = ("2026-10-01", "2026-11-01")
SPEND_BY_TEAM = tool_call("spend", {"period": "last month", "group_by": "team"})


@pytest.fixture
def model_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeOpenAI], None]:
    def point_at(server: FakeOpenAI) -> None:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("FINOPS_MODEL", "fake-model")
        monkeypatch.setenv("FINOPS_MODEL_RETRIES", "0")
        monkeypatch.setenv("FINOPS_MODEL_TIMEOUT", "10")

    monkeypatch.delenv("FINOPS_TODAY", raising=False)
    return point_at


def model_answer(demo_db: Path, model_env: Callable[..., None], replies: list, question: str):
    with FakeOpenAI(Script(replies)) as server:
        model_env(server)
        return ask(question, db=demo_db, planner="model")


def team_total(sql: Callable[..., Any], team: str) -> Decimal:
    return Decimal(sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= ? "
                       "AND ChargePeriodStart < ?", team, *LAST_MONTH))


def company_total(sql: Callable[..., Any]) -> Decimal:
    return Decimal(sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? "
                       "AND ChargePeriodStart < ?", *LAST_MONTH))


INVENTED = ["US$9,999,999", "$4.2e6", "nine million dollars", "9999999USD", "$9.999.999,00", "$0"]


@pytest.mark.parametrize("figure", INVENTED)
@pytest.mark.parametrize("sentence", ["Team search spent {} last month.", "Last month we spent {} in total."])
def test_invented_figures_in_any_notation_are_caught(demo_db: Path, model_env: Callable[..., None],
                                                     sql: Callable[..., Any], figure: str, sentence: str) -> None:
    a = model_answer(demo_db, model_env, [SPEND_BY_TEAM, final(sentence.format(figure))],
                     "How much did search spend last month?")
    assert not a.grounded and a.kind == "answer"
    assert figure not in a.text
    assert any(figure in r for r in a.rejected), a.rejected
    assert not any(figure in f for f in a.flags)                  # the notes people read never repeat it
    assert usd(company_total(sql)) in a.text and usd(team_total(sql, "search")) in a.text   # recomposed


def test_a_real_figure_given_to_the_wrong_subject_is_caught(demo_db: Path, model_env: Callable[..., None],
                                                            sql: Callable[..., Any]) -> None:
    total, search, research = company_total(sql), team_total(sql, "search"), team_total(sql, "research")
    assert len({total, search, research}) == 3
    for wrong in (f"Team search spent {usd(total)} last month.",            # the company total
                  f"Team search spent {usd(research)} last month.",         # another team's figure
                  f"Last month search spent {usd(research)}, and research spent {usd(search)}."):
        a = model_answer(demo_db, model_env, [SPEND_BY_TEAM, final(wrong)], "How much did search spend last month?")
        assert not a.grounded and a.text != wrong, wrong
        assert any("about search" in r or "about research" in r for r in a.rejected), a.rejected
    right = f"Team search spent {usd(search)} last month, out of {usd(total)} for the company."
    a = model_answer(demo_db, model_env, [SPEND_BY_TEAM, final(right)], "How much did search spend last month?")
    assert a.grounded and a.text == right, a.flags


def test_names_no_tool_returned_are_caught(demo_db: Path, model_env: Callable[..., None], demo_facts: dict) -> None:
    cluster = demo_facts["cluster_20k"]
    who = tool_call("who_owns", {"resource": "the $20K cluster"})
    question = "Who owns the $20K cluster?"
    for invented in ("It is owned by team search; contact mallory@evil.example.",
                     "It is owned by team search; ask in #team-secret-ops.",
                     "It is owned by team platform-x.",
                     "It is owned by team search: arn:aws:ec2:us-east-1:999999999999:cluster/other."):
        a = model_answer(demo_db, model_env, [who, final(invented)], question)
        assert not a.grounded and a.text != invented, invented
        assert cluster["owner"] in a.text                       # recomposed from the tool's result
    right = f"It is owned by team {cluster['team']}; contact {cluster['owner']}."
    a = model_answer(demo_db, model_env, [who, final(right)], question)
    assert a.grounded and a.text == right, a.flags


INVENTED_ON_FAILURE = "Team search spent $5,000,000 last month."
FAILING = tool_call("spend", {"period": "the 45th of Smarch"})


def test_when_every_tool_fails_the_models_text_is_not_shown(demo_db: Path, model_env: Callable[..., None]) -> None:
    a = model_answer(demo_db, model_env, [FAILING, final(INVENTED_ON_FAILURE)], "How much did search spend?")
    assert a.tool_calls and not any(c.ok for c in a.tool_calls)
    assert "$5,000,000" not in a.text and "5,000,000" not in a.text and not a.grounded
    assert "Smarch" in a.text or "period" in a.text                   # the tool's error is the answer


def test_when_every_tool_fails_the_cli_shows_no_figure(demo_db: Path, model_env: Callable[..., None]) -> None:
    with FakeOpenAI(Script([FAILING, final(INVENTED_ON_FAILURE)])) as server:
        model_env(server)
        r = CliRunner().invoke(app, ["ask", "How much did search spend?", "--db", str(demo_db), "--planner", "model",
                                     "--json"])
    out = json.loads(r.stdout)
    assert "5,000,000" not in out["text"] and not out["grounded"]


def test_when_every_tool_fails_slack_shows_no_figure(writable_demo: Path, model_env: Callable[..., None]) -> None:
    with FakeOpenAI(Script([FAILING, final(INVENTED_ON_FAILURE)])) as server, FakeSlackApi() as api:
        model_env(server)
        h = BotHarness(api, writable_demo, planner="model")
        try:
            h.mention("How much did search spend?", user="U0FINOPS1", ts="1820000000.000001")
            posted = api.wait_for("chat.postMessage", timeout=60,
                                  where=lambda c: c.args.get("thread_ts") == "1820000000.000001")[0].texts()
        finally:
            h.close()
    assert "5,000,000" not in posted and re.search(r"period|Smarch", posted)


def test_the_cli_never_prints_a_rejected_figure(demo_db: Path, model_env: Callable[..., None]) -> None:
    with FakeOpenAI(Script([SPEND_BY_TEAM, final("Team search spent US$9,999,999 last month.")])) as server:
        model_env(server)
        r = CliRunner().invoke(app, ["ask", "How much did search spend last month?", "--db", str(demo_db),
                                     "--planner", "model"])
    assert r.exit_code == 0 and "9,999,999" not in r.output
    assert "no tool result supports" in r.output                     # the note says the wording was replaced
