"""Where a FOCUS ingest's time goes, part by part, against DuckDB's own load of the same CSV (issue 17).

    python benchmarks/ingest_parts.py --csv FILE [--memory 1250MB]

Each part runs in a fresh store (the product's schema, `knowledge.store.migrate`) in one process, with the
ingest's memory limit and spill directory, using the ingest's own SQL (`knowledge.ingest.staging`):
  - parse: DuckDB reads every column of the file as text (`read_csv` with the ingest's dialect), nothing kept;
  - check: the same, typed and checked (`checked_sql`, the SELECT the stage and the direct load share), counted,
    nothing kept;
  - stage: the typed and checked rows into the temp table the ingest stages in (file order kept);
  - insert: the staged rows into `focus_charges` (what the ingest's "loading" phase runs);
  - insert without FSST: the same, DuckDB's FSST string compression disabled;
  - direct: one INSERT from the file into `focus_charges`, typed and checked, no stage (what the ingest does
    since 2026-12-06 for a file whose every row loads; a file with a row to quarantine is still staged);
  - raw: `CREATE TABLE AS SELECT * FROM read_csv(FILE, nullstr = 'NULL')`, DuckDB's own load (auto types).
It prints wall and CPU seconds (all threads) per part, and the store's size after the two inserts. Prints
figures, asserts nothing. A 3M-row CSV (the first 3,000,001 lines of benchmarks/scale.py's 10M file) runs in
about 90 s on 2 cores.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from knowledge import tag_columns  # noqa: E402
from knowledge.ingest.header import plan_header  # noqa: E402
from knowledge.ingest.source import inspect, relation_sql  # noqa: E402
from knowledge.ingest.specs import FOCUS  # noqa: E402
from knowledge.ingest.staging import STAGE, bind, checked_sql, ident, stage_columns, stage_sql  # noqa: E402
from knowledge.store import migrate  # noqa: E402


@contextmanager
def timed(label: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    print(f"  {label:28} {time.perf_counter() - wall:7.2f} s wall {time.process_time() - cpu:7.2f} CPU-s", flush=True)


def store(work: Path, name: str, memory: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(work / f"{name}.duckdb"))
    migrate(con)
    con.execute(f"SET memory_limit = '{memory}'")
    con.execute("SET temp_directory = ?", [str(work / f"{name}.spill")])
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--memory", default="1250MB", help="the ingest's memory limit (its default on this machine)")
    args = parser.parse_args()
    src = inspect(args.csv)
    plan = plan_header(FOCUS, src, str(args.csv))
    bindings = bind(FOCUS, plan.source_columns)
    source_sql, params = relation_sql(src, "_rejects", "_scans")
    checked = checked_sql(FOCUS, bindings, source_sql)
    cols = stage_columns(FOCUS, bindings)
    targets = [ident(c) for c in cols] + [c for c, _ in tag_columns.computed()]
    values = [f"s.{ident(c)}" for c in cols] + [v for _, v in tag_columns.computed("s.Tags")]
    insert = (f"INSERT INTO focus_charges ({', '.join(targets)}, x_source_file, x_ingest_id, x_line) "
              f"SELECT {', '.join(values)}, 'f', 'i', {{line}} FROM {{source}} AS s WHERE s.x_reason IS NULL")
    work = Path(tempfile.mkdtemp(prefix="ingest-parts-"))
    print(f"{args.csv} ({args.csv.stat().st_size / 1e9:.2f} GB), memory limit {args.memory}, work dir {work}")
    try:
        con = store(work, "staged", args.memory)
        with timed("parse (text, nothing kept)"):
            con.execute(f"SELECT count(*), max(COLUMNS(*)) FROM ({source_sql})", params).fetchall()
        with timed("check (typed, nothing kept)"):
            con.execute(f"SELECT count(*), count(x_reason) FROM ({checked})", params).fetchall()
        with timed("stage (temp table)"):
            con.execute(stage_sql(FOCUS, bindings, source_sql), params)
        con.execute("SET preserve_insertion_order = false")
        source = f"(SELECT rowid + 1 AS x_rn, * FROM {STAGE})"
        with timed("insert from the stage"):
            con.execute(insert.format(line="s.x_rn + 1", source=source))
            con.execute("CHECKPOINT")
        size = con.execute("SELECT database_size FROM pragma_database_size()").fetchone()
        con.execute("DELETE FROM focus_charges")
        con.execute("CHECKPOINT")
        con.execute("SET disabled_compression_methods = 'fsst'")
        with timed("insert without FSST"):
            con.execute(insert.format(line="s.x_rn + 1", source=source))
            con.execute("CHECKPOINT")
        size_no_fsst = con.execute("SELECT database_size FROM pragma_database_size()").fetchone()
        con.close()
        print(f"  store size after the insert: {size[0] if size else '?'}; without FSST: "
              f"{size_no_fsst[0] if size_no_fsst else '?'}")
        con = store(work, "direct", args.memory)
        con.execute("SET preserve_insertion_order = false")
        with timed("direct insert (no stage)"):
            con.execute(insert.format(line="NULL", source=f"({checked})"), params)
            con.execute("CHECKPOINT")
        con.close()
        con = duckdb.connect(str(work / "raw.duckdb"))
        con.execute("SET enable_progress_bar = false")
        with timed("raw CREATE TABLE AS"):
            con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, nullstr = 'NULL')", [str(args.csv)])
            con.execute("CHECKPOINT")
        con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
