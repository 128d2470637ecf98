"""Untrusted text in tool output (tag values, resource names, prompt texts) is data, never instructions.

Before a tool result goes to a model, text that reads like an instruction to an assistant is replaced by
a marker, so the model never sees it; the people reading the answer still see the value, quoted, in the
offline summary and the tables.
"""

from __future__ import annotations

import re

MARKER = "[untrusted text aimed at the assistant, withheld]"

_INSTRUCTION_LIKE = re.compile(
    r"""
    \b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:instructions?|rules?|prompts?|guidelines?|context)\b
    | \byou\s+are\s+now\b
    | \b(?:system|developer)\s*(?:prompt|message)\b
    | \bnew\s+instructions?\b
    | \b(?:assistant|ai|model|llm|chatbot)\s*[:,]\s*(?:please\s+)?(?:say|reply|respond|answer|tell|approve|report)\b
    | \b(?:reply|respond|answer)\s+(?:only\s+)?(?:with|that)\b
    | \b(?:approve|auto-?approve)\s+(?:all|every|this)\b
    | \breport\s+(?:the\s+)?(?:total|cost|spend)\s+(?:as|is)\b
    | \b(?:system|assistant)\s*:
    | \breveal\b[^.\n]{0,30}\b(?:secrets?|prompts?|instructions?|keys?)\b
    | \badmin\s+mode\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_QUOTED = re.compile(
    r""""(?P<d>(?:[^"\\\n]|\\.){0,600})"|“(?P<c>[^”\n]{0,600})”|'(?P<s>(?:[^'\\\n]|\\.){0,600})'(?![a-z])"""
)
_UNQUOTED_END = re.compile(r"""["';|]|\.\s|$""")


def looks_like_instruction(text: str) -> bool:
    return bool(_INSTRUCTION_LIKE.search(text))


def redact(text: str) -> tuple[str, int]:
    """Replace instruction-like untrusted text; returns the new text and how many spans were withheld.

    A quoted span holding an instruction is replaced whole; an unquoted instruction is cut from its
    start to the end of its clause (a quote, ';', '|', a full stop or the end of the line).
    """
    count = 0

    def quoted(m: re.Match[str]) -> str:
        nonlocal count
        body = m.group("d") or m.group("c") or m.group("s") or ""
        if looks_like_instruction(body):
            count += 1
            return f"'{MARKER}'"
        return m.group(0)

    text = _QUOTED.sub(quoted, text)
    lines = []
    for line in text.split("\n"):
        for _ in range(20):
            m = _INSTRUCTION_LIKE.search(line)
            if m is None:
                break
            count += 1
            end = _UNQUOTED_END.search(line, m.end())
            stop = end.start() if end is not None else len(line)
            line = line[: m.start()] + MARKER + line[stop:]
        lines.append(line)
    return "\n".join(lines), count


def untrusted_spans(text: str) -> list[str]:
    """The instruction-like pieces of `text` that `redact` would withhold."""
    spans = [m.group("d") or m.group("c") or m.group("s") or "" for m in _QUOTED.finditer(text)]
    spans = [s for s in spans if looks_like_instruction(s)]
    for line in _QUOTED.sub(" ", text).split("\n"):
        m = _INSTRUCTION_LIKE.search(line)
        if m:
            end = _UNQUOTED_END.search(line, m.end())
            spans.append(line[m.start(): end.start() if end else len(line)])
    return spans


def echoes(answer: str, spans: list[str], n: int = 4) -> bool:
    """Does `answer` repeat a run of `n` words of any untrusted instruction (or read like one itself)?"""
    if looks_like_instruction(answer):
        return True
    said = _grams(answer, n)
    return any(said & _grams(span, n) for span in spans)


def _grams(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9$']+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def redact_value(value: object) -> tuple[object, int]:
    """`redact` applied to a table cell or JSON leaf."""
    if isinstance(value, str) and looks_like_instruction(value):
        return MARKER, 1
    return value, 0
