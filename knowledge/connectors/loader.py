"""Load one parsed input into the store in one transaction: stage, replace, insert (with cost from the
catalog), quarantine, record the run — the same bookkeeping as `knowledge.ingest` (ingest_runs row,
quarantine rows with file and line, read = loaded + quarantined, nothing half-written on a crash).

Rows reach DuckDB set-based: Python writes the parsed rows to a temporary CSV (decimals as exact
strings, times as ISO text) and one `read_csv` with explicit column types stages them; the INSERT is
one statement. (Binding millions of values as list parameters is far slower than a CSV round trip.)
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from knowledge import lake, tag_columns
from knowledge.connectors.records import Parsed, Reject
from knowledge.connectors.targets import STAGE, Target, cost_sql
from knowledge.ingest import llm as llm_catalog
from knowledge.ingest.limits import LoadPolicy, check_replace
from knowledge.ingest.load import already_loaded
from knowledge.ingest.models import FileReport, QuarantinedRow
from knowledge.ingest.session import scalar, transaction
from knowledge.ingest.suggest import unknown

_REJECTS = "_connector_rejects"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _to_decimal_text(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _converter(sql_type: str) -> Callable[[Any], Any] | None:
    """How a column's Python value is written to the staging CSV; None: as `csv` writes it (str(value):
    ints, text, floats as repr, datetimes as 'YYYY-MM-DD HH:MM:SS[.ffffff]', booleans as True/False)."""
    if sql_type.startswith("MAP(") or sql_type == "JSON":
        return _to_json
    if sql_type.startswith("DECIMAL"):
        return _to_decimal_text  # never exponent notation
    return None


def _stage_type(sql_type: str) -> str:
    return "VARCHAR" if sql_type.startswith("MAP(") or sql_type == "JSON" else sql_type


def stage_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[tuple[str, str]],
               rows: Iterable[dict[str, Any]], unencodable: list[int] | None = None) -> int:
    """CREATE TEMP TABLE `table` with `columns` from dict `rows` via a temporary CSV; returns its row count.

    A row holding text that is not valid Unicode (JSON may escape a lone surrogate, "\\ud800") cannot be
    written: with `unencodable` given, its index is appended there and the row left out; without it
    (rejects, whose text is only shown) such characters are written as backslash escapes."""
    names = [name for name, _ in columns]
    converters = [(i, conv) for i, (_, t) in enumerate(columns) if (conv := _converter(t)) is not None]
    fd, path = tempfile.mkstemp(prefix="finops-connector-", suffix=".csv")
    try:
        errors = "strict" if unencodable is not None else "backslashreplace"
        with os.fdopen(fd, "w", newline="", encoding="utf-8", errors=errors) as fh:
            writer = csv.writer(fh, lineterminator="\n")
            for index, row in enumerate(rows):
                values = [row.get(n) for n in names]
                for i, conv in converters:
                    if values[i] is not None:
                        values[i] = conv(values[i])
                try:
                    writer.writerow(values)
                except UnicodeEncodeError:  # raised before anything of the row is written
                    if unencodable is None:
                        raise
                    unencodable.append(index)
        spec = "{" + ", ".join(f"'{name}': '{_stage_type(t)}'" for name, t in columns) + "}"
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, header = false, auto_detect = false, "
            f"columns = {spec}, delim = ',', quote = '\"', escape = '\"', nullstr = '', "
            "allow_quoted_nulls = false, strict_mode = true, parallel = false)",
            [path],
        )
        return scalar(con, f"SELECT count(*) FROM {table}")
    finally:
        os.unlink(path)


def drop_duplicates(parsed: Parsed) -> None:
    """A record whose key (row['x_key']) appeared earlier in the same input is quarantined; the first loads."""
    first: dict[Any, int] = {}
    keep: list[dict[str, Any]] = []
    for row in parsed.rows:
        key = row.get("x_key")
        if key is None:
            keep.append(row)
            continue
        if key in first:
            parsed.rejects.append(Reject(row["x_line"], f"duplicate of the record at line {first[key]} "
                                         "(same bucket/time and dimensions)", row.get("x_raw")))
            continue
        first[key] = row["x_line"]
        keep.append(row)
    parsed.rows = keep


def load_parsed(con: duckdb.DuckDBPyConnection, target: Target, parsed: Parsed, *, source: str,
                ingest_id: str, run_ids: list[str], policy: LoadPolicy = LoadPolicy(),
                earlier: dict[str, str] | None = None) -> FileReport:
    """Load `parsed` into `target.table` as ingest `ingest_id` (ingest_runs.source = `source`).

    Skipped (nothing loaded, the report says why) when the same content was loaded earlier in the
    command or before (see knowledge.ingest.load.already_loaded); raises ReplaceRefused per `policy`."""
    started = _now()
    t0 = time.perf_counter()
    skipped = already_loaded(con, source, target.table, parsed.digest, earlier or {}, policy,
                             check_history="x_ingest_id" in target.lineage)
    if skipped is not None:
        return FileReport(file=parsed.file, ingest_id=ingest_id, kind=source, format=parsed.format, rows_read=0,
                          rows_loaded=0, rows_quarantined=0, skipped=skipped, content_sha256=parsed.digest)
    drop_duplicates(parsed)
    notes = list(parsed.notes)
    staged_cols = list(target.columns) + [("x_line", "BIGINT")]
    try:
        unencodable: list[int] = []
        staged = stage_rows(con, STAGE, staged_cols, parsed.rows, unencodable)
        if unencodable:
            bad = set(unencodable)
            parsed.rejects.extend(
                Reject(row["x_line"], "text that is not valid Unicode (an escaped lone surrogate such as \\ud800)",
                       row.get("x_raw"))
                for i, row in enumerate(parsed.rows) if i in bad)
            parsed.rows = [row for i, row in enumerate(parsed.rows) if i not in bad]
        if staged != len(parsed.rows):
            raise RuntimeError(f"connector stage holds {staged} rows, expected {len(parsed.rows)}")
        stage_rows(con, _REJECTS, [("line", "BIGINT"), ("reason", "VARCHAR"), ("raw", "VARCHAR")],
                   ({"line": r.line, "reason": r.reason, "raw": r.raw} for r in parsed.rejects))
        with transaction(con):
            loaded, quarantined, replaced, first, periods = _load_staged(
                con, target, parsed, source=source, ingest_id=ingest_id, run_ids=run_ids, policy=policy,
                notes=notes, started=started)
    finally:
        for table in (STAGE, _REJECTS, _UNATTRIBUTED):
            try:
                con.execute(f"DROP TABLE IF EXISTS {table}")
            except duckdb.Error:
                pass
    return FileReport(
        file=parsed.file, ingest_id=ingest_id, kind=source, format=parsed.format, rows_read=parsed.read,
        rows_loaded=loaded, rows_quarantined=quarantined, rows_replaced=replaced,
        billing_accounts=[parsed.account] if parsed.account else [], billing_periods=periods, notes=notes,
        first_rejects=first, seconds=round(time.perf_counter() - t0, 3), content_sha256=parsed.digest,
    )


def _load_staged(con: duckdb.DuckDBPyConnection, target: Target, parsed: Parsed, *, source: str, ingest_id: str,
                 run_ids: list[str], policy: LoadPolicy, notes: list[str], started: datetime,
                 ) -> tuple[int, int, int, list[QuarantinedRow], list[str]]:
    """Inside the transaction: replace, insert, quarantine, check, record the run."""
    if target.priced:
        notes.extend(llm_catalog.prepare(con, None, None))
    if target.priced == "calls":
        _reject_unattributable(con)
    staged = scalar(con, f"SELECT count(*) FROM {STAGE}")
    if staged and target.table == "focus_charges":   # a lake: bring in the partitions these rows may restate
        lake.checkout(con, STAGE)
    replace_sql = target.replace_sql.replace("{table}", lake.write_target(con, target.table))
    replaced = scalar(con, replace_sql, [run_ids]) if staged else 0
    loaded = _insert(con, target, parsed.file, ingest_id)
    quarantined = scalar(
        con,
        f"INSERT INTO quarantine (ingest_id, file, line, reason, raw) SELECT ?, ?, line, reason, raw "
        f"FROM {_REJECTS} ORDER BY line", [ingest_id, parsed.file],
    )
    if parsed.read != loaded + quarantined:  # the invariant every report states; never commit without it
        raise RuntimeError(f"ingest bookkeeping error: read {parsed.read} != loaded {loaded} + "
                           f"quarantined {quarantined}")
    first = [QuarantinedRow(line=line, reason=reason) for line, reason in con.execute(
        "SELECT line, reason FROM quarantine WHERE ingest_id = ? ORDER BY line, reason LIMIT 5", [ingest_id]
    ).fetchall()]
    check_replace(parsed.shown, read=parsed.read, quarantined=quarantined, replaced=replaced, policy=policy,
                  first_reasons=[f"line {r.line}: {r.reason}" for r in first])
    if target.priced:
        notes.extend(_price_notes(con, target, ingest_id))
    periods = _periods(con, target)
    con.execute(
        "INSERT INTO ingest_runs (ingest_id, source, file, billing_account, billing_period, rows_read, "
        "rows_loaded, rows_quarantined, rows_replaced, status, started_at, finished_at, content_sha256) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?, ?)",
        [ingest_id, source, parsed.file, parsed.account, ",".join(periods) or None, parsed.read, loaded,
         quarantined, replaced, started, _now(), parsed.digest],
    )
    return loaded, quarantined, replaced, first, periods


_UNATTRIBUTED = "_connector_unattributed"


def _reject_unattributable(con: duckdb.DuckDBPyConnection) -> None:
    """Call rows with no provider whose model the catalog does not know (so it cannot name the provider
    either) go to the rejects: llm_calls.provider is required, and one such row must not fail the input."""
    models = [r[0] for r in con.execute(
        f"SELECT DISTINCT coalesce(s.model, '') FROM {STAGE} s LEFT JOIN llm_prices p ON p.model = s.model "
        "WHERE s.provider IS NULL AND p.provider IS NULL ORDER BY 1"
    ).fetchall()]
    if not models:
        return
    catalog = [r[0] for r in con.execute("SELECT model FROM llm_prices ORDER BY model").fetchall()]
    reasons = [
        (unknown("model", m, catalog) if m else "model is missing")
        + " and the record names no provider (custom_llm_provider): the call cannot be attributed"
        for m in models
    ]
    con.execute(f"DROP TABLE IF EXISTS {_UNATTRIBUTED}")
    con.execute(
        f"CREATE TEMP TABLE {_UNATTRIBUTED} AS SELECT s.rowid AS rid, s.x_line AS line, h.reason, "
        f"CAST(to_json(s) AS VARCHAR) AS raw FROM {STAGE} s "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS m, unnest(?::VARCHAR[]) AS reason) h ON coalesce(s.model, '') = h.m "
        "LEFT JOIN llm_prices p ON p.model = s.model WHERE s.provider IS NULL AND p.provider IS NULL",
        [models, reasons],
    )
    con.execute(f"INSERT INTO {_REJECTS} SELECT line, reason, raw FROM {_UNATTRIBUTED}")
    con.execute(f"DELETE FROM {STAGE} WHERE rowid IN (SELECT rid FROM {_UNATTRIBUTED})")
    con.execute(f"DROP TABLE {_UNATTRIBUTED}")


def _insert(con: duckdb.DuckDBPyConnection, target: Target, file: str, ingest_id: str) -> int:
    cols = [c for c in target.names if c not in target.stage_only]
    targets = [f'"{c}"' for c in cols]
    values = [target.value_sql(c) for c in cols]
    joins = ""
    cost = cost_sql(target)
    if cost is not None:
        joins = " LEFT JOIN llm_prices p ON p.model = s.model"
        targets.append("cost")
        values.append(cost)
        if target.priced == "calls":  # provider from the catalog when the log has none
            values[cols.index("provider")] = "coalesce(s.provider, p.provider)"
    if target.table == "focus_charges" and "Tags" in cols:
        for col, value in tag_columns.computed(target.value_sql("Tags")):
            targets.append(col)
            values.append(value)
    params: list[Any] = []
    for name, value in (("x_source_file", file), ("x_ingest_id", ingest_id)):
        if name in target.lineage:
            targets.append(name)
            values.append("?")
            params.append(value)
    if "x_line" in target.lineage:
        targets.append("x_line")
        values.append("s.x_line")
    sql = (f"INSERT INTO {lake.write_target(con, target.table)} ({', '.join(targets)}) SELECT {', '.join(values)} "
           f"FROM {STAGE} AS s{joins}")
    return scalar(con, sql, params)


def _price_notes(con: duckdb.DuckDBPyConnection, target: Target, ingest_id: str) -> list[str]:
    notes: list[str] = []
    catalog = [r[0] for r in con.execute("SELECT model FROM llm_prices ORDER BY model").fetchall()]
    unknown_models = [r[0] for r in con.execute(
        f"SELECT DISTINCT s.model FROM {STAGE} s LEFT JOIN llm_prices p ON p.model = s.model "
        "WHERE s.model IS NOT NULL AND p.model IS NULL ORDER BY 1"
    ).fetchall()]
    if unknown_models:
        shown = "; ".join(unknown("model", m, catalog) for m in unknown_models[:5])
        more = f" (and {len(unknown_models) - 5} more)" if len(unknown_models) > 5 else ""
        notes.append(f"cost unknown (not $0) for {len(unknown_models)} model(s) not in the price catalog: {shown}{more}")
    n_null = scalar(con, f"SELECT count(*) FROM {target.table} WHERE x_ingest_id = ? AND cost IS NULL",
                    [ingest_id])
    if n_null:
        notes.append(f"{n_null} row(s) loaded with cost unknown (NULL): no model, a model without a price, "
                     "or a usage type the token catalog cannot price")
    return notes


def _periods(con: duckdb.DuckDBPyConnection, target: Target) -> list[str]:
    col = {"llm_usage_buckets": "bucket_start", "focus_charges": "BillingPeriodStart", "llm_calls": "ts",
           "gpu_utilization": "ts"}[target.table]
    return [r[0] for r in con.execute(
        f"SELECT DISTINCT strftime({col}, '%Y-%m') FROM {STAGE} WHERE {col} IS NOT NULL ORDER BY 1"
    ).fetchall()]
