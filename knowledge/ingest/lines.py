"""Physical line numbers and raw text of CSV records, for the rows a load rejects.

DuckDB numbers the rows it reads (a stage row's `rowid + 1`), not the file's physical lines: a quoted
field may hold newlines, blank lines are skipped, and rows it cannot split are set aside. When a load
has rejects (or the file is irregular), one streaming pass here tracks where each CSV record starts
(quote parity decides whether a line ends a record) and maps record numbers to physical lines (header =
line 1). It keeps only the wanted records' text and a compact piecewise map for everything else.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import BinaryIO

from knowledge.ingest.source import SourceFile

_CHUNK = 1 << 20
MAX_LINE_BYTES = 16 << 20  # the longest line DuckDB's CSV reader is asked to take (max_line_size)


def _open(src: SourceFile) -> BinaryIO:
    if src.compression == "gzip":
        return gzip.open(src.path, "rb")  # type: ignore[return-value]
    return open(src.path, "rb")


def count_lines(src: SourceFile, stop: threading.Event | None = None, digest: hashlib._Hash | None = None,
                seen_nul: list[bool] | None = None, long_lines: list[int] | None = None) -> int | None:
    """Physical lines in a CSV file (a last line without a newline counts); None if stopped early.
    `digest` (a hashlib object), when given, is fed the file's (decompressed) content on the way;
    `seen_nul[0]` is set when the content holds a NUL byte; `long_lines` gets the numbers of lines
    longer than MAX_LINE_BYTES (only a line spanning many chunks can be, so a check per chunk suffices)."""
    n = 0
    last = b"\n"
    run = 0  # bytes of the current line seen in earlier chunks
    with _open(src) as fh:
        while True:
            if stop is not None and stop.is_set():
                return None
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            first_nl = chunk.find(b"\n")
            if first_nl < 0:
                run += len(chunk)
            else:
                if long_lines is not None and run + first_nl > MAX_LINE_BYTES:
                    long_lines.append(n + 1)
                run = len(chunk) - chunk.rfind(b"\n") - 1
            n += chunk.count(b"\n")
            if digest is not None:
                digest.update(chunk)
            if seen_nul is not None and not seen_nul[0] and b"\x00" in chunk:
                seen_nul[0] = True
            last = chunk[-1:]
    if long_lines is not None and run > MAX_LINE_BYTES:
        long_lines.append(n + 1)
    return n + (0 if last == b"\n" else 1)


def file_digest(path: str, stop: threading.Event | None = None) -> str | None:
    """SHA-256 of a file's bytes (Parquet); None if stopped early."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            if stop is not None and stop.is_set():
                return None
            chunk = fh.read(_CHUNK)
            if not chunk:
                return h.hexdigest()
            h.update(chunk)


@dataclass
class LineMap:
    """Where records are: `line_of(rn)` for loaded rows, text for the wanted ones."""

    wanted: dict[int, tuple[int, str]] = field(default_factory=dict)  # rn -> (line, raw text)
    set_aside: list[tuple[int, str]] = field(default_factory=list)  # (line, raw) of rows DuckDB could not split
    breakpoints: list[tuple[int, int]] = field(default_factory=list)  # (first rn, delta): line = rn + delta
    exact: bool = True

    def line_of(self, rn: int) -> int:
        i = bisect_left(self.breakpoints, (rn + 1, -(1 << 62))) - 1
        delta = self.breakpoints[i][1] if i >= 0 else 1
        return rn + delta


def _decode(raw: bytes) -> str:
    return raw.rstrip(b"\r\n").decode("utf-8", errors="replace")


def map_records(src: SourceFile, wanted: set[int], set_aside_positions: list[int], expected_rows: int) -> LineMap:
    """Scan the file once. `set_aside_positions`: byte positions DuckDB reported for rows it could not
    split; each lands in that record or in blank lines just before it, so it belongs to the first non-blank
    record that ends after it. `expected_rows`: rows DuckDB staged; the map is
    `exact` when the scan finds the same number of records."""
    out = LineMap()
    positions = sorted(set_aside_positions)
    pi = 0
    rn = 0
    record_index = -1  # 0 = header
    line_no = 0
    pos = 0
    last_delta: int | None = None
    rec_start_line = 0
    parts: list[bytes] = []
    odd = False

    def finish(end_pos: int) -> None:
        nonlocal pi, rn, last_delta, record_index
        record_index += 1
        raw = b"".join(parts)
        if record_index == 0:
            return
        if not raw.strip():
            return  # a blank line: DuckDB skips it (and may report a set-aside row from the blank before it)
        hit = False
        while pi < len(positions) and positions[pi] < end_pos:  # DuckDB's positions land near the record start
            hit = True
            pi += 1
        if hit:
            out.set_aside.append((rec_start_line, _decode(raw)))
            return
        rn += 1
        delta = rec_start_line - rn
        if delta != last_delta:
            out.breakpoints.append((rn, delta))
            last_delta = delta
        if rn in wanted:
            out.wanted[rn] = (rec_start_line, _decode(raw))

    with _open(src) as fh:
        for line in fh:
            line_no += 1
            if not odd:
                rec_start_line = line_no
                parts = [line]
            else:
                parts.append(line)
            pos += len(line)
            if line.count(b'"') & 1:
                odd = not odd
            if not odd:
                finish(pos)
        if odd:
            finish(pos)
    out.exact = rn == expected_rows and len(out.set_aside) == len(positions) and len(out.wanted) == len(wanted)
    return out


def regular(physical_lines: int, rows: int, set_aside: int) -> bool:
    """True when record n sits on line n + 1 for every row: one line per record, no blank lines."""
    return set_aside == 0 and physical_lines == rows + 1
