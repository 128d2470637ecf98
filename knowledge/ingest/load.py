"""Load one file into the store in one transaction: stage, check, replace, insert, quarantine, record.

Set-based: DuckDB reads and types the whole file in one statement into a stage (file order kept, so
a stage row's `rowid + 1` is its record number; a temp table, or a big FOCUS file's scratch database:
stage_place.py); the good rows go to the table in one INSERT ... SELECT.
A FOCUS file (outside a lake) is first loaded directly: one INSERT ... SELECT of its typed and checked
rows straight from the file, then the checks that need the loaded rows (every record loaded, by the line
count or the Parquet row count; no value check failing). When one fails, that transaction is rolled back
and the file takes the staged path, which numbers what it quarantines (FINOPS_INGEST_DIRECT=0 stages every
file). The stage costs about a third of a big clean file's load (docs/performance.md); a file with a bad
row pays for the rolled-back pass too.
Python only works out line numbers and raw text for the rejected rows (lines.py) and 'did you mean'
hints. A crash anywhere before COMMIT leaves the store as it was (DuckDB discards the open transaction).

Before the transaction (in a direct load, before its commit): a file whose content was already loaded is
skipped (`already_loaded`). Inside it, before COMMIT: a file that would replace earlier rows with too many
bad ones of its own is refused (`knowledge.ingest.limits.check_replace`), which rolls it back like any
other error.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import duckdb

from knowledge import lake, tag_columns
from knowledge.ingest import llm
from knowledge.ingest.errors import IngestError
from knowledge.ingest.header import HeaderPlan
from knowledge.ingest.limits import LoadPolicy, check_replace
from knowledge.ingest.lines import MAX_LINE_BYTES, LineMap, count_lines, file_digest, map_records, regular
from knowledge.ingest.models import FileReport, QuarantinedRow
from knowledge.ingest.postchecks import flag_bad_values, value_findings
from knowledge.ingest.progress import ProgressSink, polled
from knowledge.ingest.session import insertion_order, one_row, scalar, transaction
from knowledge.ingest.source import SourceFile, relation_sql
from knowledge.ingest.specs import TableSpec
from knowledge.ingest.stage_place import stage_place
from knowledge.ingest.staging import STAGE, bind, checked_sql, ident, stage_columns, stage_sql

_REJECTS = "_ingest_rejects"
_SCANS = "_ingest_scans"
_LINES = "_ingest_reject_lines"
_BREAKS = "_ingest_breaks"
_TEMPS = (STAGE, _REJECTS, _SCANS, _LINES, _BREAKS, "_ingest_replace_keys")
_NO_LINE = "CAST(NULL AS BIGINT)"
_ROLLED_BACK = "direct load (rolled back)"
_STAGED_ROWS: tuple[str, list[object]] = (f"{STAGE} WHERE x_reason IS NULL", [])  # the good rows of the stage, as a relation and its parameters

# How DuckDB's CSV reader names rows it cannot split, in words for the quarantine reason.
_SPLIT_ERRORS = {
    "MISSING COLUMNS": "too few fields",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "bad quoting",
    "INVALID UNICODE": "invalid UTF-8",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID STATE": "bad quoting",
}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _split_reason(error_type: str, messages: list[str]) -> str:
    """Words for a row DuckDB could not split. It logs one entry per missing or extra field, so the
    row's real field count is the lowest 'Found' for too few fields and the highest for too many."""
    words = _SPLIT_ERRORS.get(error_type, error_type.lower())
    found = [re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", m or "") for m in messages]
    pairs = [(int(m.group(1)), int(m.group(2))) for m in found if m]
    if pairs:
        expected = pairs[0][0]
        got = min(p[1] for p in pairs) if error_type == "MISSING COLUMNS" else max(p[1] for p in pairs)
        return f"cannot split the row: {words} (expected {expected}, found {got})"
    return f"cannot split the row: {words}"


class _Laps:
    """Seconds spent in each phase of a load, for the report (and the benchmark)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(now - self._last, 3)
        self._last = now


class _LineCounter(threading.Thread):
    """While DuckDB stages a file: the SHA-256 of its content (the decompressed text of a CSV.gz, the
    bytes of a Parquet file), and for a CSV its physical lines (needed when nothing is rejected)."""

    def __init__(self, src: SourceFile):
        super().__init__(name="ingest-line-count", daemon=True)
        self.src = src
        self.lines: int | None = None
        self.digest: str | None = None
        self.error: str | None = None  # the gzip stream is truncated or corrupt
        self.nul = [False]  # the text holds a NUL byte somewhere
        self.long_lines: list[int] = []  # physical lines over MAX_LINE_BYTES
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            if self.src.format == "parquet":
                self.digest = file_digest(str(self.src.path), self.stop)
                return
            h = hashlib.sha256()
            self.lines = count_lines(self.src, self.stop, h, self.nul, self.long_lines)
            self.digest = h.hexdigest() if self.lines is not None else None
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            self.lines = None
            self.digest = None
            self.error = str(exc) or type(exc).__name__
        except OSError:
            self.lines = None
            self.digest = None


def load_file(
    con: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    src: SourceFile,
    plan: HeaderPlan,
    *,
    ingest_id: str,
    run_ids: list[str],
    sink: ProgressSink | None = None,
    prices: list[tuple] | None = None,
    prices_name: str | None = None,
    shown: str | None = None,
    policy: LoadPolicy = LoadPolicy(),
    earlier: dict[str, str] | None = None,
) -> FileReport:
    """Load `src` as `spec.kind` in one transaction and return its report. `run_ids`: ingest ids of
    files loaded earlier in the same command (parts of one export do not replace each other).
    `earlier`: content digest -> name of the files loaded earlier in the same command; a file with the
    same content, or one loaded before whose rows are all still in the store, is skipped (its report
    says why). Raises ReplaceRefused (nothing of this file loaded) per `policy`."""
    job = _Load(con, spec, src, plan, ingest_id, shown or str(src.path), sink)
    with job.session():
        if _direct_first(con, spec):
            try:
                return job.direct(run_ids, policy, earlier or {})
            except _Restage as why:
                job.restage(str(why))
        return _staged(job, run_ids, policy, earlier or {}, prices, prices_name)


def _direct_first(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> bool:
    """Whether a load tries the direct path first: a FOCUS file (into a store file or a lake), unless
    FINOPS_INGEST_DIRECT=0 (every file staged, as before the direct path)."""
    if os.environ.get("FINOPS_INGEST_DIRECT", "").strip() == "0":
        return False
    return spec.kind == "focus"


class _Restage(Exception):
    """Why a direct load was rolled back: the file has a record it did not load (see `_Load.direct`)."""


class _Skip(Exception):
    """Why a file found already loaded by a direct load is skipped (rolled back)."""


def _staged(job: _Load, run_ids: list[str], policy: LoadPolicy, earlier: dict[str, str],
            prices: list[tuple] | None, prices_name: str | None) -> FileReport:
    """The load through a stage in file order: every kind of file, and a FOCUS file a direct load did not take."""
    con, spec, src = job.con, job.spec, job.src
    with stage_place(con, spec.kind, src.estimated_rows) as place:
        job.stage(place.create)
        skipped = _already_loaded(con, spec, job.digest, earlier, policy, priced_anew=prices is not None)
        if skipped is not None:
            return job.skipped(skipped)
        if place.scratch is not None:
            # a stage in the scratch database is marked before the store's transaction, which may write to
            # one database only (the checks write to the stage alone; nothing of the store changes)
            job.check(prices, prices_name)
        with transaction(con):
            if place.scratch is None:
                job.check(prices, prices_name)
            job.load(run_ids)
            job.settle(policy)
        job.lap("committing")
    return job.report()


class _Load:
    """One file's load, step by step (stage, check, load, settle), with what each step found."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: TableSpec, src: SourceFile, plan: HeaderPlan,
                 ingest_id: str, shown: str, sink: ProgressSink | None):
        self.con, self.spec, self.src, self.plan, self.ingest_id, self.shown = con, spec, src, plan, ingest_id, shown
        self.started, self.t0 = _now(), time.perf_counter()
        self.notes: list[str] = []
        if plan.extra:
            what = "FOCUS" if spec.kind == "focus" else f"table {spec.table}"
            self.notes.append(f"column(s) not in {what}, not loaded: {', '.join(plan.extra)}")
        if spec.kind == "focus" and plan.absent:
            self.notes.append(f"{len(plan.absent)} FOCUS column(s) absent from the file load as NULL")
        self.psink = sink if sink is not None and sink.start(str(src.path), src.estimated_rows) else None
        self.counter = _LineCounter(src)
        self.lap = _Laps()
        self.digest: str | None = None
        self.split_rows: list[tuple[int, int, str, str]] = []
        self.staged = self.rejected = self.read = self.loaded = self.quarantined = self.replaced = 0
        self.accounts: list[str] = []
        self.periods: list[str] = []
        self.billed: dict[str, Decimal] = {}
        self.first: list[QuarantinedRow] = []

    @contextmanager
    def session(self) -> Iterator[None]:
        """UTC while loading, temp tables dropped and the line counter stopped afterwards, whatever happens."""
        tz = scalar(self.con, "SELECT current_setting('TimeZone')")
        try:
            self.con.execute("SET TimeZone = 'UTC'")
            _drop_temps(self.con)
            yield
        finally:
            try:
                _drop_temps(self.con)
                self.con.execute(f"SET TimeZone = '{tz}'" if re.fullmatch(r"[A-Za-z0-9_/+\-]+", tz) else "RESET TimeZone")
            except duckdb.Error:
                pass
            if self.counter.is_alive():
                self.counter.stop.set()
                self.counter.join()
            if self.psink:
                self.psink.finish()

    def direct(self, run_ids: list[str], policy: LoadPolicy, earlier: dict[str, str]) -> FileReport:
        """Load a FOCUS file straight from itself: one INSERT of its typed and checked rows, no stage (a stage
        in file order costs about a third of a big load: docs/performance.md). Kept only when every record
        of the file loaded; otherwise (a row to quarantine, a row DuckDB could not split, a record over
        several lines, a NUL byte, an overlong line) rolled back with `_Restage`, and the file is staged."""
        con, spec, src = self.con, self.spec, self.src
        self.bindings = bind(spec, self.plan.source_columns)
        numbered = src.format == "parquet"  # a Parquet row's line is its row number; a CSV charge has none
        source_sql, params = relation_sql(src, _REJECTS, _SCANS, numbered=numbered)
        checked = checked_sql(spec, self.bindings, source_sql, ("x_rn",) if numbered else ())
        good = f"(SELECT * FROM ({checked}) AS c WHERE c.x_reason IS NULL) AS s"
        cols = stage_columns(spec, self.bindings)
        line_sql = "s.x_rn" if numbered else _NO_LINE
        self.counter.start()
        try:
            # the setting outside the transaction: restoring it inside one an error aborted would hide that error
            with insertion_order(con, keep=False), transaction(con):
                try:
                    with polled(con, self.psink, "loading", src.estimated_rows):
                        inserted = _insert(con, spec, cols, line_sql, src, self.ingest_id, (good, params))
                except duckdb.InterruptException:
                    raise
                except duckdb.Error as exc:
                    raise self._unreadable(exc) from exc
                self.lap("loading")
                self._counted()
                why = self._unloaded(inserted)
                if why is not None:
                    raise _Restage(why)
                skipped = _already_loaded(con, spec, self.digest, earlier, policy, priced_anew=False)
                if skipped is not None:
                    raise _Skip(skipped)
                # in a lake writer the rows went to its temporary table (lake.write_target), not the lake's view
                target = lake.write_target(con, ident(spec.table))
                mine: tuple[str, list[object]] = (f"{target} WHERE x_ingest_id = ?", [self.ingest_id])
                if value_findings(con, self.bindings, *mine):
                    raise _Restage("a value to quarantine")
                self.lap("checking")
                if target != ident(spec.table):   # a lake: bring in the partitions these rows may restate
                    lake.checkout(con, target, "x_ingest_id = '" + self.ingest_id.replace("'", "''") + "'")
                self.replaced = _replace_focus(con, run_ids + [self.ingest_id], mine)
                self.lap("replacing")
                self.staged = self.read = self.loaded = inserted
                self.settle(policy, mine)
            self.lap("committing")
        except _Skip as why:
            return self.skipped(str(why))
        return self.report()

    def _unloaded(self, inserted: int) -> str | None:
        """Why a direct load may have left a record of the file out, or None when it loaded every one."""
        counter = self.counter
        if counter.nul[0] or counter.long_lines:
            return "a NUL byte or an overlong line"
        if self.src.format == "parquet":
            return None if inserted == self.src.estimated_rows else "rows to quarantine"
        if scalar(self.con, f"SELECT count(*) FROM {_REJECTS}"):
            return "rows DuckDB could not split"
        if counter.lines is None or not regular(counter.lines, inserted, 0):
            return "rows to quarantine, blank lines or records over several lines"
        return None

    def restage(self, why: str) -> None:
        """After a direct load was rolled back (`why`): its time stays in the report under its own name."""
        loading = self.lap.seconds.pop("loading", 0.0) + self.lap.seconds.pop("checking", 0.0)
        self.lap(_ROLLED_BACK)
        self.lap.seconds[_ROLLED_BACK] = round(self.lap.seconds[_ROLLED_BACK] + loading, 3)
        _drop_temps(self.con)

    def _unreadable(self, exc: duckdb.Error) -> IngestError:
        """A corrupt Parquet page, a truncated gzip, ...: the error names the file."""
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        return IngestError(f"{self.shown}: cannot read this {self.src.label} file ({first_line}); nothing was loaded")

    def _counted(self) -> None:
        """Wait for the line counter (started with the read), and refuse a damaged gzip file."""
        self.counter.join()
        if self.counter.error is not None:  # DuckDB reads a truncated gzip up to the cut without a word
            raise IngestError(f"{self.shown}: a damaged gzip file ({self.counter.error}); nothing was loaded")
        self.digest = self.counter.digest

    def stage(self, create: str) -> None:
        """DuckDB reads and types the whole file into the stage, `create` (a temp table, or a big file's table
        in a scratch database: knowledge.ingest.stage_place), outside the transaction: a committed stage
        numbers its rows 0..n-1 in file order."""
        con, src = self.con, self.src
        self.bindings = bind(self.spec, self.plan.source_columns)
        source_sql, params = relation_sql(src, _REJECTS, _SCANS)
        if self.counter.ident is None:  # not started by a direct load
            self.counter.start()
        try:
            with polled(con, self.psink, "reading", src.estimated_rows):
                con.execute(stage_sql(self.spec, self.bindings, source_sql, create), params)
        except duckdb.InterruptException:
            raise
        except duckdb.Error as exc:
            raise self._unreadable(exc) from exc
        self.lap("reading")
        staged, first_id, last_id = one_row(con, f"SELECT count(*), min(rowid), max(rowid) FROM {STAGE}")
        if staged and (first_id != 0 or last_id != staged - 1):
            raise RuntimeError(f"ingest stage rows are not numbered 0..{staged - 1}")
        self.staged = staged
        self._counted()

    def skipped(self, why: str) -> FileReport:
        return FileReport(
            file=str(self.src.path), ingest_id=self.ingest_id, kind=self.spec.kind, format=self.src.label, rows_read=0,
            rows_loaded=0, rows_quarantined=0, skipped=why, content_sha256=self.digest,
            seconds=round(time.perf_counter() - self.t0, 3),
        )

    def check(self, prices: list[tuple] | None, prices_name: str | None) -> None:
        """Mark the stage's bad rows (x_reason) and find the rows DuckDB could not split."""
        con, spec = self.con, self.spec
        if self.psink:
            self.psink.update("checking", None)
        if spec.kind == "llm-calls":
            self.notes.extend(llm.prepare(con, prices, prices_name))
            self.notes.extend(llm.flag_unknown_models(con))
            llm.flag_unattributable(con, "provider" in self.plan.source_columns)
        if self.counter.nul[0]:
            _flag_nul_bytes(con, self.bindings)
        flag_bad_values(con, self.bindings)
        if spec.replace == "key":
            _flag_duplicate_keys(con, spec)
        self.rejected = scalar(con, f"SELECT count(x_reason) FROM {STAGE}")
        self.split_rows = _split_rejects(con) if self.src.format == "csv" else []
        reported_long = sum(1 for r in self.split_rows if "line too long" in r[2])
        long_lines = self.counter.long_lines
        if len(long_lines) > reported_long:  # DuckDB drops a very long line without a word
            raise IngestError(
                f"{self.shown}: line {long_lines[0]} is longer than {MAX_LINE_BYTES >> 20} MB"
                + (f" ({len(long_lines)} such lines)" if len(long_lines) > 1 else "")
                + "; no CSV row is that long and it cannot be read reliably: fix or remove it. Nothing was loaded"
            )
        self.lap("checking")

    def load(self, run_ids: list[str]) -> None:
        """Replace the rows this file restates, insert its good rows, quarantine the bad ones."""
        con = self.con
        line_sql, mapping = _locate(con, self.src, self.staged, self.rejected, self.split_rows, self.counter, self.notes,
                                    self.spec.csv_lines)
        self.lap("locating lines")
        if self.psink:
            self.psink.update("replacing", None)
        if self.spec.table == "focus_charges":   # a lake: bring in the partitions these rows may restate
            lake.checkout(con, STAGE, "x_reason IS NULL")
        self.replaced = _replace(con, self.spec, self.src, run_ids)
        self.lap("replacing")
        cols = stage_columns(self.spec, self.bindings)
        with polled(con, self.psink, "loading", self.staged), insertion_order(con, keep=False):
            self.loaded = _insert(con, self.spec, cols, line_sql, self.src, self.ingest_id)
        self.lap("loading")
        self.quarantined = _quarantine(con, self.src, self.ingest_id, self.rejected, self.split_rows, mapping)
        self.lap("quarantining")
        self.read = self.staged + len(self.split_rows)
        if self.read != self.loaded + self.quarantined:  # the invariant every report states; never commit without it
            raise RuntimeError(f"ingest bookkeeping error: read {self.read} != loaded {self.loaded} "
                               f"+ quarantined {self.quarantined}")

    def settle(self, policy: LoadPolicy, loaded: tuple[str, list[object]] = _STAGED_ROWS) -> None:
        """Refuse a replace with too many bad rows (rolls back), then record the run; COMMIT follows.
        `loaded`: the relation (and its parameters) of the rows this file loads."""
        con, spec = self.con, self.spec
        if spec.kind == "focus":
            self.accounts, self.periods, self.billed = _focus_summary(con, loaded)
        self.first = [QuarantinedRow(line=line, reason=reason) for line, reason in con.execute(
            "SELECT line, reason FROM quarantine WHERE ingest_id = ? ORDER BY line, reason LIMIT 5", [self.ingest_id]
        ).fetchall()]
        what = (f" (billing account {', '.join(self.accounts)}, period {', '.join(self.periods)})"
                if spec.kind == "focus" and self.accounts else "")
        check_replace(self.shown, read=self.read, quarantined=self.quarantined, replaced=self.replaced, policy=policy,
                      first_reasons=[f"line {r.line}: {r.reason}" for r in self.first], what=what)
        if spec.kind == "llm-calls":
            unpriced = scalar(
                con,
                "SELECT count(*) FROM llm_calls WHERE x_ingest_id = ? AND cost IS NULL", [self.ingest_id]
            )
            if unpriced:
                self.notes.append(f"{unpriced} row(s) have a model whose catalog row lacks a price: cost unknown (NULL)")
        if self.psink:
            self.psink.update("committing", None)
        con.execute(
            "INSERT INTO ingest_runs (ingest_id, source, file, billing_account, billing_period, rows_read, "
            "rows_loaded, rows_quarantined, rows_replaced, status, started_at, finished_at, content_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?, ?)",
            [self.ingest_id, spec.kind, str(self.src.path), ",".join(self.accounts) or None,
             ",".join(self.periods) or None, self.read, self.loaded, self.quarantined, self.replaced, self.started,
             _now(), self.digest],
        )

    def report(self) -> FileReport:
        return FileReport(
            file=str(self.src.path), ingest_id=self.ingest_id, kind=self.spec.kind, format=self.src.label,
            rows_read=self.read, rows_loaded=self.loaded, rows_quarantined=self.quarantined,
            rows_replaced=self.replaced, billing_accounts=self.accounts, billing_periods=self.periods,
            billed_cost=self.billed, notes=self.notes, first_rejects=self.first,
            seconds=round(time.perf_counter() - self.t0, 3), phases=self.lap.seconds, content_sha256=self.digest,
        )


