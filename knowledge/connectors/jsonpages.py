"""JSON pages with positions, read as a stream: one page at a time, with the line of every object.

A file may hold one page, a JSON array of pages, or several pages one after another (pretty-printed or
one per line, as a paginated pull appends them). Numbers are parsed as Decimal (`parse_float=Decimal`),
never through float. A document that does not parse (truncated, invalid) ends the readable part of the
file: its line and the parser's message are reported, and nothing after it is guessed at.

Streaming (issue 16): the decompressed input is decoded in 1 MiB chunks into a buffer that holds the
current page only. A page is decoded with `raw_decode` when the buffer holds all of it (an error at the
buffer's end, or an unterminated string, reads more, doubling, then tries again); the elements of a
top-level array are pages of their own, each yielded as `[element]`, so consumers see the same shapes
as when the array was read whole. Peak memory is one page's text and objects (plus the rows the caller
keeps), not the file's: a 200 MiB file of pages no longer holds its text, its line table and its whole
parse tree at once. ijson was considered: its fast C backend gives no positions, and the quarantine
must keep naming the file *and line* of each bad record, so pages are delimited here and parsed by the
standard library in C.

Positions: `json.loads` builds objects in text order, so the k-th dict of a pre-order walk of a page is
the k-th '{' of its text that is not inside a string. One regex pass finds those offsets (in C); the
page's `Lines` turns an offset into a 1-based line number of the file.
"""

from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

_DECODER = json.JSONDecoder(parse_float=Decimal)
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|\{')
_BRACE = re.compile(r"\{")
_SPACE = re.compile(r"\s*")
CHUNK = 1 << 20  # decoded characters read at a time
_NEAR_END = 16  # a parse error this close to the buffer's end may be a page cut by the chunking

RAW_LIMIT = 4000


def clip(text: str, limit: int = RAW_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Lines:
    """Offset -> 1-based line number within a text that starts at line `first` (newline offsets kept as
    8-byte integers, not Python ints: a pretty-printed page may have millions of lines)."""

    def __init__(self, text: str, first: int = 1):
        self._breaks = array("q", (m.start() for m in re.finditer("\n", text)))
        self._first = first

    def line(self, offset: int) -> int:
        return self._first + bisect_right(self._breaks, offset - 1)


@dataclass
class Document:
    """One page of a file: its value, its own text, and the text offset of each of its dicts (by id)."""

    value: Any
    text: str
    lines: Lines
    offsets: dict[int, int] = field(default_factory=dict)

    def offset(self, obj: Any) -> int:
        return self.offsets.get(id(obj), 0)

    def line(self, obj: Any = None) -> int:
        """The file line where `obj` (a dict of this page; the page itself by default) starts."""
        return self.lines.line(self.offset(obj))

    def source(self, obj: Any = None) -> str:
        """The original text of `obj` (for the quarantine table), clipped."""
        return source_text(self.text, self.offset(obj))


@dataclass
class Broken:
    """Where the readable part of a file ends: the line of the document that failed, why, and its text."""

    line: int
    error: str
    text: str


def _object_offsets(text: str, expected: int) -> list[int]:
    """Offsets of the '{' that open objects. Every object has one, so when the text holds exactly as many
    '{' as the document has dicts, none is inside a string and the quick scan is exact."""
    braces = [m.start() for m in _BRACE.finditer(text)]
    if len(braces) == expected:
        return braces
    return [m.start() for m in _TOKENS.finditer(text) if m.group() == "{"]


def _dicts_preorder(value: Any) -> Iterator[dict]:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            yield v
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))


def _document(value: Any, text: str, first_line: int) -> Document:
    doc = Document(value, text, Lines(text, first_line))
    dicts = list(_dicts_preorder(value))
    offsets = _object_offsets(text, len(dicts))
    if len(dicts) == len(offsets):  # a duplicate key would hide a dict: then keep page offsets only
        doc.offsets = {id(d): off for d, off in zip(dicts, offsets)}
    return doc


