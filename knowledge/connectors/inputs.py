"""What a connector reads: files, every file of a directory (sorted by name), or stdin (`-`).

Each input is held in memory once decompressed (API pages and scrapes are small; a LiteLLM export may be
large but is still read once). A gzip input is decompressed in chunks and refused as soon as it passes
`knowledge.ingest.limits.max_input_bytes()` (1 GiB unless FINOPS_MAX_INPUT_MB says otherwise) or, past
64 MiB, unpacks to more than 100 bytes per compressed byte (a gzip bomb: 1 MB that unpacks to gigabytes
then costs ~64 MiB); a plain file or stdin over the limit is refused the same way. Missing paths, empty files and empty directories raise IngestError before
anything is written, like the CSV ingest commands. UTF-16 text (with its byte-order mark) is decoded.
"""

from __future__ import annotations

import codecs
import hashlib
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from knowledge.ingest.errors import IngestError
from knowledge.ingest.limits import BOMB_MIN_BYTES, BOMB_RATIO, max_input_bytes

_CHUNK = 1 << 20
_GZ_CHUNK = 64 << 10  # compressed bytes per step: the bomb check looks at the ratio after each

STDIN = "-"
STDIN_NAME = "<stdin>"


@dataclass(frozen=True)
class InputDoc:
    """One input: `name` is what the store records (x_source_file, quarantine.file); `shown` what the user typed."""

    name: str
    shown: str
    data: bytes
    path: Path | None  # None for stdin
    modified: datetime | None  # naive UTC modification time of the file (None for stdin)

    @property
    def digest(self) -> str:
        """SHA-256 of the (decompressed) content: the same export under two names has the same digest."""
        return hashlib.sha256(self.data).hexdigest()

    def _encoding(self) -> str:
        return "utf-16" if self.data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"

    def _decode_error(self, encoding: str, byte: int) -> IngestError:
        if encoding == "utf-16":
            return IngestError(f"{self.shown}: not valid UTF-16 text (byte {byte})")
        return IngestError(f"{self.shown}: not UTF-8 text (byte {byte}); save it as UTF-8")

    def text_chunks(self, size: int = _CHUNK) -> Iterator[str]:
        """The input as text, `size` bytes at a time (same encodings and errors as `text`), so a reader
        can stream it instead of holding a second, decoded copy of the whole input."""
        encoding = self._encoding()
        decoder = codecs.getincrementaldecoder(encoding)()
        for at in range(0, len(self.data), size):
            try:
                chunk = decoder.decode(self.data[at:at + size], final=at + size >= len(self.data))
            except UnicodeDecodeError as exc:
                raise self._decode_error(encoding, at + exc.start) from exc
            if chunk:
                yield chunk

    def head(self, size: int = 4096) -> str:
        """The first characters of the text (fewer when the cut splits a character)."""
        return self.data[:size].decode(self._encoding(), errors="ignore")

    def text(self) -> str:
        """The input as text (UTF-8, BOM allowed; UTF-16 with its BOM); IngestError for other encodings."""
        if self.data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            try:
                return self.data.decode("utf-16")
            except UnicodeDecodeError as exc:
                raise IngestError(f"{self.shown}: not valid UTF-16 text (byte {exc.start})") from exc
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise IngestError(f"{self.shown}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc


def _too_big(shown: str, limit: int, compressed: bool) -> IngestError:
    what = "decompresses to more than" if compressed else "is larger than"
    return IngestError(f"{shown}: {what} {limit // (1024 * 1024)} MiB, the limit for one input; split it into "
                       "smaller files (or raise FINOPS_MAX_INPUT_MB)")


def _gunzip(fh: BinaryIO, first: bytes, shown: str, limit: int) -> bytes:
    """Decompress a gzip stream (possibly several members) in chunks, refusing it past `limit` bytes or
    when it unpacks like a bomb. Returns a bytearray (no second copy of a large input)."""
    out = bytearray()
    decomp = zlib.decompressobj(wbits=31)
    in_member = False
    chunk = first
    read = len(first)
    try:
        while chunk:
            while chunk:
                in_member = True
                out += decomp.decompress(chunk, min(limit + 1 - len(out), 1 << 24))
                if len(out) > limit:
                    raise _too_big(shown, limit, True)
                if len(out) > BOMB_MIN_BYTES and len(out) > BOMB_RATIO * read:
                    raise IngestError(
                        f"{shown}: unpacks to more than {BOMB_RATIO} times its compressed size ({read:,} bytes "
                        f"give over {len(out) >> 20} MiB): refused as a likely gzip bomb; decompress it yourself "
                        "if it is real")
                if decomp.unconsumed_tail:
                    chunk = decomp.unconsumed_tail
                elif decomp.eof:  # another member may follow (cat a.gz b.gz); gzip ignores trailing zeros
                    chunk = decomp.unused_data.lstrip(b"\x00")
                    decomp = zlib.decompressobj(wbits=31)
                    in_member = False
                else:
                    chunk = b""
            chunk = fh.read(_GZ_CHUNK)
            read += len(chunk)
            if not in_member:
                chunk = chunk.lstrip(b"\x00") if chunk else chunk
    except zlib.error as exc:
        raise IngestError(f"{shown}: not a readable gzip file ({exc})") from exc
    if in_member:
        raise IngestError(f"{shown}: not a readable gzip file (it ends before the end of the compressed data)")
    return out  # type: ignore[return-value]


def read_limited(fh: BinaryIO, shown: str) -> bytes:
    """A whole input from an open binary stream, decompressed when it is gzip, within the size limit."""
    limit = max_input_bytes()
    first = fh.read(_GZ_CHUNK)
    if first[:2] == b"\x1f\x8b":
        return _gunzip(fh, first, shown, limit)
    out = bytearray(first)
    while len(out) <= limit:
        chunk = fh.read(_CHUNK)
        if not chunk:
            return out  # type: ignore[return-value]
        out += chunk
    raise _too_big(shown, limit, False)


def _read(path: Path, shown: str) -> InputDoc:
    try:
        with open(path, "rb") as fh:
            raw = read_limited(fh, shown)
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    except OSError as exc:
        raise IngestError(f"{shown}: cannot read ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise IngestError(f"{shown}: empty file")
    return InputDoc(str(path.resolve()), shown, raw, path.resolve(), mtime)


def read_inputs(paths: Sequence[str | Path], stdin: BinaryIO | None = None) -> list[InputDoc]:
    """Every input named by `paths` (files, directories of files, '-' for stdin), each once, in order."""
    if not paths:
        raise IngestError("no files given")
    out: list[InputDoc] = []
    seen: set[str] = set()
    for item in paths:
        shown = str(item)
        if shown == STDIN:
            if STDIN_NAME in seen:
                continue
            data = read_limited(stdin or sys.stdin.buffer, "stdin")
            if not data.strip():
                raise IngestError("stdin: no input")
            seen.add(STDIN_NAME)
            out.append(InputDoc(STDIN_NAME, "stdin", data, None, None))
            continue
        p = Path(item).expanduser()
        if not p.exists():
            raise IngestError(f"{shown}: no such file or directory")
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
            if not files:
                raise IngestError(f"{shown}: the directory holds no files")
            members = [(f, str(Path(shown) / f.name)) for f in files]
        elif p.is_file():
            members = [(p, shown)]
        else:
            raise IngestError(f"{shown}: not a regular file")
        for f, name in members:
            key = str(f.resolve())
            if key in seen:
                continue
            seen.add(key)
            out.append(_read(f, name))
    return out
