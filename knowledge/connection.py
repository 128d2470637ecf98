"""Every DuckDB connection the product opens, and the settings a deployment tunes for all of them.

`FINOPS_DUCKDB_THREADS` (a whole number >= 1) caps DuckDB's worker threads for each database the process
opens; unset, DuckDB uses one per core. Set it where several finops processes share the cores (a Slack bot
beside the weekly summary, parallel CI jobs): each process then keeps to its share instead of every one of
them starting a thread per core. The test suite sets it to 1: pytest-xdist already runs one worker per core.

The setting is applied with `SET threads` after connecting, not as a connect-time option: DuckDB shares one
database instance between the connections a process has open to a file, and refuses a second connection
whose options differ from the first's.
"""

from __future__ import annotations

import os

import duckdb

THREADS_ENV = "FINOPS_DUCKDB_THREADS"


class StoreError(Exception):
    """The store cannot be opened or used as asked (re-exported by knowledge.store)."""


def duckdb_threads() -> int | None:
    """The thread cap from the environment, or None for DuckDB's default."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise StoreError(f"{THREADS_ENV} must be a whole number of threads, 1 or more (got {raw!r}); "
                         "unset it to let DuckDB use every core")
    return int(raw)


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, with the deployment's settings applied."""
    threads = duckdb_threads()
    con = duckdb.connect(database, read_only=read_only)
    if threads is not None:
        con.execute(f"SET threads = {threads}")
    # DuckDB prints a progress bar for a query past 2 s (a migration's refresh of a big bill, a lake): never
    # in a command's output. The ingest's own progress turns tracking back on without printing.
    con.execute("SET enable_progress_bar = false")
    return con