def _flag_nul_bytes(con: duckdb.DuckDBPyConnection, bindings: list) -> None:
    """A NUL byte inside a text value is corruption, not data: quarantine the row (only run when the file
    has one; a file mostly of NULs was refused as binary before anything was read)."""
    for b in bindings:
        if b.column.kind != "text":
            continue
        col = ident(b.column.name)
        con.execute(
            f"UPDATE {STAGE} SET x_reason = concat_ws('; ', x_reason, ?) WHERE contains({col}, chr(0))",
            [f"{b.column.name}: contains a NUL byte (a damaged file?)"],
        )


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    for table in _TEMPS:
        con.execute(f"DROP TABLE IF EXISTS {table}")


_MAX_KEY_BYTES = 1024  # a key is indexed (DuckDB's ART refuses keys over 120 KB, failing the whole file)


def _flag_duplicate_keys(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """A key may appear once per file: later repeats are quarantined (the first one loads). A key longer
    than _MAX_KEY_BYTES is quarantined too."""
    for k in spec.replace_by:
        if spec.column(k).kind == "text":
            con.execute(
                f"UPDATE {STAGE} SET x_reason = concat_ws('; ', x_reason, ?) WHERE strlen({ident(k)}) > {_MAX_KEY_BYTES}",
                [f"{k} is longer than {_MAX_KEY_BYTES} bytes"],
            )
    keys = ", ".join(ident(k) for k in spec.replace_by)
    shown = " || ', ' || ".join(f"'{k} ''' || {ident(k)} || ''''" for k in spec.replace_by)
    con.execute(
        f"UPDATE {STAGE} SET x_reason = 'duplicate ' || {shown} || ' (an earlier row of this file has it)' "
        f"WHERE rowid IN (SELECT rid FROM (SELECT rowid AS rid, row_number() OVER (PARTITION BY {keys} "
        f"ORDER BY rowid) AS k FROM {STAGE} WHERE x_reason IS NULL) AS d WHERE k > 1)"
    )


def _split_rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int, str, str]]:
    """Rows DuckDB's CSV reader set aside: (byte position, its line count, reason, its raw text)."""
    rows = con.execute(
        f"SELECT line_byte_position, min(line), min(error_type::VARCHAR), list(error_message), min(csv_line) "
        f"FROM {_REJECTS} GROUP BY line_byte_position ORDER BY line_byte_position"
    ).fetchall()
    return [(int(pos), int(line), _split_reason(etype, msgs), raw) for pos, line, etype, msgs, raw in rows]


