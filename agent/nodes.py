"""The agent's nodes and routes: plan -> tools -> (plan again while the planner asks for more, up to a step
limit) -> compose. Plain functions of (state, runtime) with no LangGraph import: `agent.graph` wires them into
a LangGraph StateGraph (the model planner, conversations); `agent.lean_run` runs the very same functions in
the same order for a one-shot offline question, without importing LangGraph (issue 17: cold start).

Budgets per question (issue 16: a model asking for 10,000 tool calls ran past 300 s): at most
`max_steps` planning rounds, at most `max_tool_calls` tool calls over all rounds (calls past it are
dropped, never run), and no further planning once the tool results fed back to the model reach
`max_tool_output_chars`. When a budget stops the turn, the answer is composed from the results gathered
so far, with a note saying which limit was reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from agent.composer import compose
from agent.configuration import AgentConfig
from agent.digest import digest
from agent.execution import execute
from agent.planning import Planner
from agent.state import AgentState, ToolOutcome, Turn
from knowledge.store import Store

MAX_KEYS = 50
CALL_LIMIT_NOTE = ("I reached the limit of {n} tool calls for one question (more were asked for); "
                   "here is what I found so far.")
OUTPUT_LIMIT_NOTE = ("I reached the limit of {n:,} characters of tool results for one question; "
                     "here is what I found so far.")


class GraphState(AgentState, total=False):
    budget_hit: str | None           # "calls" | "output" when a per-question budget stopped the turn


@dataclass
class AgentContext:
    store: Store
    planner: Planner
    config: AgentConfig


class HasContext(Protocol):
    """What a node needs of LangGraph's `Runtime` (and of agent.lean_run's stand-in): the context."""

    @property
    def context(self) -> AgentContext: ...


def plan(state: GraphState, runtime: HasContext) -> dict[str, Any]:
    ctx = runtime.context
    cfg = ctx.config
    steps = state.get("steps", 0)
    fresh: dict[str, Any] = {"budget_hit": None} if steps == 0 else {}   # the field outlives a turn otherwise
    # The step limit: stop planning and answer with what the tools gave so far (never loop forever,
    # never hit LangGraph's recursion error).
    remaining = cast(Mapping[str, Any], state).get("remaining_steps", 99)   # LangGraph's managed value
    if steps >= cfg.max_steps or remaining <= 2:
        return {"step_limited": True, "pending": []}
    outcomes = state.get("outcomes") or []
    if len(outcomes) >= cfg.max_tool_calls:
        return {"budget_hit": "calls", "pending": []}
    if steps and _output_chars(outcomes, cfg) >= cfg.max_tool_output_chars:
        return {"budget_hit": "output", "pending": []}
    step = ctx.planner.plan(state, ctx.store)
    calls = list(step.calls)
    allowed = cfg.max_tool_calls - len(outcomes)
    if len(calls) > allowed:         # never run what is past the budget; answer from what was run
        calls = calls[:allowed]
        fresh["budget_hit"] = "calls"
    update: dict[str, Any] = {
        **fresh,
        "steps": steps + 1,
        "prompt_tokens": state.get("prompt_tokens", 0) + step.prompt_tokens,
        "completion_tokens": state.get("completion_tokens", 0) + step.completion_tokens,
        "pending": calls,
    }
    if step.focus:
        update["focus"] = list(step.focus)
    if step.scale:
        update["scale"] = step.scale
    if step.preface:
        update["preface"] = step.preface
    if step.derive:
        update["derive"] = list(step.derive)
    if calls:
        update["rounds"] = [*(state.get("rounds") or []), calls]
    else:
        update["reply"] = step.reply or {"kind": "answer", "text": ""}
    return update


def tools(state: AgentState, runtime: HasContext) -> dict[str, Any]:
    store = runtime.context.store
    outcomes = [execute(store, call) for call in state.get("pending") or []]
    return {"outcomes": [*(state.get("outcomes") or []), *outcomes], "pending": []}


def _output_chars(outcomes: list[ToolOutcome], cfg: AgentConfig) -> int:
    """Characters of tool results the model has been (or would be) sent this turn."""
    return sum(len(digest(o, rows=cfg.rows_for_model)[0]) for o in outcomes)


def compose_answer(state: GraphState, runtime: HasContext) -> dict[str, Any]:
    cfg = runtime.context.config
    answer = compose(state, max_steps=cfg.max_steps)
    hit = state.get("budget_hit")
    if hit:
        note = (CALL_LIMIT_NOTE.format(n=cfg.max_tool_calls) if hit == "calls"
                else OUTPUT_LIMIT_NOTE.format(n=cfg.max_tool_output_chars))
        answer.text = note + ("\n\n" + answer.text if answer.text else "")
        answer.flags.append("tool_call_limit" if hit == "calls" else "tool_output_limit")
    turn: Turn = {
        "question": answer.question,
        "planner": answer.planner,
        "kind": answer.kind,
        "text": answer.text,
        "calls": [{"tool": o["tool"], "args": o.get("args") or {}} for o in state.get("outcomes") or [] if o.get("ok")],
        "keys": result_keys(state.get("outcomes") or []),
        "subjects": result_subjects(state.get("outcomes") or []),
    }
    return {"answer": answer.model_dump(mode="json"), "history": [turn]}


def after_plan(state: GraphState) -> Literal["tools", "compose"]:
    return "tools" if state.get("pending") else "compose"


def after_tools(state: GraphState) -> Literal["plan", "compose"]:
    # A name that does not resolve ends the turn: the user is asked ("did you mean"), never guessed for.
    if any(o.get("error_kind") == "unknown_name" for o in state.get("outcomes") or []):
        return "compose"
    if state.get("budget_hit"):      # the planner asked for more calls than the budget: no more rounds
        return "compose"
    return "plan"


def result_keys(outcomes: list[ToolOutcome]) -> list[list[str]]:
    """The things the answer listed ("those" in the next question): for each, its key and its name, from
    the first successful result's accessors."""
    first = next((o for o in outcomes if o.get("ok")), None)
    return list(first.get("listed") or [])[:MAX_KEYS] if first else []


def result_subjects(outcomes: list[ToolOutcome]) -> list[str]:
    """The resource ids the answer is about (its first successful result), best first, deduplicated."""
    first = next((o for o in outcomes if o.get("ok")), None)
    return list(first.get("subjects") or [])[:MAX_KEYS] if first else []
