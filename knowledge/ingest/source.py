"""A file to ingest: checked before anything is written, and read by DuckDB as text columns.

`inspect` raises IngestError (one line) for a missing file, a directory, an empty file, a header with no
rows, or a file that is neither CSV (optionally gzip) nor Parquet. `relation_sql` gives the SQL that reads
it: every column as VARCHAR named c0, c1, ... (the file's own header never enters the SQL text).
"""

from __future__ import annotations

import csv
import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from knowledge.connection import connect
from knowledge.ingest.errors import IngestError
from knowledge.ingest.session import scalar

Format = Literal["csv", "parquet"]
Compression = Literal["none", "gzip"]

_SAMPLE_BYTES = 1 << 20
_MAX_SAMPLE_BYTES = 64 << 20  # a first data row may be long (DuckDB reads lines up to 16 MB)
_DELIMITERS = (",", ";", "\t", "|")
_NESTED_PREFIXES = ("MAP(", "STRUCT(", "UNION(", "JSON")


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    format: Format
    compression: Compression
    header: tuple[str, ...]
    delimiter: str = ","
    parquet_types: tuple[str, ...] = ()
    size: int = 0
    estimated_rows: int = 0

    @property
    def label(self) -> str:
        return "Parquet" if self.format == "parquet" else ("CSV.gz" if self.compression == "gzip" else "CSV")

    def source_columns(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.header))]


def inspect(path: str | Path) -> SourceFile:
    """Check a path and read what the load needs to know (format, header, size); changes nothing."""
    p = Path(path).expanduser()
    shown = str(path)
    if not p.exists():
        raise IngestError(f"{shown}: no such file")
    if p.is_dir():
        raise IngestError(f"{shown}: is a directory; give the files inside it")
    if not p.is_file():
        raise IngestError(f"{shown}: not a regular file")
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise IngestError(f"{shown}: cannot read ({exc.strerror or exc})") from exc
    if size == 0:
        raise IngestError(f"{shown}: empty file")
    p = p.resolve()
    if magic == b"PAR1":
        return _inspect_parquet(p, shown, size)
    compression: Compression = "gzip" if magic[:2] == b"\x1f\x8b" else "none"
    if magic[:4] == b"\x28\xb5\x2f\xfd":
        raise IngestError(f"{shown}: zstd-compressed files are not supported; use CSV, CSV.gz or Parquet")
    return _inspect_csv(p, shown, size, compression)


def _sample(path: Path, compression: Compression, shown: str, size: int = _SAMPLE_BYTES) -> tuple[bytes, float]:
    """The first `size` bytes of the file's text and its compression ratio (uncompressed / compressed)."""
    with open(path, "rb") as fh:
        if compression == "none":
            return fh.read(size), 1.0
        decomp = zlib.decompressobj(wbits=31)
        out = bytearray()
        consumed = 0
        try:
            while len(out) < size:
                chunk = fh.read(64 * 1024)
                if not chunk:
                    break
                consumed += len(chunk)
                out += decomp.decompress(chunk, size - len(out))
                while decomp.unconsumed_tail and len(out) < size:
                    out += decomp.decompress(decomp.unconsumed_tail, size - len(out))
                if decomp.eof:
                    break
        except zlib.error as exc:
            raise IngestError(f"{shown}: not a readable gzip file ({exc})") from exc
        return bytes(out), (len(out) / consumed if consumed else 1.0)


def _utf16(raw: bytes) -> str | None:
    """'UTF-16'/'UTF-32' when the text is in that encoding (by its byte-order mark, or ASCII text with a
    zero byte after every character), else None."""
    if raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "UTF-32"
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    head = raw[:200] if len(raw) % 2 == 0 or len(raw) > 200 else raw[:-1]
    printable = set(range(32, 127)) | {9, 10, 13}
    for zeros, text in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
        if len(head) >= 8 and zeros.count(0) == len(zeros) and all(b in printable for b in text):
            return "UTF-16"
    return None


