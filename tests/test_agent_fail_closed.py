"""Fail closed: a word nobody understood, or a name that is not in the data, gets a clarification and no
figure — never the company total or another team's spend (through the real offline agent on a demo store)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.service import ask

ROOT = Path(__file__).resolve().parent.parent
MONEY = re.compile(r"\$\s?\d")


def offline(db: Path, q: str):
    return ask(q, db=db, planner="offline")


@pytest.mark.parametrize("question, word", [
    ("how much did we spend on blorp last month", "blorp"),
    ("how much did we spend on snowflake last month", "snowflake"),
    ("what did the zorblax service cost in october", "zorblax"),
    ("spend by team last month for quuxcorp", "quuxcorp"),
])
def test_an_unknown_word_gets_no_figure(demo_db: Path, question: str, word: str):
    a = offline(demo_db, question)
    assert a.kind == "did_you_mean", a.text
    assert f"'{word}'" in a.text and not MONEY.search(a.text)
    assert not a.tool_calls, "no tool runs for a question that is not understood"


@pytest.mark.parametrize("question, kind, name", [
    ("how much did the billing team spend last month", "team", "billing"),
    ("what did the payments team spend in october", "team", "payments"),
    ("last month's cost for team frobnicate", "team", "frobnicate"),
])
def test_a_kind_word_with_an_unknown_name_says_there_is_no_such_name(demo_db: Path, demo_facts, question, kind, name):
    a = offline(demo_db, question)
    assert a.kind == "did_you_mean"
    assert f"There is no {kind} '{name}' in the data" in a.text and not MONEY.search(a.text)


def _answerable() -> list[str]:
    """Questions of the public demo set whose expected answer is a figure (kind number)."""
    out: list[str] = []
    for f in sorted((ROOT / "evals" / "questions").glob("demo_*.yaml")):
        for q in yaml.safe_load(f.read_text(encoding="utf-8"))["questions"]:
            if q.get("kind") == "number" and "conversation" not in q and "$" not in q["q"]:
                out.append(q["q"])
    return out


ANSWERABLE = _answerable()
NONSENSE = ["blorp", "zorblax", "quuxly", "frabjous", "snargle", "wibbleco", "glorpnet", "plonkify"]


def test_there_are_enough_answerable_questions():
    assert len(ANSWERABLE) >= 50


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_inserting_an_unknown_content_word_turns_any_answer_into_a_clarification(demo_db: Path, data):
    question = data.draw(st.sampled_from(ANSWERABLE))
    word = data.draw(st.sampled_from(NONSENSE))
    where = data.draw(st.sampled_from(["on", "for", "end"]))
    q = f"{question.rstrip('?')} for {word}?" if where == "end" else f"{question.rstrip('?')} {where} {word}?"
    a = offline(demo_db, q)
    assert a.kind != "answer" and not MONEY.search(a.text), f"{q!r} -> {a.text[:200]}"
