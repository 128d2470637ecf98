"""What a connector reads: files, every file of a directory (sorted by name), or stdin (`-`).

Each input is read whole into memory (API pages and scrapes are small; a LiteLLM export may be large but
is still read once). Missing paths, empty files and empty directories raise IngestError before anything
is written, like the CSV ingest commands.
"""

from __future__ import annotations

import gzip
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Sequence

from knowledge.ingest.errors import IngestError

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

    def text(self) -> str:
        """The input as text (UTF-8, BOM allowed); raises IngestError for other encodings."""
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise IngestError(f"{self.shown}: not UTF-8 text (byte {exc.start})") from exc


def _read(path: Path, shown: str) -> InputDoc:
    try:
        raw = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(tzinfo=None)
    except OSError as exc:
        raise IngestError(f"{shown}: cannot read ({exc.strerror or exc})") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise IngestError(f"{shown}: not a readable gzip file ({exc})") from exc
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
            data = (stdin or sys.stdin.buffer).read()
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
