"""The model planner's HTTP exchanges, recorded as cassettes (tests/integration/cassettes/*.json) and replayed
by the loopback OpenAI-compatible server: the real `ChatOpenAI`, graph, tools and demo store on disk.

Replay (the default) fails when a request the client sends differs from the recorded one in what matters
(request parameters, the tools bound with their schemas, every message's role, content and tool-call ids:
tests/fakes/cassettes.py), so a change in the prompts or the tool binding is a cassette diff; the answer's
figures and names are checked against independent SQL and the demo facts, never against the code under test.

Recording (tests/integration/cassettes/README.md):

    FINOPS_RECORD_CASSETTES=1 OPENAI_API_KEY=sk-… [FINOPS_MODEL=gpt-4o-mini] \\
        python3 -m pytest -p no:xdist tests/integration/test_model_cassettes.py -k record

sends each question to the real API (through a recording proxy on loopback, so the key is never written)
and rewrites the cassette if the answer checks pass. `FINOPS_RECORD_CASSETTES=scripted` records against
the scripted stand-in model below instead (no key, no network): that is how a cassette is refreshed after
an intended prompt or schema change when no key is at hand, and the cassette says which source made it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes import cassettes
from fakes.openai_server import FakeOpenAI, estimate_tokens, prompt_tokens

from agent.answer import Answer
from agent.service import ask
from tests.conftest import usd

MODE = os.environ.get("FINOPS_RECORD_CASSETTES", "").strip().lower()
REAL_KEY = os.environ.get("OPENAI_API_KEY")            # read before any test points the client at loopback
UPSTREAM = os.environ.get("FINOPS_RECORD_BASE_URL", "https://api.openai.com/v1")
RECORD_MODEL = os.environ.get("FINOPS_MODEL", "gpt-4o-mini")
TEAM_MONTH = ("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= CAST(? AS DATE) "
              "AND ChargePeriodStart < CAST(? AS DATE)")
MONTH = "SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= CAST(? AS DATE) AND ChargePeriodStart < CAST(? AS DATE)"


# -- the scripted stand-in model (used only when recording with FINOPS_RECORD_CASSETTES=scripted) ---------------
def completion(body: dict[str, Any], n: int, content: str | None = None,
               calls: list[tuple[str, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """A chat.completion as the API returns it; ids are stable so a re-record changes only what changed."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if calls:
        message["tool_calls"] = [{"id": f"call_{n}{i}_{name}", "type": "function",
                                  "function": {"name": name, "arguments": json.dumps(args)}}
                                 for i, (name, args) in enumerate(calls)]
    prompt = prompt_tokens(body)
    out = estimate_tokens(content or "") + sum(estimate_tokens(n + json.dumps(a)) for n, a in calls or [])
    return {"id": f"chatcmpl-cassette-{n}", "object": "chat.completion", "created": 1764057600,
            "model": body.get("model"), "system_fingerprint": None,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out}}


def last_tool_result(body: dict[str, Any]) -> str:
    return [m for m in body["messages"] if m["role"] == "tool"][-1]["content"]


def quote_first_figure(template: str) -> Callable[[dict[str, Any], int], dict[str, Any]]:
    """A reply stating the first dollar figure of the last tool result, as written there."""
    def reply(body: dict[str, Any], n: int) -> dict[str, Any]:
        figure = re.search(r"\$[\d,]+\.\d{2}", last_tool_result(body))
        return completion(body, n, template.format(figure.group(0) if figure else "no figure"))
    return reply


def call(name: str, args: dict[str, Any]) -> Callable[[dict[str, Any], int], dict[str, Any]]:
    return lambda body, n: completion(body, n, calls=[(name, args)])


class StandIn:
    def __init__(self, replies: list[Callable[[dict[str, Any], int], dict[str, Any]]]):
        self.replies, self.n = list(replies), 0

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        return self.replies.pop(0)(body, self.n)


# -- the questions ------------------------------------------------------------------------------------------------
@dataclass
class Case:
    questions: Callable[[dict[str, Any]], list[str]]                    # from the demo facts
    stand_in: Callable[[dict[str, Any]], list[Callable[[dict[str, Any], int], dict[str, Any]]]]
    check: Callable[[list[Answer], Callable[..., Any], dict[str, Any]], None]


def check_spend(answers: list[Answer], sql: Callable[..., Any], facts: dict[str, Any]) -> None:
    [a] = answers
    assert a.kind == "answer" and a.planner == "model" and a.grounded, (a.text, a.flags)
    assert [c.tool for c in a.tool_calls] == ["spend"]
    assert usd(sql(MONTH, "2026-10-01", "2026-11-01")) in a.text      # last month of the demo (as of 2026-11-25)


def check_owner(answers: list[Answer], sql: Callable[..., Any], facts: dict[str, Any]) -> None:
    [a] = answers
    cluster = facts["cluster_20k"]
    assert a.kind == "answer" and a.grounded, (a.text, a.flags)
    assert [c.tool for c in a.tool_calls] == ["who_owns"]
    assert cluster["owner"] in a.text and cluster["team"] in a.text


def check_follow_up(answers: list[Answer], sql: Callable[..., Any], facts: dict[str, Any]) -> None:
    october, september = answers
    assert october.grounded and september.grounded, (october.flags, september.flags)
    assert [c.args.get("team") for c in october.tool_calls + september.tool_calls] == ["search", "search"]
    assert usd(sql(TEAM_MONTH, "search", "2026-10-01", "2026-11-01")) in october.text
    assert usd(sql(TEAM_MONTH, "search", "2026-09-01", "2026-10-01")) in september.text


