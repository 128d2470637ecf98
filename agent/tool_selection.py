"""Which tools to bind for one question (model planner): the most relevant few by the offline intent
table, plus the tools of the previous turn (follow-ups), plus any tool already called this turn; every
tool when nothing is clearly relevant. Binding all thirteen schemas to every call would cost several
thousand prompt tokens per question.
"""

from __future__ import annotations

from agent.entities import normalise
from agent.intents import THRESHOLD, ranked
from agent.state import AgentState
from knowledge.store import Store
from tools.registry import ToolSpec, registry


def select_tools(state: AgentState, store: Store | None = None, *, limit: int = 4) -> list[ToolSpec]:
    specs = registry.all()
    if limit <= 0 or limit >= len(specs):
        return specs
    by_name = {s.name: s for s in specs}
    text = normalise(state.get("question", ""))
    chosen: list[str] = []
    for score, intent in ranked(text, set(by_name)):
        if score >= THRESHOLD / 2 and intent.tool not in chosen:
            chosen.append(intent.tool)
    chosen = chosen[:limit]
    for calls in state.get("rounds") or []:
        for call in calls:
            if call["tool"] in by_name and call["tool"] not in chosen:
                chosen.append(call["tool"])
    history = state.get("history") or []
    if history:
        for used in history[-1].get("calls") or []:
            if used["tool"] in by_name and used["tool"] not in chosen:
                chosen.append(used["tool"])
    if not chosen:
        return specs
    return [by_name[n] for n in sorted(chosen)]
