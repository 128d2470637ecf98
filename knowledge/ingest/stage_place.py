"""Where a load stages a file's rows: a temp table, or, for a big FOCUS file, a scratch database file.

A temp table lives in memory and spills under the ingest's memory limit, but DuckDB keeps part of an
ordered insert into one in memory: with the 1.25 GB limit a 100M-row FOCUS Parquet file failed ("Out of
Memory Error: failed to allocate data of size 32.0 KiB (1.1 GiB/1.1 GiB used)"; 30M rows failed the same
way under 400 MB). The stage must keep the file's order (a row's `rowid + 1` is its record number), so a
FOCUS file estimated at more than `in_memory_rows()` rows (20M; `FINOPS_INGEST_STAGE_ROWS` overrides) is
staged in a table of a scratch DuckDB file in the spill directory, which DuckDB writes out as it goes
(measured at 30M rows, 400 MB: it passes where the temp table fails; with 1.25 GB it reads at half the
temp table's speed, so smaller files keep the temp table). While the load runs, the scratch database is
on the search path after the store, so every statement names the stage `_ingest_stage` as before; the
file is detached and deleted afterwards, whatever happens.

Only FOCUS loads use it: their checks write to the stage alone (they run before the store's transaction,
which may write to one database only), while an LLM-calls load's checks also write prices to the store.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from knowledge.ingest.session import setting
from knowledge.ingest.staging import STAGE

SCRATCH = "_ingest_scratch"
DEFAULT_IN_MEMORY_ROWS = 20_000_000


def in_memory_rows() -> int:
    env = os.environ.get("FINOPS_INGEST_STAGE_ROWS", "").strip()
    return int(env) if env.isdigit() else DEFAULT_IN_MEMORY_ROWS


@dataclass(frozen=True)
class StagePlace:
    create: str            # what stage_sql creates: "TEMP TABLE _ingest_stage" or the scratch database's table
    scratch: Path | None   # the scratch database file, when the stage is there


@contextmanager
def stage_place(con: duckdb.DuckDBPyConnection, kind: str, estimated_rows: int) -> Iterator[StagePlace]:
    """The place of this load's stage for the duration of the block (see the module doc)."""
    spill = setting(con, "temp_directory") or ""
    if kind != "focus" or estimated_rows <= in_memory_rows() or not spill or not Path(spill).is_dir():
        yield StagePlace(f"TEMP TABLE {STAGE}", None)
        return
    path = Path(spill) / f"stage-{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
    old_path = setting(con, "search_path") or ""
    database = con.execute("SELECT current_database()").fetchone()
    current = old_path or f'"{database[0] if database else "main"}".main'
    quoted = str(path).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS {SCRATCH}")
    try:
        con.execute("SET search_path = ?", [f"{current},{SCRATCH}.main"])
        yield StagePlace(f"TABLE {SCRATCH}.main.{STAGE}", path)
    finally:
        for statement in (f"DROP TABLE IF EXISTS {SCRATCH}.main.{STAGE}",
                          "SET search_path = ?" if old_path else "RESET search_path", f"DETACH {SCRATCH}"):
            try:
                con.execute(statement, [old_path] if "?" in statement else None)
            except duckdb.Error:
                pass
        for f in (path, Path(f"{path}.wal")):
            f.unlink(missing_ok=True)