def _locate(
    con: duckdb.DuckDBPyConnection,
    src: SourceFile,
    staged: int,
    rejected: int,
    split_rows: list[tuple[int, int, str, str]],
    counter: _LineCounter | None,
    notes: list[str],
    csv_lines: bool = True,
) -> tuple[str, LineMap | None]:
    """How to number loaded rows (SQL for x_line over stage alias `s` with its `x_rn`; NULL for a CSV file's
    rows unless `csv_lines`), and the line map for rejected rows. Scans the file in Python only when
    something was rejected, or lines are irregular and loaded rows are numbered."""
    if src.format == "parquet":
        return "s.x_rn", None
    if not csv_lines and rejected == 0 and not split_rows:
        return _NO_LINE, None
    if counter is not None:
        counter.join()
    if rejected == 0 and not split_rows and counter is not None and counter.lines is not None:
        if regular(counter.lines, staged, 0):
            return "s.x_rn + 1", None
    wanted = {r[0] + 1 for r in con.execute(f"SELECT rowid FROM {STAGE} WHERE x_reason IS NOT NULL").fetchall()}
    mapping = map_records(src, wanted, [r[0] for r in split_rows], staged)
    if not mapping.exact:
        notes.append("line numbers are approximate: the file's quoting could not be followed exactly")
        return _NO_LINE, mapping
    if not csv_lines:
        return _NO_LINE, mapping
    con.execute(f"DROP TABLE IF EXISTS {_BREAKS}")
    firsts, deltas = zip(*mapping.breakpoints) if mapping.breakpoints else ((), ())
    con.execute(
        f"CREATE TEMP TABLE {_BREAKS} AS SELECT unnest(?::BIGINT[]) AS rn, unnest(?::BIGINT[]) AS delta",
        [list(firsts), list(deltas)],
    )
    if len(mapping.breakpoints) <= 1:
        delta = mapping.breakpoints[0][1] if mapping.breakpoints else 1
        return f"s.x_rn + {int(delta)}", mapping
    return "s.x_rn + b.delta", mapping


