"""The billing data as a Parquet lake beside a small state file.

A lake is a directory:

    <root>/state.duckdb                    every table but the charges: teams, ownership, budgets,
                                           estimates, approvals, ingest runs, quarantine, … (small)
    <root>/charges/billing_period=2026-10/provider=aws/part-<id>.parquet
                                           the FOCUS charge rows, hive-partitioned by billing period
                                           (the month holding the middle of the row's billing period)
                                           and provider (its name folded to [a-z0-9])

The manifest is the `lake_files` table inside the state file: the files that make up each partition now.
A write never changes a file in place: new files are written under new names, then the state file (and so
the manifest) is swapped atomically by the writer protocol (`knowledge.store.open_store_for_write`).
Readers open the state file read-only and see `focus_charges` as a temporary view over the manifest's
files (`attach`), so a reader never blocks and never sees half a partition. Files a write retires are
deleted by a later write once no reader can still be using them (`RETIRE_AFTER`).

Loading into a lake: the writer works on a private copy of the state file; the charge rows it writes go
to a temporary table (spilled to disk when large), never into the state file. Before a load replaces
rows, `checkout` copies the partitions its rows could restate into that table, so the ingest's replace
rules run unchanged on real rows; at the end of the write `flush` writes every partition that changed
as new files and records them in the manifest. A re-ingested billing period therefore replaces its partition; an approval, an alert
or a summary post writes a row in the state file and never copies the billing data.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from knowledge import tag_columns

STATE_FILE = "state.duckdb"
CHARGES_DIR = "charges"
CHARGES = "focus_charges"
RETIRE_AFTER = timedelta(minutes=15)    # a retired file outlives any reader that opened the old manifest
ORPHAN_AFTER = timedelta(days=1)        # files no manifest ever named (a write that crashed)
SORT_ROWS = 4_000_000                   # most rows one sort of the flush holds (spilled beyond the memory limit)
_CHECKOUTS = "_lake_checkouts"
_ROWS = "_lake_rows"             # a writer's charge rows (checked out + new): a temporary table, so the state
                                 # file never holds charge rows (a DELETE would not shrink it)
_SUMS = "_lake_checkout_sums"    # per checked-out partition: rows and a hash of their lineage, to skip rewriting
                                 # a partition the load did not change (a neighbouring month, say)

# The partition of a charge row: the month holding the middle of its billing period (the same instant the
# ingest's replace rule compares), and the provider's name folded.
PERIOD_SQL = ("strftime(BillingPeriodStart + (coalesce(BillingPeriodEnd, BillingPeriodStart) - BillingPeriodStart) / 2, "
              "'%Y-%m')")
PROVIDER_SQL = "coalesce(nullif(regexp_replace(lower(ProviderName), '[^a-z0-9]', '', 'g'), ''), 'unknown')"
PARTITION_SQL = f"('billing_period=' || {PERIOD_SQL} || '/provider=' || {PROVIDER_SQL})"
_LINEAGE_SQL = f"{PARTITION_SQL} AS partition, count(*) AS n, sum(hash(x_ingest_id, x_source_file)) AS h"


class LakeError(Exception):
    """A directory that is not a lake, or a lake whose files do not match its manifest."""


def state_path(root: Path) -> Path:
    return root / STATE_FILE


def is_lake(path: Path) -> bool:
    """A directory holding a lake's state file."""
    return path.is_dir() and state_path(path).is_file()


def partition_name(period: str, provider: str) -> str:
    return f"billing_period={period}/provider={provider}"


