"""Issue 16 ingest hardening: peak memory on hostile inputs, and what the content hash costs a normal load.

    python benchmarks/ingest_hardening.py [--bomb-mb 1024] [--rows 300000] [--dir DIR] [--keep]

1. A gzip bomb of JSON pages: BOMB_MB MiB of spaces then one page, gzip -9 (~1 MB on disk for 1 GiB).
   Runs `finops ingest openai-usage --db STORE BOMB` in a fresh process and prints its exit code, its
   first stderr line and its peak RSS (ru_maxrss of the child). Before the fix the whole input was read
   and decompressed into memory (and decoded to text again): ~2x BOMB_MB.
2. The cost of hashing (SHA-256 of the decompressed content, in the line-count thread that already reads
   the file): `finops ingest focus` of a generated FOCUS CSV.gz (the FinOps Foundation sample's rows
   repeated ROWS times, distinct ids) — wall seconds and peak RSS, and the `content_sha256` it stored.
4. (with --long-line-mb N, default 300) a FOCUS CSV.gz whose third line is N MiB long: DuckDB drops such a
   line without a reject; the ingest must refuse the file (exit 2) rather than load one row short.
3. A real (not hostile) JSON pages file: PAGES_MB MiB of OpenAI usage pages (pretty-printed, gzip):
   exit, seconds and peak RSS of `finops ingest openai-usage`.
5. (with --big-pages-mb N, default 200) the same, N MiB decompressed (under the 1 GiB limit): the pages are
   parsed as a stream, one page at a time (before the change: 1141.8 MB peak, 13.3 s for 200 MiB / 561,200
   results; after: 1099.7 MB, 13.0 s). What remains is the 200 MiB of decompressed bytes and the rows the
   ingest keeps until it loads them (~1.6 KB a row), not the parse tree or the text.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import gzip
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

_CHILD = r"""
import resource, sys, time
from apps.cli.main import app
t0 = time.perf_counter()
try:
    code = app(sys.argv[1:], standalone_mode=False) or 0  # typer.Exit comes back as the return value
except SystemExit as exc:
    code = exc.code or 0
except Exception as exc:
    code = getattr(exc, "exit_code", 1)
