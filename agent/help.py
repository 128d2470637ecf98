"""The reply to "help", to a greeting, and to a question no tool can answer: what can be asked, with each
tool's own examples (from the registry, so the list is never out of date). It states no figure."""

from __future__ import annotations

from agent.state import Reply
from tools.registry import ToolSpec


def help_reply(specs: list[ToolSpec], intro: str | None = None) -> Reply:
    lines = [intro if intro is not None else "I answer cost questions from the store, with the evidence behind "
             "every figure. You can ask, for example:"]
    if intro == "":
        lines = ["Hello! I answer cost questions from the store, with the evidence behind every figure. For example:"]
    suggestions: list[str] = []
    for spec in specs:
        if spec.examples:
            lines.append(f"- {spec.examples[0]}  ({spec.name})")
            suggestions.extend(spec.examples[:2])
    return {"kind": "help", "text": "\n".join(lines), "suggestions": suggestions}