def _database(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def root_of(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The lake `con`'s database belongs to (its state file or a writer's copy of it), else None."""
    try:
        row = con.execute("SELECT value FROM main.meta WHERE key = 'lake'").fetchone()
    except duckdb.CatalogException:
        return None
    if not row or row[0] != "1":
        return None
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(path[0]).parent if path and path[0] else None


def manifest(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(partition, file relative to the root, rows) of every current file, in partition order."""
    db = _database(con)
    return [(str(p), str(f), int(n)) for p, f, n in con.execute(
        f'SELECT partition, file, rows FROM "{db}".main.lake_files ORDER BY partition, file').fetchall()]


def charge_files(con: duckdb.DuckDBPyConnection, root: Path) -> list[Path]:
    """The Parquet files that hold the charges now (absolute paths)."""
    return [root / f for _, f, _ in manifest(con)]


def _without_tag_columns(con: duckdb.DuckDBPyConnection, root: Path) -> set[Path]:
    """The files written before the tag columns existed (schema migration 11): read with the columns
    computed from the map, until a write of their partition replaces them."""
    db = _database(con)
    return {root / r[0] for r in con.execute(
        f'SELECT file FROM "{db}".main.lake_files WHERE NOT tag_columns').fetchall()}


def main_table(con: duckdb.DuckDBPyConnection) -> str:
    """The state file's own `focus_charges` table, named so that the temporary view cannot shadow it."""
    return f'"{_database(con)}".main.{CHARGES}'


def attach(con: duckdb.DuckDBPyConnection, root: Path, *, writer: bool = False) -> int:
    """Make `focus_charges` read the lake's files on this connection; returns how many files.

    A temporary view shadows the state file's (empty) table, which still gives the schema: a column added by
    a later migration reads as NULL from older files. In a writer the view also reads the rows being
    written (temporary table `_lake_rows`: the partitions checked out, whose files it then leaves out,
    and the new rows)."""
    files = charge_files(con, root)
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise LakeError(f"the lake at {root} lists {len(missing)} file(s) that are not there, e.g. {missing[0]}; "
                        "was a file deleted by hand? Re-ingest the billing period it held")
    table = main_table(con)
    if writer:
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_CHECKOUTS} (partition VARCHAR, file VARCHAR)")
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_SUMS} (partition VARCHAR, n BIGINT, h HUGEINT)")
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_ROWS} AS SELECT * FROM {table} LIMIT 0")
        table = f"(SELECT * FROM {table} UNION ALL BY NAME SELECT * FROM temp.main.{_ROWS})"
    body = f"SELECT * FROM {table}"
    untagged = _without_tag_columns(con, root)
    for group, extra in (([f for f in files if f not in untagged], ""),
                         ([f for f in files if f in untagged], f", {tag_columns.computed_sql()}")):
        if not group:
            continue
        listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in group)
        lake_rows = (f"SELECT * EXCLUDE (filename){extra} FROM read_parquet([{listed}], filename = true, "
                     f"hive_partitioning = false) WHERE filename NOT IN (SELECT file FROM temp.main.{_CHECKOUTS})"
                     if writer else f"SELECT *{extra} FROM read_parquet([{listed}], hive_partitioning = false)")
        body += f" UNION ALL BY NAME {lake_rows}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {CHARGES} AS {body}")
    return len(files)


