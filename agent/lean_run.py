"""Running the agent's nodes without LangGraph, for a one-shot offline question (issue 17: cold start).

LangGraph's import (langchain_core's tracers pull in langsmith) is ~0.6 s of a ~1.4 s offline `finops ask`.
A question with no conversation and no model needs none of what LangGraph adds (checkpoints, streaming,
tracing), so it runs here: the same nodes and routes of `agent.nodes`, in the same order, with the same
state update rules (a node's update replaces its keys; `history` goes through its reducer) and the same
step-limit countdown as LangGraph's `RemainingSteps`. Conversations and the model planner run in
`agent.graph`. tests/integration/test_agent_lean_run.py runs the eval questions through both and
compares the answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.nodes import AgentContext, GraphState, after_plan, after_tools, compose_answer, plan, tools
from agent.state import keep_recent


class RecursionLimitReached(RuntimeError):
    """The nodes ran `recursion_limit` times without reaching the end (LangGraph's GraphRecursionError)."""


@dataclass(frozen=True)
class LeanRuntime:
    context: AgentContext


Node = Callable[[GraphState, LeanRuntime], dict[str, Any]]
NODES: dict[str, Node] = {"plan": plan, "tools": tools, "compose": compose_answer}
ROUTES: dict[str, Callable[[GraphState], str]] = {"plan": after_plan, "tools": after_tools}
REDUCERS: dict[str, Callable[[Any, Any], Any]] = {"history": keep_recent}


def run(turn: GraphState, context: AgentContext, *, recursion_limit: int) -> GraphState:
    """The final state of one turn: plan first, then wherever the routes lead, until compose has run."""
    state: dict[str, Any] = {"history": [], **turn}
    runtime = LeanRuntime(context)
    node = "plan"
    for step in range(1, recursion_limit + 1):
        # LangGraph's RemainingSteps at the n-th node of a fresh thread: recursion_limit - n
        state["remaining_steps"] = recursion_limit - step
        update = NODES[node](state, runtime)   # type: ignore[arg-type]
        for key, value in update.items():
            state[key] = REDUCERS[key](state.get(key), value) if key in REDUCERS else value
        if node == "compose":
            state.pop("remaining_steps", None)
            return state  # type: ignore[return-value]
        node = ROUTES[node](state)  # type: ignore[arg-type]
    raise RecursionLimitReached(f"no answer after {recursion_limit} steps")
