"""The eight questions of benchmarks/scale.py on an existing store or lake, tool against hand SQL in CPU time.

    python benchmarks/tool_vs_hand.py --db STORE_OR_LAKE [--only "spend by team,top 10"] [--repeat 5]

CPU milliseconds of this process (all DuckDB threads), median of --repeat runs after a warm-up, the tool
(`run_tool`) and the hand query taking turns: CPU time moves less than wall time when the machine is busy or
its speed drifts. To compare two versions of the code, run it from each checkout (e.g. a `git worktree` of
the older commit) on the same store, taking turns. The store must be one scale.py or scale_lake.py made
(their dates: FINOPS_TODAY is set to the day after the generated data). Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (benchmarks/scale.py, beside this script)

if str(scale.ROOT) not in sys.path:
    sys.path.insert(0, str(scale.ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--only", help="comma-separated parts of question labels")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["FINOPS_TODAY"] = scale.TODAY.isoformat()
    from knowledge.store import open_store
    from tools.registry import run_tool

    only = args.only.split(",") if args.only else None
    print(f"code {scale.ROOT}, store {args.db}")
    with open_store(args.db, read_only=True) as store:
        for label, tool, tool_args, sql, params in scale.cases(store.con):
            if only and not any(o in label for o in only):
                continue
            run_tool(store, tool, tool_args)
            store.con.execute(sql, params).fetchall()
            tool_ms, hand_ms = [], []
            for _ in range(args.repeat):
                t = time.process_time()
                run_tool(store, tool, tool_args)
                tool_ms.append((time.process_time() - t) * 1000)
                t = time.process_time()
                store.con.execute(sql, params).fetchall()
                hand_ms.append((time.process_time() - t) * 1000)
            a, h = statistics.median(tool_ms), statistics.median(hand_ms)
            print(f"  {label:45} tool {a:7.0f} CPU-ms  hand {h:7.0f} CPU-ms  {a / h:5.2f}x")


if __name__ == "__main__":
    main()