def detach(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP VIEW IF EXISTS temp.main.{CHARGES}")


def write_target(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The name an INSERT or DELETE into `table` uses: in a lake writer `focus_charges` is a view over
    the lake, and rows are written to the temporary `_lake_rows` (flushed to Parquet at the end)."""
    if table.strip('"') != CHARGES:
        return table
    writing = con.execute("SELECT 1 FROM duckdb_tables() WHERE temporary AND table_name = ?", [_ROWS]).fetchone()
    return f"temp.main.{_ROWS}" if writing else table


# -- writing -----------------------------------------------------------------------------------------


def _stage_keys_sql(stage: str, columns: set[str], where: str | None) -> str:
    cond = f" WHERE {where}" if where else ""
    if {"BillingPeriodStart", "ProviderName"} <= columns:
        end = "BillingPeriodEnd" if "BillingPeriodEnd" in columns else "NULL"
        mid = f"(BillingPeriodStart + (coalesce({end}, BillingPeriodStart) - BillingPeriodStart) / 2)"
        # The replace rules also match a row whose period starts on the same day, or (connectors) whose
        # charge period falls in the new rows' range: the neighbouring months are checked out too.
        months = (f"unnest([{mid} - INTERVAL 1 MONTH, {mid}, {mid} + INTERVAL 1 MONTH"
                  + (", ChargePeriodStart" if "ChargePeriodStart" in columns else "") + "])")
        # the distinct raw values first (a few), so the month arithmetic and the provider's regexp do not
        # run on every row (at 10M rows: 9 s)
        charge_month = (", date_trunc('month', ChargePeriodStart) AS ChargePeriodStart"
                        if "ChargePeriodStart" in columns else "")
        return (f"SELECT DISTINCT strftime({months}, '%Y-%m') AS period, {PROVIDER_SQL} AS provider "
                f"FROM (SELECT DISTINCT BillingPeriodStart, {end} AS BillingPeriodEnd, ProviderName{charge_month} "
                f"FROM {stage}{cond})")
    if "ProviderName" in columns:
        return (f"SELECT DISTINCT NULL AS period, {PROVIDER_SQL} AS provider "
                f"FROM (SELECT DISTINCT ProviderName FROM {stage}{cond})")
    return "SELECT NULL AS period, NULL AS provider"


def checkout(con: duckdb.DuckDBPyConnection, stage: str, where: str | None = None) -> int:
    """Before a load into `focus_charges` replaces rows: copy in the partitions the staged rows could
    restate (same provider, their billing month and its neighbours). No-op outside a lake writer; a
    partition is copied once per write. Runs inside the load's transaction, so a failed load undoes it
    (the view then reads the partition's files again). Returns the rows copied."""
    root = root_of(con)
    if root is None or write_target(con, CHARGES) == CHARGES:
        return 0
    columns = {r[0] for r in con.execute(f"SELECT name FROM pragma_table_info('{stage}')").fetchall()}
    keys = _stage_keys_sql(stage, columns, where)
    wanted = [(str(p), str(f)) for p, f in con.execute(
        f"SELECT DISTINCT f.partition, f.file FROM main.lake_files f, ({keys}) k "
        "WHERE (k.provider IS NULL OR f.partition LIKE '%/provider=' || k.provider) "
        "AND (k.period IS NULL OR f.partition LIKE 'billing_period=' || k.period || '/%') "
        f"AND f.partition NOT IN (SELECT partition FROM temp.main.{_CHECKOUTS}) ORDER BY 1, 2").fetchall()]
    if not wanted:
        return 0
    files = [str(root / f) for _, f in wanted]
    # One statement, not executemany (which runs one INSERT per row: ~1 ms each).
    con.execute(f"INSERT INTO temp.main.{_CHECKOUTS} SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                [[p for p, _ in wanted], files])
    row = con.execute(f"INSERT INTO temp.main.{_ROWS} BY NAME SELECT * FROM read_parquet(?, hive_partitioning = false)",
                      [files]).fetchone()
    con.execute(f"INSERT INTO temp.main.{_SUMS} SELECT {_LINEAGE_SQL} FROM read_parquet(?, hive_partitioning = false) "
                "GROUP BY 1", [files])
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class FlushReport:
    partitions: int
    files: int
    rows: int
    seconds: float


def _rows_in(con: duckdb.DuckDBPyConnection, file: Path) -> int:
    row = con.execute("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(file)]).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _unchanged(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """Checked-out partitions whose rows are exactly those checked out (same count, same lineage)."""
    try:
        rows = con.execute(
            f"SELECT s.partition FROM temp.main.{_SUMS} s LEFT JOIN (SELECT {_LINEAGE_SQL} FROM {table} GROUP BY 1) t "
            "USING (partition) WHERE s.n = t.n AND s.h = t.h").fetchall()
    except duckdb.CatalogException:
        return set()
    return {r[0] for r in rows}


def _drop_checkouts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS temp.main.{_ROWS}")
    con.execute(f"DROP TABLE IF EXISTS temp.main.{_CHECKOUTS}")
    con.execute(f"DROP TABLE IF EXISTS temp.main.{_SUMS}")


def _checked_out(con: duckdb.DuckDBPyConnection) -> set[str]:
    try:
        return {r[0] for r in con.execute(f"SELECT partition FROM temp.main.{_CHECKOUTS}").fetchall()}
    except duckdb.CatalogException:
        return set()


def has_pending_rows(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this writer's connection holds charge rows not yet written as Parquet (see `flush`)."""
    if _checked_out(con):
        return True
    try:
        return con.execute(f"SELECT count(*) > 0 FROM temp.main.{_ROWS}").fetchone() == (True,)
    except duckdb.CatalogException:
        return False


def flush(con: duckdb.DuckDBPyConnection, root: Path, source: str | None = None) -> FlushReport:
    """Write the partitions this write touched as new files and record them in the manifest (in the
    caller's state file, which the caller swaps in); the writer's rows are dropped. With `source` (a
    table, e.g. a store file's attached `focus_charges`) every row of it is written instead."""
    started = time.perf_counter()
    detach(con)
    writing = con.execute("SELECT 1 FROM duckdb_tables() WHERE temporary AND table_name = ?", [_ROWS]).fetchone()
    if source is None and not writing:
        return FlushReport(0, 0, 0, 0.0)
    table = source or f"temp.main.{_ROWS}"
    unchanged = set() if source else _unchanged(con, table)
    if unchanged:
        con.execute(f"DELETE FROM {table} WHERE {PARTITION_SQL} IN (SELECT unnest(?::VARCHAR[]))", [sorted(unchanged)])
    counts = {partition_name(p, v): int(n) for p, v, n in con.execute(
        f"SELECT {PERIOD_SQL} AS p, {PROVIDER_SQL} AS v, count(*) FROM {table} GROUP BY 1, 2").fetchall()}
    dirty = (set(counts) | _checked_out(con)) - unchanged
    if not dirty:
        _drop_checkouts(con)
        return FlushReport(0, 0, 0, 0.0)
    charges = root / CHARGES_DIR
    staging = charges / f".writing-{uuid.uuid4().hex}"
    written: list[tuple[str, str, int]] = []
    try:
        if counts:
            charges.mkdir(parents=True, exist_ok=True)
            _write_partitions(con, table, staging)
        tag = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        for part in sorted(counts):
            for i, produced in enumerate(sorted((staging / part).glob("*.parquet"))):
                final = charges / part / f"part-{tag}-{i}.parquet"
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(produced, final)
                written.append((part, str(final.relative_to(root)), _rows_in(con, final)))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO main.lake_retired SELECT file, ? FROM main.lake_files "
                    "WHERE partition IN (SELECT unnest(?::VARCHAR[]))", [now, sorted(dirty)])
        con.execute("DELETE FROM main.lake_files WHERE partition IN (SELECT unnest(?::VARCHAR[]))", [sorted(dirty)])
        con.execute("INSERT INTO main.lake_files (partition, file, rows, written_at, tag_columns) "
                    "SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[]), ?, true",
                    [[p for p, _, _ in written], [f for _, f, _ in written], [n for _, _, n in written], now])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    _drop_checkouts(con)
    return FlushReport(len(dirty), len(written), sum(counts.values()), round(time.perf_counter() - started, 3))


def _write_partitions(con: duckdb.DuckDBPyConnection, table: str, staging: Path) -> None:
    """Every row of `table` into `staging/<partition>/` as Parquet, each partition's rows in ResourceId order
    (a row group's min/max then prune a lookup of one resource — who owns, explain a charge — to the few row
    groups that hold it, ~10x fewer rows decoded), with the tag columns computed from `Tags`.

    Two passes: the rows split into their partitions unsorted (streaming, nothing spilled), then each
    partition sorted in buckets of at most SORT_ROWS rows by a hash of ResourceId (one file each, so every
    resource sits in one file, sorted), so no sort holds more than SORT_ROWS rows: one ORDER BY over a
    100M-row store spilled more than 49 GB under the ingest's memory limit and filled the disk, and so did
    one ORDER BY over its largest partition."""
    unsorted = staging.with_name(staging.name + "-unsorted")
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            f"COPY (SELECT * REPLACE ({tag_columns.computed_sql()}), {PERIOD_SQL} AS billing_period, "
            f"{PROVIDER_SQL} AS provider FROM {table}) "
            f"TO '{unsorted}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (billing_period, provider))")
        # DuckDB keeps an ORDER BY in the file only while it preserves insertion order.
        con.execute("SET preserve_insertion_order = true")
        for part in sorted(p.relative_to(unsorted) for p in unsorted.glob("*/*") if p.is_dir()):
            files = str(unsorted / part / "*.parquet")
            row = con.execute("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [files]).fetchone()
            buckets = max(1, -(-int(row[0] if row and row[0] else 0) // SORT_ROWS))
            (staging / part).mkdir(parents=True, exist_ok=True)
            for b in range(buckets):
                where = "" if buckets == 1 else f"WHERE coalesce(hash(ResourceId), 0) % {buckets} = {b} "
                con.execute(f"COPY (SELECT * FROM read_parquet(?, hive_partitioning = false) {where}"
                            f"ORDER BY ResourceId NULLS LAST, ChargePeriodStart) TO '{staging / part / f'data_{b}.parquet'}' "
                            "(FORMAT parquet, COMPRESSION zstd)", [files])
    finally:
        shutil.rmtree(unsorted, ignore_errors=True)


def collect_garbage(con: duckdb.DuckDBPyConnection, root: Path) -> int:
    """Delete files retired longer ago than RETIRE_AFTER, and orphans (named by no manifest) older than
    ORPHAN_AFTER. Runs on a writer's copy; returns how many files were deleted."""
    now = datetime.now(UTC).replace(tzinfo=None)
    old = [r[0] for r in con.execute("SELECT file FROM main.lake_retired WHERE retired_at < ?",
                                     [now - RETIRE_AFTER]).fetchall()]
    for f in old:
        (root / f).unlink(missing_ok=True)
    con.execute("DELETE FROM main.lake_retired WHERE retired_at < ?", [now - RETIRE_AFTER])
    known = {str(r[0]) for r in con.execute(
        "SELECT file FROM main.lake_files UNION ALL SELECT file FROM main.lake_retired").fetchall()}
    cutoff = time.time() - ORPHAN_AFTER.total_seconds()
    orphans = 0
    for path in (root / CHARGES_DIR).glob("*/*/*.parquet"):
        if str(path.relative_to(root)) not in known and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            orphans += 1
    return len(old) + orphans


def mark(con: duckdb.DuckDBPyConnection) -> None:
    """Make the state file (or its copy) a lake's."""
    con.execute("INSERT INTO main.meta VALUES ('lake', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value")


