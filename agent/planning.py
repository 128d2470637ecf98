"""The one interface both planners implement: look at the turn so far, ask for tool calls or reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.state import AgentState, PlannedCall, Reply
from knowledge.store import Store


@dataclass
class PlanStep:
    """Either tool calls to run next, or a reply that ends the planning of this turn."""

    calls: list[PlannedCall] = field(default_factory=list)
    reply: Reply | None = None
    focus: list[list[str]] = field(default_factory=list)   # "those": the previous answer's [key, name?]
    scale: str | None = None                                # "at 10x traffic": a what-if factor
    preface: Reply | None = None                            # said before the results (a refusal with read-only help)
    derive: list[dict[str, Any]] = field(default_factory=list)   # figures the composer derives (agent.derived)
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Planner(Protocol):
    name: str

    def plan(self, state: AgentState, store: Store) -> PlanStep:
        """The next step of the turn in `state` (question, outcomes so far, earlier turns)."""
        ...


class PlannerUnavailable(Exception):
    """The planner cannot work at all (model server unreachable, key rejected): the turn is an error."""