def already_loaded(con: duckdb.DuckDBPyConnection, source: str, table: str, digest: str | None,
                   earlier: dict[str, str], policy: LoadPolicy, check_history: bool) -> str | None:
    """Why a file with content `digest` is skipped, or None to load it.

    Same content as a file loaded earlier in this command: always skipped (loading it would count its
    rows twice, whatever its name). Same content as an earlier run of the same kind whose rows are all
    still in `table`: skipped unless forced (loading it again would change nothing). A run whose rows were
    since replaced, even in part, does not count: loading its file again restores them. `check_history`
    is False when the table has no x_ingest_id (nothing to check) or when the load depends on more than
    the file (llm-calls with --prices: the same calls priced anew)."""
    if digest is None:
        return None
    if digest in earlier:
        return f"same content as {earlier[digest]}, loaded earlier in this command"
    if policy.force or not check_history:
        return None
    runs = con.execute(
        "SELECT ingest_id, file, finished_at, rows_read, rows_loaded, rows_quarantined FROM ingest_runs "
        "WHERE content_sha256 = ? AND source = ? AND status = 'ok' ORDER BY finished_at DESC", [digest, source],
    ).fetchall()
    for run_id, file, finished, read, rows_loaded, quarantined in runs:
        present = scalar(con, f"SELECT count(*) FROM {ident(table)} WHERE x_ingest_id = ?", [run_id])
        if present == rows_loaded:
            when = f"{finished:%Y-%m-%d %H:%M} UTC" if finished is not None else "earlier"
            return (f"same content as {file}, loaded {when} (read {read}, loaded {rows_loaded}, quarantined "
                    f"{quarantined}; ingest id {run_id}) and all its rows are still in the store; "
                    "pass --force to load it again")
    return None


