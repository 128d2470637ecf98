"""Ingest benchmark: rows/s of `finops ingest focus` against a raw DuckDB load of the same FOCUS CSV.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--rows 10000000] [--dir DIR] [--keep]

For each size it generates a FOCUS 1.0 CSV shaped like the FinOps Foundation sample (its 44 columns, NULL
tokens, quoted strings, Tags as JSON; rows are the sample's 1,000 rows repeated with shifted hours and ids),
then runs, each in a fresh process on a fresh store:
  - `finops ingest focus --db STORE FILE` (the real CLI: validation, quarantine, line numbers, replace);
  - raw (auto types): `CREATE TABLE raw AS SELECT * FROM read_csv(FILE)`, DuckDB's own load;
  - raw (store types): `INSERT INTO focus_charges SELECT CAST(...) FROM read_csv(FILE)` into the same
    schema (DECIMAL(38,12) money, TIMESTAMP, Tags as MAP) without any checks.
It prints wall rows/s, CPU seconds (all threads; less sensitive to other load on a shared machine), the
ingest/raw ratios (goal: ingest >= 0.5x raw) and each process's peak RSS. Prints figures, asserts nothing
(it does check that every run loaded every row).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "focus_sample_1000.csv.gz"

# Runs inside a fresh interpreter; prints one JSON line with its own wall time, CPU time and peak RSS.
_MEASURE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
mode, db, csv = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
if mode in ("ingest", "ingest-lake"):
    import contextlib, io
    if mode == "ingest-lake":  # a new lake: the charges go to Parquet partitions, the rest to its state file
        from knowledge.store import create_lake
        create_lake(db)
    sys.argv = ["finops", "ingest", "focus", "--db", db, "--json", csv]
    from apps.cli.main import app
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            app(standalone_mode=False)
        except SystemExit as exc:
            out["exit"] = exc.code
    report = json.loads(buf.getvalue())
    f = report["files"][0]
    out.update(rows=f["rows_loaded"], quarantined=f["rows_quarantined"], load_seconds=f["seconds"], phases=f["phases"])
else:
    import duckdb
    con = duckdb.connect(db)
    if mode == "raw-parquet":  # DuckDB's own copy of a Parquet file into a table, its types as they are
        con.execute("CREATE TABLE raw AS SELECT * FROM read_parquet(?)", [csv])
        out["rows"] = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    elif mode in ("raw-auto", "raw-null"):
        options = ", nullstr = 'NULL'" if mode == "raw-null" else ""
        con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv(?{options})", [csv])
        out["rows"] = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    else:
        from knowledge.schema import FOCUS_COLUMNS
        from knowledge.store import migrate
        migrate(con)
        header = [d[0] for d in con.execute("DESCRIBE SELECT * FROM read_csv(?, all_varchar = true)", [csv]).fetchall()]
        cols = [c for c in header if c in FOCUS_COLUMNS]
        def cast(c):
            t = FOCUS_COLUMNS[c]
            if t == "VARCHAR":
                return f'"{c}"'
            if t.startswith("MAP"):
                return f'CAST(CAST("{c}" AS JSON) AS {t})'
            return f'CAST("{c}" AS {t})'
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            f"INSERT INTO focus_charges ({', '.join(chr(34) + c + chr(34) for c in cols)}) "
            f"SELECT {', '.join(cast(c) for c in cols)} FROM read_csv(?, all_varchar = true, nullstr = 'NULL')", [csv])
        out["rows"] = con.execute("SELECT count(*) FROM focus_charges").fetchone()[0]
    con.close()
ru = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM: this process's peak RSS (ru_maxrss would carry the parent's peak across fork + exec)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
rss_mb = int(hwm[0].split()[1]) / 1024 if hwm else ru.ru_maxrss / 1024
out.update(wall=time.perf_counter() - t0, cpu=ru.ru_utime + ru.ru_stime, rss_mb=rss_mb)
print(json.dumps(out))
"""


