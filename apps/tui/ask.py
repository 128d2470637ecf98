"""The one thing the TUI needs from the agent: a function that answers a question in a session."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from agent.answer import Answer

Planner = Literal["auto", "offline", "model"]


class AskFn(Protocol):
    def __call__(self, question: str, *, db: str | Path | None = None, session_id: str | None = None,
                 planner: Planner = "auto") -> Answer: ...


def agent_ask(question: str, *, db: str | Path | None = None, session_id: str | None = None,
              planner: Planner = "auto") -> Answer:
    """`agent.service.ask`, imported on first use so that the app starts at once."""
    from agent.service import ask

    return ask(question, db=db, session_id=session_id, planner=planner)