def _already_loaded(con: duckdb.DuckDBPyConnection, spec: TableSpec, digest: str | None, earlier: dict[str, str],
                    policy: LoadPolicy, priced_anew: bool) -> str | None:
    return already_loaded(con, spec.kind, spec.table, digest, earlier, policy,
                          "x_ingest_id" in spec.lineage and not priced_anew)


# FOCUS replace key, normalised: the provider's name folded (case and all whitespace ignored), the billing
# account trimmed, and the billing period compared as instants (UTC): an earlier row is replaced when the
# middle of its billing period falls inside a billing period of the new file, or when both periods start
# on the same day (nearest UTC midnight). So '2024-09-01T00:00:00-08:00' and '2024-09-01 00:00:00' are
# the same September, 'AWS' and ' aws ' the same provider, and no restated month is counted twice.
_KEYS = "_ingest_replace_keys"


def _fold_sql(expr: str) -> str:
    return f"lower(regexp_replace({expr}, '\\s+', '', 'g'))"


def _replace_focus(con: duckdb.DuckDBPyConnection, run_ids: list[str],
                   loaded: tuple[str, list[object]] = _STAGED_ROWS) -> int:
    """Delete the earlier rows the rows this file loads (`loaded`) restate, except those of `run_ids`."""
    target = lake.write_target(con, "focus_charges")
    con.execute(f"DROP TABLE IF EXISTS {_KEYS}")
    # the distinct raw values first, so the fold's regexp runs on a few rows, not on every loaded one
    con.execute(
        f"CREATE TEMP TABLE {_KEYS} AS SELECT DISTINCT {_fold_sql('ProviderName')} AS pf, "
        "trim(BillingAccountId) AS acct, BillingPeriodStart AS ps, BillingPeriodEnd AS pe "
        f"FROM (SELECT DISTINCT ProviderName, BillingAccountId, BillingPeriodStart, BillingPeriodEnd "
        f"FROM {loaded[0]}) AS l", loaded[1]
    )
    mid = "(t.BillingPeriodStart + (coalesce(t.BillingPeriodEnd, t.BillingPeriodStart) - t.BillingPeriodStart) / 2)"
    day = "date_trunc('day', {} + INTERVAL 12 HOUR)"
    earlier = "t.x_ingest_id IS NULL OR NOT list_contains(?::VARCHAR[], t.x_ingest_id)"
    try:
        # The restated groups first, as their raw values (few: a provider's account and month), then one
        # DELETE per group. A DELETE joined to the keys made DuckDB hash the table's side when it held
        # few committed rows and many new ones (a direct load inserts before it replaces): out of memory
        # at 10M rows.
        groups = con.execute(
            f"SELECT DISTINCT t.ProviderName, t.BillingAccountId, t.BillingPeriodStart, t.BillingPeriodEnd "
            f"FROM (SELECT DISTINCT ProviderName, BillingAccountId, BillingPeriodStart, BillingPeriodEnd "
            f"FROM {target} t WHERE {earlier}) AS t JOIN {_KEYS} m "
            f"ON {_fold_sql('t.ProviderName')} = m.pf AND trim(t.BillingAccountId) = m.acct "
            f"AND (({mid} >= m.ps AND {mid} < m.pe) OR {day.format('t.BillingPeriodStart')} = {day.format('m.ps')})",
            [run_ids],
        ).fetchall()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_KEYS}")
    return sum(scalar(
        con,
        f"DELETE FROM {target} t WHERE t.ProviderName = ? AND t.BillingAccountId = ? AND t.BillingPeriodStart = ? "
        f"AND t.BillingPeriodEnd IS NOT DISTINCT FROM ? AND ({earlier})",
        [*group, run_ids],
    ) for group in groups)


