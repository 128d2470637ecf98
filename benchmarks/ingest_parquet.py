"""Ingest at 100M rows from one FOCUS Parquet file: rows/s and peak RSS of `finops ingest focus` against
DuckDB's own copy of the same file (issue 17: "<= 2 GB peak RSS at 10M and 100M rows").

    python benchmarks/ingest_parquet.py --rows 100000000 --resources 2000 --dir /tmp/p100m [--lake] [--keep] [--skip-raw]

At 100M rows the CSV scale.py generates would be ~71 GB; the same generated rows (benchmarks/scale.py's
generator: the FinOps Foundation sample repeated in blocks of 1,000 over 90 days, typed as FOCUS columns,
Tags a MAP) fit in one Parquet file of a few GB. Each load runs in a fresh process (benchmarks/ingest.py's
measurement): raw `CREATE TABLE AS SELECT * FROM read_parquet(...)`, then `finops ingest focus` into a store
file, then (with --lake) into a new lake. Prints wall and CPU rows/s, peak RSS and the ratios; asserts nothing
(it does check that every load loaded every row).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (benchmarks/scale.py, beside this script)
from ingest import measure, result_line  # noqa: E402  (benchmarks/ingest.py)

if str(scale.ROOT) not in sys.path:
    sys.path.insert(0, str(scale.ROOT))


def generate_parquet(path: Path, rows: int, resources: int) -> float:
    """One Parquet file of `rows` generated FOCUS rows, typed as the store's FOCUS columns; seconds taken."""
    import duckdb

    from knowledge.schema import FOCUS_COLUMNS

    started = time.perf_counter()
    con = duckdb.connect(":memory:")
    con.execute("SET memory_limit = '2GB'")
    con.execute(f"SET temp_directory = '{path.parent / '.gen-spill'}'")
    con.execute("SET preserve_insertion_order = false")    # streamed out as made: no sort of 100M rows
    con.execute(f"COPY ({scale.generated_rows(con, rows, resources, dict(FOCUS_COLUMNS))}) TO '{path}' "
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
    con.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--lake", action="store_true", help="also ingest into a new lake")
    parser.add_argument("--skip-raw", action="store_true", help="no raw DuckDB load (ratios are then not printed)")
    parser.add_argument("--keep", action="store_true", help="keep the Parquet file and the stores")
    args = parser.parse_args()
    import duckdb

    args.dir.mkdir(parents=True, exist_ok=True)
    src = args.dir / f"focus_{args.rows}.parquet"
    print(f"duckdb {duckdb.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"work dir {args.dir}")
    if src.exists():
        print(f"  reusing {src}")
    else:
        gen = generate_parquet(src, args.rows, args.resources)
        print(f"  generated {src.name}: {src.stat().st_size / 1e9:.2f} GB in {gen:.1f} s")
    modes = ([] if args.skip_raw else ["raw-parquet"]) + ["ingest"] + (["ingest-lake"] if args.lake else [])
    results = {}
    for mode in modes:
        db = args.dir / ("lake" if mode == "ingest-lake" else f"{mode}.duckdb")
        results[mode] = r = measure(mode, db, src, keep=args.keep, env=dict(os.environ, PYTHONPATH=str(scale.ROOT)))
        if r["rows"] != args.rows:
            raise SystemExit(f"{mode} loaded {r['rows']:,} rows, expected {args.rows:,}")
        print(result_line(mode, args.rows, r), flush=True)
    raw = results.get("raw-parquet")
    for mode in modes[1:] if raw else []:
        r = results[mode]
        print(f"  {mode} / raw: {raw['wall'] / r['wall']:.2f}x wall, {raw['cpu'] / r['cpu']:.2f}x CPU; "
              f"peak RSS {r['rss_mb']:,.0f} MiB (goal <= 2 GB)")
    print(f"  load average now {os.getloadavg()[0]:.1f}")
    if not args.keep:
        src.unlink()


if __name__ == "__main__":
    main()
