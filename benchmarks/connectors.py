"""Connector benchmark: rows/s of `openai-usage` ingestion (the connector) against DuckDB's own read_json
of the same pages.

    .venv/bin/python benchmarks/connectors.py [--rows 1000000] [--per-bucket 500] [--dir DIR] [--keep]

It generates OpenAI Usage API completions pages (the shape of the current sample in
tests/data/provider-usage/openai/: 1-hour buckets of `--per-bucket` results over several models and
projects, 24 buckets per page, pages one after another in one file), then, each in a fresh process on a
fresh store, runs:
  - connector: knowledge.connectors.ingest_provider (JSON parsed with Decimal, every record typed and
    checked, positions, duplicates, staging, replace, cost from the catalog, ingest_runs);
  - raw: `CREATE TABLE raw AS SELECT ... FROM read_json(FILE)` with the buckets and results unnested
    (DuckDB's auto types, no checks, no cost).
It prints wall rows/s, CPU seconds (all threads) and peak RSS of each, and the connector's phases (parse
vs load). Prints figures, asserts nothing (it checks that both loaded every row).
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
MODELS = ["gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini-2024-07-18", "o3-mini", "gpt-5-nano-unknown"]

_MEASURE = r"""
import json, resource, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
mode, db, path = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
if mode == "connector":
    from knowledge.connectors import load_into, parse_inputs
    from knowledge.ingest.runner import open_for_write
    parsed = parse_inputs("openai-usage", [path])
    out["parse_seconds"] = round(time.perf_counter() - t0, 2)
    t1 = time.perf_counter()
    with open_for_write(db) as store:
        report = load_into(store, "openai-usage", parsed)
    out["load_seconds"] = round(time.perf_counter() - t1, 2)
    out["rows"] = report.rows_loaded
    out["quarantined"] = report.rows_quarantined
else:
    import duckdb
    con = duckdb.connect(db)
    con.execute(
        "CREATE TABLE raw AS SELECT b.start_time, b.end_time, unnest(b.results, recursive := true) "
        "FROM (SELECT unnest(data) AS b FROM read_json(?, format = 'auto', maximum_object_size = 1000000000)) AS p",
        [path])
    out["rows"] = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    con.close()
out["wall"] = round(time.perf_counter() - t0, 2)
out["cpu"] = round(time.process_time() - c0, 2)
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def generate(path: Path, rows: int, per_bucket: int) -> int:
    """Write `rows` completions results as pages of 24 one-hour buckets; returns the rows written."""
    start = 1730419200
    written = 0
    hour = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < rows:
            buckets = []
            for _ in range(24):
                if written >= rows:
                    break
                n = min(per_bucket, rows - written)
                results = [{
                    "object": "organization.usage.completions.result",
                    "input_tokens": 1000 + i, "input_cached_tokens": 400, "input_cache_write_tokens": 100,
                    "input_uncached_tokens": 500 + i, "output_tokens": 500 + (i % 97), "num_model_requests": 5 + i % 7,
                    "project_id": f"proj_{i // len(MODELS)}", "user_id": None, "api_key_id": None,
                    "model": MODELS[i % len(MODELS)], "batch": False, "service_tier": "default",
                } for i in range(n)]
                buckets.append({"object": "bucket", "start_time": start + hour * 3600,
                                "end_time": start + (hour + 1) * 3600, "results": results})
                written += n
                hour += 1
            fh.write(json.dumps({"object": "page", "data": buckets, "has_more": written < rows,
                                 "next_page": f"page_{hour}" if written < rows else None}))
            fh.write("\n")
    return written


def measure(mode: str, db: Path, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _MEASURE, mode, str(db), str(path)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, action="append", help="results to generate (repeatable; default 1,000,000)")
    ap.add_argument("--per-bucket", type=int, default=500)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="finops-bench-connectors-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for rows in args.rows or [1_000_000]:
            path = work / f"usage-{rows}.json"
            t0 = time.perf_counter()
            n = generate(path, rows, args.per_bucket)
            print(f"{n:,} usage results, {path.stat().st_size / 1e6:.0f} MB of pages (generated in "
                  f"{time.perf_counter() - t0:.1f} s)")
            results = {}
            for mode in ("connector", "raw"):
                db = work / f"{mode}-{rows}.duckdb"
                if db.exists():
                    db.unlink()
                r = measure(mode, db, path)
                assert r["rows"] == n, (mode, r)
                results[mode] = r
                extra = (f"  (parse {r['parse_seconds']} s, load {r['load_seconds']} s)" if mode == "connector" else "")
                print(f"  {mode:9s} {n / r['wall']:>10,.0f} rows/s  wall {r['wall']:6.1f} s  cpu {r['cpu']:6.1f} s  "
                      f"peak RSS {r['peak_rss_mb']:,} MB{extra}")
            c, raw = results["connector"], results["raw"]
            print(f"  connector / raw: {raw['wall'] / c['wall']:.2f}x the rows/s (wall), "
                  f"{raw['cpu'] / c['cpu']:.2f}x (cpu)")
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