def _replace(con: duckdb.DuckDBPyConnection, spec: TableSpec, src: SourceFile, run_ids: list[str]) -> int:
    """Delete the rows this file replaces; returns how many."""
    table = ident(spec.table)
    if spec.replace == "file":
        return scalar(con, f"DELETE FROM {table} WHERE x_source_file = ?", [str(src.path)])
    if spec.replace == "groups" and spec.table == "focus_charges":
        return _replace_focus(con, run_ids)
    match = " AND ".join(f"{table}.{ident(k)} = k.{ident(k)}" for k in spec.replace_by)
    keys = ", ".join(ident(k) for k in spec.replace_by)
    sql = f"DELETE FROM {table} USING (SELECT DISTINCT {keys} FROM {STAGE} WHERE x_reason IS NULL) AS k WHERE {match}"
    params: list[object] = []
    if spec.replace == "groups" and run_ids:
        sql += f" AND ({table}.x_ingest_id IS NULL OR {table}.x_ingest_id NOT IN (SELECT unnest(?::VARCHAR[])))"
        params.append(run_ids)
    return scalar(con, sql, params)


def _insert(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, cols: list[str], line_sql: str, src: SourceFile, ingest_id: str,
    rows: tuple[str, list[object]] | None = None,
) -> int:
    """Insert the good rows: of the stage (numbered `x_rn`), or of `rows` (a relation `s` and its parameters)."""
    targets = [ident(c) for c in cols]
    values = [f"s.{ident(c)}" for c in cols]
    params: list[object] = []
    joins = ""
    if spec.kind == "llm-calls":
        from knowledge.prices import llm_cost_sql

        joins += " LEFT JOIN llm_prices p ON p.model = s.model"
        if "provider" in cols:
            values[cols.index("provider")] = "coalesce(nullif(s.provider, ''), p.provider)"
        else:
            targets.append("provider")
            values.append("p.provider")
        targets.append("cost")
        values.append(llm_cost_sql("s", "p"))
    if spec.table == "focus_charges" and "Tags" in cols:
        for col, value in tag_columns.computed("s.Tags"):
            targets.append(col)
            values.append(value)
    if "x_source_file" in spec.lineage:
        targets.append("x_source_file")
        values.append("?")
        params.append(str(src.path))
    if "x_ingest_id" in spec.lineage:
        targets.append("x_ingest_id")
        values.append("?")
        params.append(ingest_id)
    if "x_line" in spec.lineage:
        targets.append("x_line")
        values.append(line_sql)
        if "b.delta" in line_sql:
            joins += f" ASOF LEFT JOIN {_BREAKS} b ON s.x_rn >= b.rn"
    source = f"(SELECT rowid + 1 AS x_rn, * FROM {STAGE} WHERE x_reason IS NULL) AS s" if rows is None else rows[0]
    sql = f"INSERT INTO {lake.write_target(con, ident(spec.table))} ({', '.join(targets)}) SELECT {', '.join(values)} FROM {source}{joins}"
    return scalar(con, sql, params + (rows[1] if rows is not None else []))


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    src: SourceFile,
    ingest_id: str,
    rejected: int,
    split_rows: list[tuple[int, int, str, str]],
    mapping: LineMap | None,
) -> int:
    file = str(src.path)
    count = 0
    raws: list[str | None]  # the raw text of a quarantined line, unknown (NULL) when records are not lines
    if rejected:
        con.execute(f"DROP TABLE IF EXISTS {_LINES}")
        if src.format == "parquet":
            con.execute(
                f"CREATE TEMP TABLE {_LINES} AS SELECT p.file_row_number + 1 AS rn, p.file_row_number + 1 AS line, "
                "CAST(json_merge_patch(to_json(p), '{\"file_row_number\": null}') AS VARCHAR) AS raw "
                "FROM read_parquet(?, file_row_number = true) AS p "
                f"WHERE p.file_row_number + 1 IN (SELECT rowid + 1 FROM {STAGE} WHERE x_reason IS NOT NULL)",
                [file],
            )
        else:
            assert mapping is not None
            if mapping.exact:
                rns = sorted(mapping.wanted)
                lines = [mapping.wanted[rn][0] for rn in rns]
                raws = [mapping.wanted[rn][1] for rn in rns]
            else:  # best effort: record number + 1, raw text unknown
                rns = sorted(mapping.wanted) or [r[0] + 1 for r in con.execute(
                    f"SELECT rowid FROM {STAGE} WHERE x_reason IS NOT NULL").fetchall()]
                lines = [mapping.wanted.get(rn, (rn + 1, ""))[0] for rn in rns]
                raws = [mapping.wanted.get(rn, (0, None))[1] for rn in rns]
            con.execute(
                f"CREATE TEMP TABLE {_LINES} AS SELECT unnest(?::BIGINT[]) AS rn, unnest(?::BIGINT[]) AS line, "
                "unnest(?::VARCHAR[]) AS raw",
                [rns, lines, raws],
            )
        count += scalar(
            con,
            f"INSERT INTO quarantine (ingest_id, file, line, reason, raw) "
            f"SELECT ?, ?, coalesce(l.line, s.x_rn + 1), s.x_reason, l.raw "
            f"FROM (SELECT rowid + 1 AS x_rn, x_reason FROM {STAGE} WHERE x_reason IS NOT NULL) AS s "
            f"LEFT JOIN {_LINES} l ON l.rn = s.x_rn",
            [ingest_id, file],
        )
    if split_rows:
        if mapping is not None and mapping.exact and len(mapping.set_aside) == len(split_rows):
            lines = [line for line, _ in mapping.set_aside]
            raws = [raw for _, raw in mapping.set_aside]
        else:
            lines = [r[1] for r in split_rows]
            raws = [r[3] for r in split_rows]
        count += scalar(
            con,
            "INSERT INTO quarantine (ingest_id, file, line, reason, raw) "
            "SELECT ?, ?, unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
            [ingest_id, file, lines, [r[2] for r in split_rows], raws],
        )
    return count


def _focus_summary(con: duckdb.DuckDBPyConnection, loaded: tuple[str, list[object]]
                   ) -> tuple[list[str], list[str], dict[str, Decimal]]:
    """The billing accounts, periods and billed cost per currency of the rows a file loads (`loaded`)."""
    rows, params = loaded
    accounts = [r[0] for r in con.execute(f"SELECT DISTINCT BillingAccountId FROM {rows} ORDER BY 1", params).fetchall()]
    periods = [r[0] for r in con.execute(
        f"SELECT DISTINCT strftime(ps, '%Y-%m') FROM (SELECT DISTINCT BillingPeriodStart AS ps FROM {rows}) AS l "
        "ORDER BY 1", params
    ).fetchall()]
    billed = {cur: total for cur, total in con.execute(
        f"SELECT BillingCurrency, sum(BilledCost) FROM {rows} GROUP BY BillingCurrency ORDER BY BillingCurrency", params
    ).fetchall()}
    return accounts, periods, billed
