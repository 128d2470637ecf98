"""Issue 16, model mode: a model that asks for tool calls without end is cut off by per-question budgets.

The real `finops ask --planner model` / `agent.service.ask` with the real ChatOpenAI, against the loopback
OpenAI-compatible fake (tests/fakes/openai_server.py) playing a model that never stops calling tools.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes.openai_server import FakeOpenAI, Reply, tool_call

from agent.configuration import AgentConfig
from agent.service import ask
from apps.cli.main import app
from tests.cli import CliRunner

CAP = 12                    # the documented default of AgentConfig.max_tool_calls
SPEND = ("spend", {"period": "last week", "group_by": "team"})


def endless(per_reply: int) -> Callable[[dict[str, Any]], Reply]:
    """A model that answers every request with `per_reply` more tool calls, forever."""
    def reply(body: dict[str, Any]) -> Reply:
        return tool_call(*SPEND, *([SPEND] * (per_reply - 1)))
    return reply


@pytest.fixture
def model_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeOpenAI], None]:
    def point_at(server: FakeOpenAI) -> None:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("FINOPS_MODEL", "fake-model")
        monkeypatch.setenv("FINOPS_MODEL_RETRIES", "0")
        monkeypatch.setenv("FINOPS_MODEL_TIMEOUT", "30")
        for name in ("FINOPS_MAX_TOOL_CALLS", "FINOPS_MAX_STEPS", "FINOPS_DB"):
            monkeypatch.delenv(name, raising=False)
    return point_at


def test_ten_thousand_calls_in_one_reply_run_only_the_cap(demo_db: Path, model_env) -> None:
    assert AgentConfig().max_tool_calls == CAP
    with FakeOpenAI(endless(10_000)) as server:
        model_env(server)
        started = time.monotonic()
        result = CliRunner().invoke(app, ["ask", "How much did each team spend last week?", "--db", str(demo_db),
                                          "--planner", "model", "--json"])
        elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert len(answer["tool_calls"]) == CAP
    assert all(c["tool"] == "spend" for c in answer["tool_calls"])
    assert "tool_call_limit" in answer["flags"]
    assert answer["text"].startswith(f"I reached the limit of {CAP} tool calls for one question")
    assert "$" in answer["text"]                         # answered from the results gathered so far
    assert len(server.chat_requests()) == 1              # no second round once the budget is spent
    assert elapsed < 60


def test_a_few_calls_per_round_stop_at_the_cap_across_rounds(demo_db: Path, model_env) -> None:
    with FakeOpenAI(endless(5)) as server:
        model_env(server)
        a = ask("How much did each team spend last week?", db=demo_db, planner="model")
    # Rounds of 5, 5, then 2 of the next 5: 12 run, the rest dropped; three model requests in all.
    assert [c.tool for c in a.tool_calls] == ["spend"] * CAP
    assert "tool_call_limit" in a.flags and a.kind == "answer"
    requests = server.chat_requests()
    assert len(requests) == 3
    sent = [m for m in requests[-1].body["messages"] if m["role"] == "tool"]
    assert len(sent) == 10                                # the model saw the results of the calls it got run


def test_the_cap_can_be_lowered_from_the_environment(demo_db: Path, model_env, monkeypatch) -> None:
    with FakeOpenAI(endless(50)) as server:
        model_env(server)
        monkeypatch.setenv("FINOPS_MAX_TOOL_CALLS", "3")
        a = ask("How much did each team spend last week?", db=demo_db, planner="model")
    assert len(a.tool_calls) == 3 and a.text.startswith("I reached the limit of 3 tool calls")


def test_tool_output_fed_back_is_capped_and_ends_the_turn(demo_db: Path, model_env) -> None:
    with FakeOpenAI(endless(1)) as server:
        model_env(server)
        cfg = AgentConfig.from_env("model", max_tool_output_chars=1_000, max_steps=12)
        a = ask("How much did each team spend last week?", db=demo_db, planner="model", config=cfg)
    assert "tool_output_limit" in a.flags
    assert a.text.startswith("I reached the limit of 1,000 characters of tool results for one question")
    requests = server.chat_requests()
    assert len(requests) < 12                                    # stopped long before the step limit
    for r in requests:
        fed = sum(len(m["content"]) for m in r.body["messages"] if m["role"] == "tool")
        assert fed <= 1_000 + 200 * len(a.tool_calls)          # the cap, plus one cut marker per message
