"""The lean runner (agent.lean_run, issue 17: cold start) against LangGraph: the same nodes run both ways
must give the same answer. A one-shot offline question takes the lean path; FINOPS_LANGGRAPH=1 (here:
service.LANGGRAPH_ALWAYS) sends it through the compiled LangGraph graph instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent import lean_run, service
from agent.configuration import AgentConfig
from agent.nodes import AgentContext, GraphState
from agent.planning import PlanStep
from agent.state import AgentState, new_turn
from evals.runner import SETS
from evals.spec import load_set
from knowledge.store import Store


def _comparable(answer: Any) -> dict[str, Any]:
    """What a person or a surface reads of an answer; the evidence's timings differ between two runs."""
    data = answer.model_dump(mode="json")
    return {k: data[k] for k in ("text", "kind", "tool_calls", "tables", "suggestions", "flags", "grounded")}


def _both_ways(question: str, db: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    monkeypatch.setattr(service, "LANGGRAPH_ALWAYS", False)
    lean = service.ask(question, db=db, planner="offline")
    monkeypatch.setattr(service, "LANGGRAPH_ALWAYS", True)
    graph = service.ask(question, db=db, planner="offline")
    return lean, graph


# Every 20th single question of every demo and held-out set: ~50 questions of every kind (answers,
# refusals, did-you-mean, two-round plans), written by others than the runner's author.
SAMPLE = [q.q for name in SETS if name != "focus" for q in load_set(name) if not q.session][::20]


def test_the_sample_covers_every_kind_of_reply() -> None:
    assert len(SAMPLE) >= 45


@pytest.mark.parametrize("question", SAMPLE)
def test_lean_and_langgraph_give_the_same_answer(question: str, demo_db: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    lean, graph = _both_ways(question, demo_db, monkeypatch)
    assert _comparable(lean) == _comparable(graph)


def test_a_one_shot_offline_question_takes_the_lean_path(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[int] = []
    real = lean_run.run

    def counting(*args: Any, **kwargs: Any) -> Any:
        ran.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "LANGGRAPH_ALWAYS", False)
    monkeypatch.setattr(lean_run, "run", counting)
    service.ask("how much did search spend last month?", db=demo_db, planner="offline")
    assert ran == [1]
    service.ask("how much did search spend last month?", db=demo_db, planner="offline", session_id="lean-1")
    assert ran == [1]                       # a conversation runs in LangGraph (its checkpointer keeps turns)


class EndlessPlanner:
    """Asks for one more spend call every round: only the step limit ends the turn."""

    name = "offline"

    def plan(self, state: AgentState, store: Store) -> PlanStep:
        n = len(state.get("outcomes") or [])
        return PlanStep(calls=[{"id": f"c{n}", "tool": "spend", "args": {"group_by": "team"}}])


def test_the_step_limit_ends_the_turn_the_same_way(demo_store: Store) -> None:
    from agent.graph import build_graph

    cfg = AgentConfig.from_env("offline", max_steps=4, max_tool_calls=50)
    limit = 3 * cfg.max_steps + 6
    context = AgentContext(store=demo_store, planner=EndlessPlanner(), config=cfg)  # type: ignore[arg-type]
    turn = GraphState(**new_turn("spend by team, again and again", "offline"))
    lean = lean_run.run(turn, context, recursion_limit=limit)
    graph = build_graph().invoke(turn, {"recursion_limit": limit, "configurable": {"thread_id": "t"}},  # type: ignore[arg-type]
                                 context=context)
    assert lean["steps"] == graph["steps"] == cfg.max_steps
    assert lean["step_limited"] and graph["step_limited"]
    assert len(lean["outcomes"]) == len(graph["outcomes"]) == cfg.max_steps
    assert lean["answer"]["text"] == graph["answer"]["text"]
