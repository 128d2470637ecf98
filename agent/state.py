"""The graph's typed state. Everything in it is plain JSON (dicts, lists, strings) so that the on-disk
checkpointer can store it without pickling; tool results live here as `model_dump(mode="json")`.

Per-turn fields are reset by the input of each `ask`; `history` accumulates across the turns of one
conversation (thread), which is what follow-ups ("and last month?") read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

ErrorKind = Literal["unknown_name", "period", "no_data", "bad_args", "finops", "internal"]


class PlannedCall(TypedDict):
    """One tool call the planner asks for."""

    id: str
    tool: str
    args: dict[str, Any]


class ToolOutcome(TypedDict, total=False):
    """What running one planned call gave: a result (JSON) or a typed error."""

    id: str
    tool: str
    args: dict[str, Any]
    ok: bool
    summary: str
    result: dict[str, Any]
    table: dict[str, Any] | None
    error: str
    error_kind: ErrorKind
    suggestions: list[str]
    name_kind: str
    name: str
    # Read from the result's typed accessors (tools.contract.ToolResult), never from its JSON's shape:
    listed: list[list[str]]          # the things it lists, [key, name?] each ("those" in the next question)
    subjects: list[str]              # the resource ids it is about, best first ("it")
    figures: list[dict[str, Any]]    # its money figures (tools.contract.Figure as JSON)
    identifiers: dict[str, str]      # ids a surface acts on, e.g. estimate_id


class Turn(TypedDict, total=False):
    """One finished question of a conversation, as the next questions need it."""

    question: str
    planner: str
    kind: str
    text: str
    calls: list[dict[str, Any]]      # [{"tool": ..., "args": {...}}] that succeeded
    keys: list[list[str]]            # the things the answer listed ("those"): [key, name?] each
    subjects: list[str]              # the resources the answer is about, first = its top one ("it", "they")


class Reply(TypedDict, total=False):
    """A direct reply by the planner (no tool needed, or nothing it can map), or a model's final text."""

    kind: str                        # answer | help | did_you_mean | refusal | error
    text: str
    suggestions: list[str]
    flags: list[str]
    not_understood: list[str]        # the words a fail-closed reply did not understand
    withdraw: bool                   # the results do not answer the question: the reply stands, no figure of theirs


MAX_TURNS = 20


def keep_recent(old: list[Turn] | None, new: list[Turn] | None) -> list[Turn]:
    """The history reducer: append the finished turn, keep the last MAX_TURNS."""
    return [*(old or []), *(new or [])][-MAX_TURNS:]


class AgentState(TypedDict, total=False):
    # -- per turn (reset by each ask) ---------------------------------------------------------------
    question: str
    planner: str                     # offline | model
    rounds: list[list[PlannedCall]]  # the calls of each planning step, in order
    pending: list[PlannedCall]       # calls the planner asked for and the tools node has not run yet
    outcomes: list[ToolOutcome]
    reply: Reply | None              # set when the planner answers without (more) tools
    steps: int                       # planning steps taken this turn
    step_limited: bool
    prompt_tokens: int
    completion_tokens: int
    answer: dict[str, Any] | None    # the composed agent.answer.Answer, model_dump(mode="json")
    focus: list[list[str]]           # "which of those ...": the previous answer's things, [key, name?] each
    scale: str | None                # "if we scale it to 10x": the factor (Decimal as text)
    preface: Reply | None            # said before the results (e.g. a refusal, with what can be shown instead)
    derive: list[dict[str, Any]]     # figures to derive from the results in Python (agent.derived)
    # -- across turns -------------------------------------------------------------------------------
    history: Annotated[list[Turn], keep_recent]


def new_turn(question: str, planner: str) -> AgentState:
    """The input that starts a turn: resets every per-turn field (the checkpointer keeps `history`)."""
    return {
        "question": question,
        "planner": planner,
        "rounds": [],
        "pending": [],
        "outcomes": [],
        "reply": None,
        "steps": 0,
        "step_limited": False,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "answer": None,
        "focus": [],
        "scale": None,
        "preface": None,
        "derive": [],
    }
