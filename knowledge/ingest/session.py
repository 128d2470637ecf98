"""What every load shares: one transaction per input, and the DuckDB settings of an ingest.

`transaction(con)`: BEGIN … COMMIT, rolled back on any exception (an interrupt too), used by the file
loads (`knowledge.ingest.load`) and the connectors (`knowledge.connectors.loader`).

`bounded_memory(con, store_path)`: while an ingest command runs, DuckDB keeps to a memory limit and spills
to a temp directory beside the store (`FINOPS_INGEST_MEMORY`, e.g. '2GB', overrides the limit; default:
a quarter of RAM, at least 1 GB and at most 1.25 GB: a 10M-row FOCUS load then peaked at 1.76 GB RSS, at
0.52x raw DuckDB's speed, in benchmarks/scale.py; 1.9-2.2 GB with 1.5 GB, no faster; 4.4 GB with 4 GB).
Inserting into the target table does not keep the stage's order (`insertion_order(con, False)`): the stage
itself is read in file order, which line numbers depend on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from knowledge import lake

MIN_MEMORY = 1 << 30
MAX_MEMORY = 5 << 28     # 1.25 GB


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back (and the error raised) otherwise."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple[Any, ...]:
    """The row of a statement that always returns exactly one: an aggregate without GROUP BY, or the count
    DuckDB returns for an INSERT or DELETE."""
    row = con.execute(sql, params).fetchone()
    assert row is not None, f"no row from a statement that always returns one: {sql[:80]}"
    return row


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    """The one value of `one_row`."""
    return one_row(con, sql, params)[0]


def memory_limit() -> str:
    env = os.environ.get("FINOPS_INGEST_MEMORY", "").strip()
    if env:
        return env
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 4 << 30
    return f"{max(MIN_MEMORY, min(MAX_MEMORY, total // 4)) >> 20}MB"


def setting(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """A DuckDB setting's current value (None when unset)."""
    row = con.execute("SELECT current_setting(?)", [name]).fetchone()
    return None if row is None or row[0] is None else str(row[0])


@contextmanager
def bounded_memory(con: duckdb.DuckDBPyConnection, store_path: Path) -> Iterator[None]:
    """The ingest's memory limit and spill directory for the duration of the block, then the old settings."""
    old = {k: setting(con, k) for k in ("memory_limit", "temp_directory")}
    spill = store_path.parent / f".{store_path.name}.spill"
    # A lake writer's charge rows stay in a temporary table (spilled here) until the write ends and flushes
    # them to Parquet: the settings and the spill stay until then (the writer removes the directory).
    lake_writer = lake.write_target(con, lake.CHARGES) != lake.CHARGES
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    if str(store_path) != ":memory:":
        spill.mkdir(parents=True, exist_ok=True)
        # DuckDB keeps the temporary directory it has spilled to for the life of the database (setting it
        # again, even to the same path, fails): a block after one that spilled (the writer's refresh after
        # the load) keeps spilling where it is.
        if old["temp_directory"] != str(spill):
            try:
                con.execute("SET temp_directory = ?", [str(spill)])
            except duckdb.NotImplementedException:
                pass
    try:
        yield
    finally:
        if not lake_writer:
            _restore(con, old, spill)


def _restore(con: duckdb.DuckDBPyConnection, old: dict[str, str | None], spill: Path) -> None:
    for key, value in old.items():
        try:
            con.execute(f"SET {key} = ?", [value]) if value else con.execute(f"RESET {key}")
        except duckdb.Error:
            pass
    if setting(con, "temp_directory") == str(spill):
        return          # still DuckDB's (it spilled there): removed by the writer once the database is closed
    if spill.exists():
        for f in spill.iterdir():
            f.unlink(missing_ok=True)
        try:
            spill.rmdir()
        except OSError:
            pass


@contextmanager
def insertion_order(con: duckdb.DuckDBPyConnection, keep: bool) -> Iterator[None]:
    old = setting(con, "preserve_insertion_order")
    con.execute(f"SET preserve_insertion_order = {'true' if keep else 'false'}")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {old or 'true'}")