class _Buffer:
    """Decoded text of the input, kept from the start of the line of the current page onwards."""

    def __init__(self, chunks: Iterable[str]):
        self._chunks = iter(chunks)
        self.text = ""
        self.pos = 0
        self.line = 1  # the file line of text[0]; text[0] always starts a line

    def more(self, at_least: int = CHUNK) -> bool:
        """Append at least `at_least` more characters (fewer at the end); False when nothing was left."""
        got: list[str] = []
        size = 0
        for chunk in self._chunks:
            got.append(chunk)
            size += len(chunk)
            if size >= at_least:
                break
        self.text += "".join(got)
        return size > 0

    def trim(self) -> None:
        """Forget the text before the line that holds `pos`."""
        cut = self.text.rfind("\n", 0, self.pos) + 1
        if cut:
            self.line += self.text.count("\n", 0, cut)
            self.text = self.text[cut:]
            self.pos -= cut

    def peek(self) -> str:
        """The next character that is not white space ('' at the end), read into the buffer."""
        while True:
            space = _SPACE.match(self.text, self.pos)  # '\s*' always matches
            self.pos = space.end() if space else self.pos
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos:self.pos + 1]

    def decode(self) -> tuple[Any, int]:
        """The JSON value at `pos` and where it ends, reading more as long as the error may be the cut."""
        while True:
            try:
                return _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self.text) - _NEAR_END or exc.msg.startswith("Unterminated string")
                if not (cut and self.more(max(CHUNK, len(self.text)))):
                    raise

    def broken(self, error: str) -> Broken:
        line = self.line + self.text.count("\n", 0, self.pos)
        return Broken(line, error, clip(self.text[self.pos:]))


def _one(buf: _Buffer, wrap: bool) -> Document | Broken:
    buf.trim()
    start = buf.pos
    try:
        value, end = buf.decode()
    except json.JSONDecodeError as exc:
        return buf.broken(f"{exc.msg} at line {buf.line + exc.lineno - 1} column {exc.colno}")
    except RecursionError:
        return buf.broken("nested too deeply")
    buf.pos = end
    first = buf.line + buf.text.count("\n", 0, start)
    return _document([value] if wrap else value, buf.text[start:end], first)


def _after_element(buf: _Buffer) -> str | None:
    """Step over the ',' or ']' after an array element: 'next', 'closed', or None when it is neither."""
    c = buf.peek()
    if c in (",", "]"):
        buf.pos += 1
        return "next" if c == "," else "closed"
    return None


def documents(chunks: Iterable[str]) -> Iterator[Document | Broken]:
    """The pages of the text given in `chunks`, in order; a Broken item (then nothing more) where
    parsing fails. A top-level array is read element by element: each comes as a Document of `[element]`."""
    buf = _Buffer(chunks)
    in_array = False
    while True:
        c = buf.peek()
        if c == "":
            if in_array:
                yield buf.broken("the array of pages is not closed (']' missing): the file is truncated")
            return
        if not in_array and c == "[":
            buf.pos += 1
            in_array = True
            if buf.peek() == "]":
                buf.pos += 1
                in_array = False
            continue
        item = _one(buf, in_array)
        yield item
        if isinstance(item, Broken):
            return
        if in_array:
            step = _after_element(buf)
            if step is None:
                yield buf.broken("expecting ',' or ']' after a page of the array")
                return
            in_array = step == "next"
        elif buf.peek() == ",":  # tolerate 'page,\npage' (a hand-joined file)
            buf.pos += 1


def looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped[:1] in ("{", "[")


def source_text(text: str, offset: int) -> str:
    """The original text of the JSON value starting at `offset` (for the quarantine table), clipped."""
    try:
        _, end = _DECODER.raw_decode(text, offset)
    except (json.JSONDecodeError, RecursionError):
        return clip(text[offset:])
    return clip(text[offset:end])
