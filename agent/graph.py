"""The agent graph: plan -> tools -> (plan again while the planner asks for more, up to a step limit)
-> compose. Shaped like the LangGraph react-agent template: typed state, small nodes, a runtime
context carrying what is not state (the open store, the planner, the settings).

Budgets per question (issue 16: a model asking for 10,000 tool calls ran past 300 s): at most
`max_steps` planning rounds, at most `max_tool_calls` tool calls over all rounds (calls past it are
dropped, never run), and no further planning once the tool results fed back to the model reach
`max_tool_output_chars`. When a budget stops the turn, the answer is composed from the results gathered
so far, with a note saying which limit was reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer

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


def plan(state: GraphState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    cfg = ctx.config
    steps = state.get("steps", 0)
    fresh: dict[str, Any] = {"budget_hit": None} if steps == 0 else {}   # the field outlives a turn otherwise
    # The step limit: stop planning and answer with what the tools gave so far (never loop forever,
    # never hit LangGraph's recursion error).
    if steps >= cfg.max_steps or state.get("remaining_steps", 99) <= 2:
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


def tools(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    store = runtime.context.store
    outcomes = [execute(store, call) for call in state.get("pending") or []]
    return {"outcomes": [*(state.get("outcomes") or []), *outcomes], "pending": []}


def _output_chars(outcomes: list[ToolOutcome], cfg: AgentConfig) -> int:
    """Characters of tool results the model has been (or would be) sent this turn."""
    return sum(len(digest(o, rows=cfg.rows_for_model)[0]) for o in outcomes)


def compose_answer(state: GraphState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
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


AgentGraph = CompiledStateGraph[GraphState, AgentContext, GraphState, GraphState]


def build_graph(checkpointer: Checkpointer = None) -> AgentGraph:
    graph = StateGraph(GraphState, context_schema=AgentContext)
    graph.add_node("plan", plan)
    graph.add_node("tools", tools)
    graph.add_node("compose", compose_answer)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", after_plan, {"tools": "tools", "compose": "compose"})
    graph.add_conditional_edges("tools", after_tools, {"plan": "plan", "compose": "compose"})
    graph.add_edge("compose", END)
    return graph.compile(checkpointer=checkpointer, name="finops-agent")


# Where a result lists the things it is about: (list field, key field, name field) in its JSON.
_KEY_FIELDS = (("rows", "key", "name"), ("offenders", "resource_id", "resource_name"),
               ("items", "resource_id", "name"), ("findings", "resource_id", "name"),
               ("matches", "resource_id", "resource_name"), ("candidates", "resource_id", "resource_name"),
               ("actions", "resource_id", "name"), ("anomalies", "scope", None), ("prompts", "prompt_id", "app"))
_NOT_KEYS = {"total", "other", "unallocated"}


def result_keys(outcomes: list[ToolOutcome]) -> list[list[str]]:
    """The things the answer listed ("those" in the next question): for each, its key and its name."""
    for o in outcomes:
        if not o.get("ok"):
            continue
        result = o.get("result") or {}
        for list_field, key_field, name_field in _KEY_FIELDS:
            items = result.get(list_field)
            if isinstance(items, list) and items and isinstance(items[0], dict) and key_field in items[0]:
                out: list[list[str]] = []
                for item in items:
                    key = item.get(key_field)
                    if key in (None, "") or str(key) in _NOT_KEYS or str(key).startswith("("):
                        continue
                    name = item.get(name_field) if name_field else None
                    out.append([str(key)] + ([str(name)] if name not in (None, "", key) else []))
                return out[:MAX_KEYS]
        table = o.get("table") or {}
        rows = table.get("rows") or []
        return [[str(r[0])] for r in rows[:MAX_KEYS] if r and r[0] not in (None, "") and str(r[0]) not in _NOT_KEYS]
    return []


# Where a result names the resources it is about, best first: paths into its JSON (a key, or an index
# into a list; a list met where a key is expected is walked item by item). One resource per listed item
# (an anomaly's subject is its biggest driver). "Who owns it?" after an answer asks about its first subject.
_SUBJECT_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("resource", "resource_id"), ("match", "resource_id"), ("breakdown", "resource_id"),
    ("anomalies", "drivers", 0, "resource_id"), ("items", "resource_id"), ("actions", "resource_id"),
    ("offenders", "resource_id"), ("findings", "resource_id"), ("matches", "resource_id"),
    ("candidates", "resource_id"),
)


def result_subjects(outcomes: list[ToolOutcome]) -> list[str]:
    """The resource ids the answer is about (its first successful result), best first, deduplicated."""
    for o in outcomes:
        if not o.get("ok"):
            continue
        result = o.get("result") or {}
        out: list[str] = []
        for path in _SUBJECT_PATHS:
            for value in _walk(result, path):
                if isinstance(value, str) and value and value not in out:
                    out.append(value)
            if out:
                return out[:MAX_KEYS]
        rows = result.get("rows")
        if result.get("group_by") == "resource" and isinstance(rows, list):
            return [str(r["key"]) for r in rows if isinstance(r, dict) and r.get("key")
                    and str(r["key"]) not in _NOT_KEYS and not str(r["key"]).startswith("(")][:MAX_KEYS]
        return []
    return []


def _walk(value: Any, path: tuple[str | int, ...]) -> list[Any]:
    if not path:
        return [value]
    if isinstance(path[0], int):
        return _walk(value[path[0]], path[1:]) if isinstance(value, list) and len(value) > path[0] else []
    if isinstance(value, list):
        return [v for item in value for v in _walk(item, path)]
    if isinstance(value, dict) and path[0] in value:
        return _walk(value[path[0]], path[1:])
    return []