def generate(path: Path, rows: int) -> float:
    """Write a FOCUS CSV of `rows` rows shaped like the sample; returns seconds taken."""
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE s AS SELECT row_number() OVER () - 1 AS sid, * FROM "
                "read_csv(?, all_varchar = true, nullstr = 'NULL', allow_quoted_nulls = false)", [str(SAMPLE)])
    cols = [r[0] for r in con.execute("DESCRIBE s").fetchall() if r[0] != "sid"]
    shifted = "strftime(CAST({c} AS TIMESTAMP) + to_hours(CAST(k % 24 AS INTEGER)), '%Y-%m-%d %H:%M:%S') AS {c}"
    select = []
    for c in cols:
        if c == "Id":
            select.append("CAST(k * 1000 + sid AS VARCHAR) AS Id")
        elif c in ("ChargePeriodStart", "ChargePeriodEnd"):
            select.append(shifted.format(c=c))
        elif c == "ResourceId":
            select.append("CASE WHEN ResourceId IS NULL THEN NULL ELSE ResourceId || '-' || (k % 100) END AS ResourceId")
        else:
            select.append(f'"{c}"')
    blocks = (rows + 999) // 1000
    con.execute(f"COPY (SELECT {', '.join(select)} FROM range({blocks}) AS r(k), s ORDER BY k, sid LIMIT {rows}) "
                f"TO '{path}' (HEADER, NULLSTR 'NULL', FORCE_QUOTE (ChargeDescription, ServiceName, Tags))")
    con.close()
    return time.perf_counter() - started


def result_line(mode: str, rows: int, r: dict) -> str:
    """One measured load: rows/s of wall and CPU time, peak RSS (MiB) and the store's size."""
    return (f"  {mode:12} {rows / r['wall']:>10,.0f} rows/s wall ({r['wall']:7.1f} s)  "
            f"{rows / r['cpu']:>10,.0f} rows/CPU-s ({r['cpu']:7.1f} CPU-s)  peak RSS {r['rss_mb']:6,.0f} MiB  "
            f"store {r['db_mb']:7,.0f} MB")


def measure(mode: str, db: Path, csv: Path, *, keep: bool = False, env: dict[str, str] | None = None) -> dict:
    """One load in a fresh interpreter (mode: ingest | ingest-lake | raw-auto | raw-null | raw-typed | raw-parquet): its wall and CPU
    time and peak RSS. The store is deleted afterwards unless `keep` (benchmarks/scale.py queries it)."""
    for p in (db, Path(str(db) + ".wal")):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    if env is None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        env.pop("FINOPS_DB", None)
    res = subprocess.run([sys.executable, "-c", _MEASURE, mode, str(db), str(csv)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{res.stderr[-2000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    files = [f for f in db.rglob("*") if f.is_file()] if db.is_dir() else [db]
    out["db_mb"] = sum(f.stat().st_size for f in files) / 1e6
    if not keep:
        shutil.rmtree(db) if db.is_dir() else db.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows to generate (repeatable; default 1M and 10M)")
    parser.add_argument("--dir", type=Path, help="work directory (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV files")
    args = parser.parse_args()
    sizes = args.rows or [1_000_000, 10_000_000]
    work = args.dir or Path(tempfile.mkdtemp(prefix="finops-ingest-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    import duckdb

    print(f"duckdb {duckdb.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, work dir {work}")
    for rows in sizes:
        csv = work / f"focus_{rows}.csv"
        gen = generate(csv, rows)
        print(f"\n{rows:,} rows: {csv.stat().st_size / 1e6:,.0f} MB CSV (generated in {gen:.1f} s)")
        results = {}
        for mode in ("raw-auto", "raw-typed", "ingest"):
            results[mode] = r = measure(mode, work / f"{mode}.duckdb", csv)
            if r["rows"] != rows:
                raise SystemExit(f"{mode} loaded {r['rows']} rows, expected {rows}")
            extra = ""
            if mode == "ingest":
                extra = f"  load {r['load_seconds']:.1f} s; phases " + ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
            print(result_line(mode, rows, r) + extra)
        ing = results["ingest"]
        for base in ("raw-auto", "raw-typed"):
            b = results[base]
            print(f"  ingest / {base}: {b['wall'] / ing['wall']:.2f}x wall, {b['cpu'] / ing['cpu']:.2f}x CPU "
                  f"(goal >= 0.5x)")
        print(f"  load average now {os.getloadavg()[0]:.1f}")
        if not args.keep:
            csv.unlink()
    if not args.keep and args.dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
