"""JSON pages with positions: split a file into its JSON documents and find the line of every object.

A file may hold one page, a JSON array of pages, or several pages one after another (pretty-printed or
one per line, as a paginated pull appends them). Numbers are parsed as Decimal (`parse_float=Decimal`),
never through float. A document that does not parse (truncated, invalid) ends the readable part of the
file: its position and the parser's message are reported, and nothing after it is guessed at.

Positions: `json.loads` builds objects in text order, so the k-th dict of a pre-order walk of a document
is the k-th '{' of its text that is not inside a string. One regex pass finds those offsets (in C);
`Lines` turns an offset into a 1-based line number.
"""

from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator

_DECODER = json.JSONDecoder(parse_float=Decimal)
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|\{')
_BRACE = re.compile(r"\{")
_SPACE = re.compile(r"\s*")


class Lines:
    """Offset -> 1-based line number of a text (newline offsets kept as 8-byte integers, not Python ints:
    a pretty-printed 100 MB file has millions of lines)."""

    def __init__(self, text: str):
        self._breaks = array("q", (m.start() for m in re.finditer("\n", text)))

    def line(self, offset: int) -> int:
        return bisect_right(self._breaks, offset - 1) + 1


@dataclass
class Document:
    """One parsed JSON document of a file, with the text offset of each of its dicts (by id)."""

    value: Any
    start: int
    end: int
    offsets: dict[int, int] = field(default_factory=dict)

    def offset(self, obj: Any) -> int:
        return self.offsets.get(id(obj), self.start)


@dataclass
class Broken:
    """Where the readable part of a file ends: the offset of the document that failed and why."""

    start: int
    error: str


def _object_offsets(text: str, start: int, end: int, expected: int) -> list[int]:
    """Offsets of the '{' that open objects. Every object has one, so when the text holds exactly as many
    '{' as the document has dicts, none is inside a string and the quick scan is exact."""
    braces = [m.start() for m in _BRACE.finditer(text, start, end)]
    if len(braces) == expected:
        return braces
    return [m.start() for m in _TOKENS.finditer(text, start, end) if m.group() == "{"]


def _dicts_preorder(value: Any) -> Iterator[dict]:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            yield v
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))


def _with_offsets(value: Any, text: str, start: int, end: int) -> Document:
    doc = Document(value, start, end)
    dicts = list(_dicts_preorder(value))
    offsets = _object_offsets(text, start, end, len(dicts))
    if len(dicts) == len(offsets):  # a duplicate key would hide a dict: then keep document offsets only
        doc.offsets = {id(d): off for d, off in zip(dicts, offsets)}
    return doc


def documents(text: str) -> Iterator[Document | Broken]:
    """The JSON documents of `text` in order; a Broken item (then nothing more) where parsing fails."""
    pos = _SPACE.match(text, 0).end()
    while pos < len(text):
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield Broken(pos, f"{exc.msg} at line {exc.lineno} column {exc.colno}")
            return
        except RecursionError:
            yield Broken(pos, "nested too deeply")
            return
        yield _with_offsets(value, text, pos, end)
        pos = _SPACE.match(text, end).end()
        if pos < len(text) and text[pos] == ",":  # tolerate 'page,\npage' (a hand-joined file)
            pos = _SPACE.match(text, pos + 1).end()


def looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped[:1] in ("{", "[")


RAW_LIMIT = 4000


def clip(text: str, limit: int = RAW_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def source_text(text: str, offset: int) -> str:
    """The original text of the JSON value starting at `offset` (for the quarantine table), clipped."""
    try:
        _, end = _DECODER.raw_decode(text, offset)
    except (json.JSONDecodeError, RecursionError):
        return clip(text[offset:])
    return clip(text[offset:end])