sys.stderr.write(f"\n@@ {time.perf_counter() - t0:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} {code}\n")
"""


def run(args: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "FINOPS_DB"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    lines = proc.stderr.strip().splitlines()
    marker = [ln for ln in lines if ln.startswith("@@ ")]
    seconds, rss_kb, code = marker[-1].split()[1:] if marker else ("nan", "0", str(proc.returncode))
    shown = [ln for ln in lines if ln and not ln.startswith("@@ ")]
    return {"exit": int(code) if code.lstrip("-").isdigit() else code, "seconds": float(seconds),
            "peak_rss_mb": round(int(rss_kb) / 1024, 1), "stderr": shown[0] if shown else "",
            "stdout": proc.stdout.strip().splitlines()}


def make_bomb(path: Path, mb: int) -> None:
    block = b" " * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(mb):
            fh.write(block)
        fh.write(json.dumps({"object": "page", "has_more": False, "data": []}).encode())


def make_focus(path: Path, rows: int) -> None:
    with gzip.open(SAMPLE, "rt", newline="") as fh:
        src = list(csv.reader(fh))
    header, body = src[0], src[1:]
    id_col = header.index("Id") if "Id" in header else None
    with gzip.open(path, "wt", newline="", compresslevel=1) as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        for i in range(rows):
            r = list(body[i % len(body)])
            if id_col is not None:
                r[id_col] = str(i)
            w.writerow(r)


def make_pages(path: Path, mb: int) -> int:
    """Pretty-printed OpenAI usage pages, one per day, until the text passes `mb` MiB; returns results."""
    n = 0
    size = 0
    day = 1704067200  # 2024-01-01
    with gzip.open(path, "wt", compresslevel=1) as out:
        while size < mb << 20:
            results = [{"object": "organization.usage.completions.result", "input_tokens": 1000 + i,
                        "output_tokens": 10 + i, "input_cached_tokens": 0, "num_model_requests": 3,
                        "project_id": f"proj_{i % 40}", "user_id": f"user_{i}", "api_key_id": None,
                        "model": "gpt-4o-mini", "batch": False} for i in range(200)]
            page = {"object": "page", "has_more": False, "next_page": None, "data": [
                {"object": "bucket", "start_time": day, "end_time": day + 86400, "results": results}]}
            text = json.dumps(page, indent=2) + "\n"
            out.write(text)
            size += len(text)
            n += len(results)
            day += 86400
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bomb-mb", type=int, default=1024)
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--pages-mb", type=int, default=40)
    ap.add_argument("--long-line-mb", type=int, default=300)
    ap.add_argument("--big-pages-mb", type=int, default=200, help="0 to skip")
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = a.dir or Path(tempfile.mkdtemp(prefix="finops-hardening-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        bomb = work / "pages.json.gz"
        make_bomb(bomb, a.bomb_mb)
        r = run(["ingest", "openai-usage", "--db", str(work / "bomb.duckdb"), str(bomb)])
        print(f"gzip bomb: {bomb.stat().st_size:,} bytes on disk -> {a.bomb_mb} MiB of text")
        print(f"  finops ingest openai-usage: exit {r['exit']}, peak RSS {r['peak_rss_mb']} MB, {r['seconds']} s")
        print(f"  {r['stderr']}")
        baseline = run(["ingest", "--help"])
        print(f"  (a finops process that only prints help: peak RSS {baseline['peak_rss_mb']} MB)")

        focus = work / "focus.csv.gz"
        t = time.perf_counter()
        make_focus(focus, a.rows)
        print(f"\nFOCUS CSV.gz: {a.rows:,} rows, {focus.stat().st_size / 1e6:.1f} MB on disk "
              f"(generated in {time.perf_counter() - t:.1f} s)")
        db = work / "focus.duckdb"
        r = run(["ingest", "focus", "--db", str(db), "--json", str(focus)])
        print(f"  finops ingest focus: exit {r['exit']}, {r['seconds']} s, peak RSS {r['peak_rss_mb']} MB")
        again = run(["ingest", "focus", "--db", str(db), str(focus)])
        said = next((ln for ln in again["stdout"] if "skipped" in ln), "")
        print(f"  the same file again: exit {again['exit']}, {again['seconds']} s, peak RSS {again['peak_rss_mb']} MB: "
              f"{said[said.find('skipped'):][:140]}")
        pages = work / "usage-pages.json.gz"
        n = make_pages(pages, a.pages_mb)
        r = run(["ingest", "openai-usage", "--db", str(work / "pages.duckdb"), "--json", str(pages)])
        print(f"\nOpenAI usage pages: {a.pages_mb} MiB of JSON ({n:,} results), {pages.stat().st_size / 1e6:.1f} MB gzip")
        print(f"  finops ingest openai-usage: exit {r['exit']}, {r['seconds']} s, peak RSS {r['peak_rss_mb']} MB")
        if a.big_pages_mb:  # issue 16 item 4: a valid multi-page file under the limit, read as a stream
            big = work / "big-pages.json.gz"
            n = make_pages(big, a.big_pages_mb)
            r = run(["ingest", "openai-usage", "--db", str(work / "big.duckdb"), "--json", str(big)])
            print(f"\nOpenAI usage pages: {a.big_pages_mb} MiB of JSON ({n:,} results, one page a day), "
                  f"{big.stat().st_size / 1e6:.1f} MB gzip")
            print(f"  finops ingest openai-usage: exit {r['exit']}, {r['seconds']} s, peak RSS {r['peak_rss_mb']} MB")
            big.unlink()
        longf = work / "long-line.csv.gz"
        with gzip.open(SAMPLE, "rb") as fh:
            head = fh.readline() + fh.readline()
        with gzip.open(longf, "wb", compresslevel=1) as out:
            out.write(head)
            for _ in range(a.long_line_mb):
                out.write(b"x" * (1 << 20))
            out.write(b"\n")
        r = run(["ingest", "focus", "--db", str(work / "long.duckdb"), str(longf)])
        print(f"\nFOCUS CSV.gz with a {a.long_line_mb} MiB line: exit {r['exit']}, {r['seconds']} s, "
              f"peak RSS {r['peak_rss_mb']} MB")
        print(f"  {r['stderr'][:200]}")
    finally:
        if not a.keep and a.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