def _inspect_csv(path: Path, shown: str, size: int, compression: Compression) -> SourceFile:
    sample_size = _SAMPLE_BYTES
    raw, ratio = _sample(path, compression, shown, sample_size)
    while len(raw) >= sample_size and raw.count(b"\n") < 2 and sample_size < _MAX_SAMPLE_BYTES:
        sample_size *= 4  # the header or the first data row is longer than the sample: read further
        raw, ratio = _sample(path, compression, shown, sample_size)
    encoding = _utf16(raw)
    if encoding is not None:
        raise IngestError(f"{shown}: {encoding} file: re-save it as UTF-8 (CSV UTF-8) and ingest that")
    if not raw.strip():
        raise IngestError(f"{shown}: empty file")
    first_line_end = raw.find(b"\n")
    if b"\x00" in raw[: first_line_end if first_line_end >= 0 else len(raw)] or raw.count(b"\x00") * 100 > len(raw):
        # binary: a NUL in the header or NULs throughout (a stray NUL in one value is that row's problem)
        raise IngestError(f"{shown}: not a CSV, CSV.gz or Parquet file (binary content)")
    truncated = len(raw) >= sample_size
    if truncated:  # keep whole lines only
        cut = raw.rfind(b"\n")
        raw = raw[: cut + 1] if cut > 0 else raw
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{shown}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=lambda d: first_line.count(d))
    if first_line.count(delimiter) == 0:
        delimiter = ","
    if csv.field_size_limit() < _MAX_SAMPLE_BYTES:  # a long field (a 1 MB Tags JSON) is still a field
        csv.field_size_limit(_MAX_SAMPLE_BYTES)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    try:
        header = next(records)
        data_rows = [r for _, r in zip(range(200), records) if any(field.strip() for field in r)]
    except (csv.Error, StopIteration) as exc:
        raise IngestError(f"{shown}: not a readable CSV file ({exc})") from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise IngestError(f"{shown}: empty header line")
    if not data_rows:
        if truncated:
            raise IngestError(f"{shown}: the first {sample_size >> 20} MB hold no complete data row; is it a CSV file?")
        raise IngestError(f"{shown}: has a header but no data rows")
    _check_header(header, shown)
    per_row = len(raw) / max(raw.count(b"\n"), 1)  # bytes per line of the sample
    estimated = int(size * ratio / per_row)
    return SourceFile(path, "csv", compression, tuple(header), delimiter, (), size, max(estimated, len(data_rows)))


def _check_header(header: list[str], shown: str) -> None:
    seen: dict[str, str] = {}
    for name in header:
        if not name:
            raise IngestError(f"{shown}: the header has an empty column name")
        key = name.lower()
        if key in seen:
            raise IngestError(f"{shown}: column {name!r} appears twice in the header")
        seen[key] = name


def _inspect_parquet(path: Path, shown: str, size: int) -> SourceFile:
    con = connect(":memory:")
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        rows = scalar(con, "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)", [str(path)])
    except duckdb.Error as exc:
        raise IngestError(f"{shown}: not a readable Parquet file ({str(exc).splitlines()[0]})") from exc
    finally:
        con.close()
    header = [str(r[0]).strip() for r in described]
    _check_header(header, shown)
    if int(rows) == 0:
        raise IngestError(f"{shown}: Parquet file with no rows")
    return SourceFile(path, "parquet", "none", tuple(header), ",", tuple(str(r[1]) for r in described), size, int(rows))


def relation_sql(src: SourceFile, rejects_table: str, rejects_scan: str, numbered: bool = False) -> tuple[str, list[Any]]:
    """SQL (with its parameters) that yields the file's rows in file order, all columns as text c0..cN;
    `numbered`: a Parquet file's rows also carry `x_rn`, their 1-based row number in the file.

    CSV: DuckDB's reader with an explicit dialect; rows it cannot split (wrong field count, bad quoting,
    invalid UTF-8) go to the temp table `rejects_table` with their position, instead of failing the load.
    An unquoted NULL token or an empty unquoted field is NULL; a quoted "" stays an empty string.
    """
    if src.format == "parquet":
        cols = []
        for i, (name, typ) in enumerate(zip(src.header, src.parquet_types)):
            ref = '"' + name.replace('"', '""') + '"'
            nested = typ.upper().startswith(_NESTED_PREFIXES) or typ.endswith("]")
            cols.append(f"CAST(to_json({ref}) AS VARCHAR) AS c{i}" if nested else f"CAST({ref} AS VARCHAR) AS c{i}")
        if numbered:
            return (f"SELECT {', '.join(cols)}, file_row_number + 1 AS x_rn FROM read_parquet(?, file_row_number = true)",
                    [str(src.path)])
        return f"SELECT {', '.join(cols)} FROM read_parquet(?)", [str(src.path)]
    columns = {c: "VARCHAR" for c in src.source_columns()}
    sql = (
        "SELECT * FROM read_csv(?, header = true, auto_detect = false, columns = ?, delim = ?, quote = '\"', "
        "escape = '\"', nullstr = ['NULL', ''], allow_quoted_nulls = false, compression = ?, "
        "store_rejects = true, rejects_table = ?, rejects_scan = ?, max_line_size = 16777216)"  # lines.MAX_LINE_BYTES
    )
    compression = "gzip" if src.compression == "gzip" else "none"
    return sql, [str(src.path), columns, src.delimiter, compression, rejects_table, rejects_scan]
