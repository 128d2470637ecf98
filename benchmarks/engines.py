"""Engines benchmark (issue 22): ms per question on DuckDB and on Spark over the same Parquet lake, side by side.

    python benchmarks/engines.py --scale 9 [--scale 90] [--dir /tmp/engines] [--repeat 3] [--master local[2]]
    python benchmarks/engines.py --lake /path/to/lake          # an existing lake (finops demo --lake DIR --scale N)

For each scale the demo company is built as a lake (`finops demo --lake DIR --scale N`: ~110K charge rows per
scale unit, so 9 ~ 1M rows and 90 ~ 10M), unless the directory already holds it. Each question is a registry
tool call (name resolution, every SQL statement, evidence), timed as the median of --repeat runs after one
warm-up run, on DuckDB (the store's own connection) and on Spark (knowledge.engines.spark: the same SQL,
transpiled; tables registered before timing). Spark's session start and table registration are printed apart.
--master sc://host:15002 runs the Spark side on a Spark Connect server, spark://host:7077 on a standalone
cluster (docs/engines.md). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AS_OF, SEED = "2026-11-25", 7
QUESTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("spend by team last month", "spend", {"group_by": "team", "period": "last month"}),
    ("spend by service, last 30 days", "spend", {"group_by": "service"}),
    ("daily spend of research", "spend", {"group_by": "day", "team": "research"}),
    ("billed + effective cost by service category, vs previous month", "query_costs",
     {"measures": ["billed_cost", "effective_cost"], "group_by": ["service_category"], "period": "last month",
      "compare": "previous"}),
    ("top 5 AWS resources", "spend", {"group_by": "resource", "provider": "AWS", "top": 5}),
    ("untagged spend (tag audit)", "tag_audit", {}),
    ("anything unusual (anomalies)", "anomalies", {}),
    ("what is this $17K charge", "explain_charge", {"amount": "17284.50"}),
    ("LLM spend by model", "llm_spend", {}),
    ("who owns the inference cluster", "who_owns", {"resource": "inference cluster"}),
]


def build_lake(root: Path, scale: int) -> float:
    """Build the demo lake at `scale` in `root` unless it is there; seconds taken (0 when reused)."""
    from knowledge.lake import is_lake

    if is_lake(root):
        return 0.0
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "apps.cli.main", "demo", "--lake", str(root), "--scale", str(scale),
                    "--as-of", AS_OF, "--seed", str(SEED)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def timed(fn: Any, repeat: int) -> float:
    fn()                                                  # warm-up (first-use registration, caches, JIT)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def bench(root: Path, repeat: int, master: str) -> None:
    from knowledge.engines import use_engine
    from knowledge.engines.spark import SparkEngine, timed_session
    from knowledge.store import open_store
    from tools.registry import run_tool

    store = open_store(root, read_only=True)
    (rows,) = store.con.execute("SELECT count(*) FROM focus_charges").fetchone() or (0,)
    spark, started_s = timed_session(master)
    began = time.perf_counter()
    engine = SparkEngine.from_store(store, spark=spark)
    engine.register_all()
    registered_s = time.perf_counter() - began
    print(f"\nlake {root}: {rows:,} charge rows; Spark ({master}) session start {started_s:.1f} s, "
          f"registration of {len(engine.registered)} tables/views {registered_s:.1f} s; median of {repeat} runs")
    print(f"{'question':<66} {'duckdb ms':>10} {'spark ms':>10} {'ratio':>7}")
    totals = [0.0, 0.0]
    for label, tool, args in QUESTIONS:
        use_engine(store, None)
        duck = timed(lambda t=tool, a=args: run_tool(store, t, a), repeat)
        use_engine(store, engine)
        try:
            on_spark = timed(lambda t=tool, a=args: run_tool(store, t, a), repeat)
        finally:
            use_engine(store, None)
        totals[0] += duck
        totals[1] += on_spark
        print(f"{label:<66} {duck:>10,.0f} {on_spark:>10,.0f} {on_spark / duck:>6.0f}x")
    print(f"{'total':<66} {totals[0]:>10,.0f} {totals[1]:>10,.0f} {totals[1] / totals[0]:>6.0f}x")
    engine.close()
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, action="append", help="demo scale (~110K rows each); repeatable")
    parser.add_argument("--lake", type=Path, action="append", help="an existing lake instead of --scale")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/finops-engines"), help="where the lakes are built")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--master", default="local[*]", help="local[N], spark://host:7077, yarn or sc://host:15002")
    ns = parser.parse_args()
    lakes: list[Path] = list(ns.lake or [])
    for scale in ns.scale or ([] if lakes else [9]):
        root = ns.dir / f"lake-scale{scale}"
        seconds = build_lake(root, scale)
        if seconds:
            print(f"built {root} (scale {scale}) in {seconds:.0f} s")
        lakes.append(root)
    for root in lakes:
        bench(root, ns.repeat, ns.master)


if __name__ == "__main__":
    main()
