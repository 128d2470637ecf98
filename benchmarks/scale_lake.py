"""Questions and a Slack approval on a Parquet lake of N generated FOCUS rows, built without `finops ingest`
(issue 17's 100M rows: their CSV would be ~71 GB; benchmarks/scale.py measures the ingest up to 10M).

    python benchmarks/scale_lake.py --rows 100000000 --resources 2000 --dir /tmp/lake100m

The rows are benchmarks/scale.py's generator (the FinOps Foundation sample repeated in blocks of 1,000 over 90
days, ResourceIds suffixed to about --resources distinct), cast to the store's types and inserted straight into
a new store's `focus_charges`; `create_lake` then writes them as the lake's partitions (the same flush an
ingest ends with: ResourceId order, zstd) and builds the allocation and the name index. The store file is
deleted once the lake is made. Then, as in scale.py: the eight questions (tool against hand SQL over the same
files, same process, median of --repeat after a warm-up), two cold `finops ask`s and an approval.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (benchmarks/scale.py, beside this script)

if str(scale.ROOT) not in sys.path:
    sys.path.insert(0, str(scale.ROOT))


def build(work: Path, rows: int, resources: int) -> Path:
    import duckdb

    from knowledge.store import create_lake, open_store

    db, root = work / "generated.duckdb", work / "lake"
    open_store(db).close()                       # a migrated, empty store
    con = duckdb.connect(str(db))
    con.execute("SET memory_limit = '2GB'")
    con.execute(f"SET temp_directory = '{work / '.spill'}'")
    con.execute("SET preserve_insertion_order = false")
    typed = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'focus_charges' "
                             "AND database_name = current_database()").fetchall())
    t = time.perf_counter()
    con.execute(f"INSERT INTO focus_charges BY NAME {scale.generated_rows(con, rows, resources, typed)}")
    n, distinct = con.execute("SELECT count(*), count(DISTINCT ResourceId) FROM focus_charges").fetchone()
    con.close()
    print(f"  generated {n:,} rows, {distinct:,} distinct ResourceIds into a store in {time.perf_counter() - t:.1f} s "
          f"({db.stat().st_size / 1e9:.1f} GB)")
    t = time.perf_counter()
    create_lake(root, db)
    files = sum(f.stat().st_size for f in (root / "charges").rglob("*.parquet"))
    print(f"  lake written in {time.perf_counter() - t:.1f} s ({files / 1e6:,.0f} MB of Parquet); peak RSS of this "
          f"process so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    db.unlink()
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the lake an earlier run left in DIR/lake instead of building a new one")
    args = parser.parse_args()
    import duckdb

    args.dir.mkdir(parents=True, exist_ok=True)
    os.environ["FINOPS_TODAY"] = scale.TODAY.isoformat()
    print(f"duckdb {duckdb.__version__}, {os.cpu_count()} cores, work dir {args.dir}; load average "
          f"{os.getloadavg()[0]:.1f}\n\n{args.rows:,} rows, about {args.resources:,} resources")
    root = args.dir / "lake"
    if args.reuse and (root / "state.duckdb").exists():
        print(f"  reusing the lake in {root} (not rebuilt)")
    else:
        root = build(args.dir, args.rows, args.resources)
    scale.questions_and_asks(root, args.repeat, "lake ")
    print(f"  lake Slack approval recorded (writer protocol): {scale.approval_ms(root):.0f} ms")


if __name__ == "__main__":
    main()
