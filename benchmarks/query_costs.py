"""`query_costs` (CostQuery -> validation -> one compiled statement) next to hand-written DuckDB SQL
for the same question, at demo scale N (10 = ~1.1M FOCUS rows, 100 = ~11M).

    python benchmarks/query_costs.py --scale 10     # ~1.1M rows (built once, cached in $TMPDIR/finops-bench)
    python benchmarks/query_costs.py --scale 100    # ~11M rows

Prints, per question, the median of --repeat runs (after a warm-up) of the whole `run_tool` call (name
and value validation, the compiled SQL, Python, evidence) and of the hand-written query, and the ratio
(goal <= 1.5x). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _bench_tools() -> Any:
    """benchmarks/tools.py (its demo cache and timing helper), loaded by path: `tools` is the product package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_tools", ROOT / "benchmarks" / "tools.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["bench_tools"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


_BT = _bench_tools()
LAST_30, ensure_demo, median_ms = _BT.LAST_30, _BT.ensure_demo, _BT.median_ms

from knowledge.store import open_store  # noqa: E402
from tools.registry import run_tool  # noqa: E402

CASES: list[tuple[str, dict[str, Any], str, list[Any]]] = [
    ("billed by service category, top 10",
     {"period": "last 30 days", "group_by": ["service_category"], "top": 10},
     """SELECT ServiceCategory, sum(BilledCost) AS billed FROM focus_charges
        WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY ServiceCategory ORDER BY billed DESC""",
     LAST_30),
    ("effective + savings by provider x charge category",
     {"period": "last 30 days", "group_by": ["provider", "charge_category"], "measures": ["effective_cost", "savings"]},
     """SELECT ProviderName, ChargeCategory, sum(EffectiveCost) AS eff, sum(ListCost) - sum(EffectiveCost) AS savings
        FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
        GROUP BY ProviderName, ChargeCategory ORDER BY eff DESC""",
     LAST_30),
    ("billed by team where category = Compute",
     {"period": "last 30 days", "group_by": ["team"],
      "filters": [{"dimension": "service_category", "op": "eq", "values": ["Compute"]}]},
     """SELECT x_team, sum(BilledCost) AS billed FROM charges_allocated
        WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? AND ServiceCategory = 'Compute'
        GROUP BY x_team ORDER BY billed DESC""",
     LAST_30),
    ("billed by region, not in (us-east-1)",
     {"period": "last 30 days", "group_by": ["region"],
      "filters": [{"dimension": "region", "op": "not_in", "values": ["us-east-1"]}]},
     """SELECT RegionId, sum(BilledCost) AS billed FROM focus_charges
        WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? AND (RegionId IS NULL OR RegionId <> 'us-east-1')
        GROUP BY RegionId ORDER BY billed DESC""",
     LAST_30),
    ("billed by tag:project, top 5",
     {"period": "last 30 days", "group_by": ["tag:project"], "top": 5},
     """SELECT Tags['project'] AS project, sum(BilledCost) AS billed FROM focus_charges
        WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY project ORDER BY billed DESC""",
     LAST_30),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    path = ensure_demo(args.scale, args.db)
    with open_store(path, read_only=True) as store:
        n = store.con.execute("SELECT count(*) FROM focus_charges").fetchone()[0]
        print(f"store {path}: {n:,} FOCUS rows; median of {args.repeat} runs")
        header = f"{'question':<52} {'query_costs ms':>15} {'stmts':>6} {'hand SQL ms':>12} {'ratio':>7}"
        print(header)
        print("-" * len(header))
        for label, q, sql, params in CASES:
            tool_ms, result = median_ms(lambda q=q: run_tool(store, "query_costs", q), args.repeat)
            hand_ms, _ = median_ms(lambda s=sql, p=params: store.con.execute(s, p).fetchall(), args.repeat)
            print(f"{label:<52} {tool_ms:>15.1f} {len(result.evidence.sql):>6} {hand_ms:>12.1f} {tool_ms / hand_ms:>6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