CASES: dict[str, Case] = {
    "spend_last_month": Case(
        lambda facts: ["How much did we spend last month?"],
        lambda facts: [call("spend", {"period": "last month"}), quote_first_figure("We spent {} last month.")],
        check_spend),
    "who_owns_cluster": Case(
        lambda facts: [f"Who owns {facts['cluster_20k']['resource_id']}?"],
        lambda facts: [call("who_owns", {"resource": facts["cluster_20k"]["resource_id"]}),
                       lambda body, n: completion(body, n, f"It is owned by {facts['cluster_20k']['owner']} "
                                                           f"of team {facts['cluster_20k']['team']}.")],
        check_owner),
    "follow_up_search_team": Case(
        lambda facts: ["How much did the search team spend in October 2026?", "and in September?"],
        lambda facts: [call("spend", {"period": "October 2026", "team": "search"}),
                       quote_first_figure("Team search spent {} in October 2026."),
                       call("spend", {"period": "September 2026", "team": "search"}),
                       quote_first_figure("Team search spent {} in September 2026.")],
        check_follow_up),
}


# -- running a conversation -----------------------------------------------------------------------------------------
@pytest.fixture
def model_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeOpenAI, str], None]:
    def point_at(server: FakeOpenAI, model: str) -> None:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")      # the recording proxy adds the real key upstream
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("FINOPS_MODEL", model)
        monkeypatch.setenv("FINOPS_MODEL_RETRIES", "0")
        monkeypatch.setenv("FINOPS_MODEL_TIMEOUT", "120")

    monkeypatch.delenv("FINOPS_TODAY", raising=False)
    return point_at


def converse(questions: list[str], demo_db: Path, tmp_path: Path) -> list[Answer]:
    db = demo_db
    if len(questions) > 1:                        # a conversation keeps its memory beside the store: a private copy
        db = Path(shutil.copy(demo_db, tmp_path / "demo.duckdb"))
    session = "cassette" if len(questions) > 1 else None
    return [ask(q, db=db, session_id=session, planner="model") for q in questions]


@pytest.mark.parametrize("name", list(CASES))
def test_replayed_exchanges_match_the_cassette_and_answer_from_the_store(
        name: str, demo_db: Path, tmp_path: Path, model_env: Callable[[FakeOpenAI, str], None],
        sql: Callable[..., Any], facts: dict[str, Any]) -> None:
    case, cassette = CASES[name], cassettes.load(name)
    assert cassette["questions"] == case.questions(facts), "the cassette was recorded for other questions"
    replayer = cassettes.Replayer(cassette)
    with FakeOpenAI(replayer) as server:
        model_env(server, cassette["model"])
        answers = converse(cassette["questions"], demo_db, tmp_path)
    assert not replayer.mismatches, ("the client sent requests the cassette does not hold (re-record if the change "
                                     "is intended: tests/integration/cassettes/README.md):\n" + "\n".join(replayer.mismatches))
    assert replayer.unused() == 0, f"{replayer.unused()} recorded exchange(s) were never asked for"
    case.check(answers, sql, facts)
    spent = sum(e["response"]["usage"]["prompt_tokens"] for e in cassette["exchanges"])
    assert answers[-1].tokens is not None and sum(a.tokens.prompt_tokens for a in answers if a.tokens) == spent


def test_a_changed_request_fails_the_replay_with_what_changed(demo_db: Path, tmp_path: Path,
                                                              model_env: Callable[[FakeOpenAI, str], None]) -> None:
    """The replayer's own check: a cassette whose tool schema or system prompt differs from what the client
    sends is reported with the path of each difference, and the request is refused."""
    cassette = cassettes.load("spend_last_month")
    cassette["tools"]["spend"]["parameters"] = {**cassette["tools"]["spend"]["parameters"], "required": ["nonsense"]}
    cassette["exchanges"][0]["request"]["messages"][0]["content"] += " (an older prompt)"
    replayer = cassettes.Replayer(cassette)
    with FakeOpenAI(replayer) as server:
        model_env(server, cassette["model"])
        answer = ask(cassette["questions"][0], db=demo_db, planner="model")
    assert answer.kind == "error" and replayer.served == 1
    assert any(m.startswith("request 1.messages[0].content: recorded") for m in replayer.mismatches), replayer.mismatches
    assert any(m.startswith("request 1.tool.spend.parameters.required") for m in replayer.mismatches), replayer.mismatches


@pytest.mark.skipif(MODE not in ("1", "scripted") or (MODE == "1" and not REAL_KEY),
                    reason="recording: FINOPS_RECORD_CASSETTES=1 with OPENAI_API_KEY (the real API), or "
                           "FINOPS_RECORD_CASSETTES=scripted (the stand-in model); replay covers the cassettes")
@pytest.mark.parametrize("name", list(CASES))
def test_record(name: str, demo_db: Path, tmp_path: Path, model_env: Callable[[FakeOpenAI, str], None],
                sql: Callable[..., Any], facts: dict[str, Any]) -> None:
    case = CASES[name]
    if MODE == "1":
        recorder = cassettes.Recorder(upstream=UPSTREAM, api_key=REAL_KEY)
        source = f"{UPSTREAM} (recorded)"
    else:
        recorder = cassettes.Recorder(respond=StandIn(case.stand_in(facts)))
        source = "scripted stand-in model (tests/integration/test_model_cassettes.py), the real ChatOpenAI's requests"
    questions = case.questions(facts)
    with FakeOpenAI(recorder) as server:
        model_env(server, RECORD_MODEL)
        answers = converse(questions, demo_db, tmp_path)
    case.check(answers, sql, facts)                       # a recording is kept only if it answers right
    path = cassettes.save(recorder.cassette(name, questions, source))
    assert json.loads(path.read_text())["exchanges"]
