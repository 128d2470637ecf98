"""Milliseconds per call of each cost tool next to the same aggregate written by hand in DuckDB SQL.

    python benchmarks/tools.py                 # demo size (scale 1, ~110K FOCUS rows)
    python benchmarks/tools.py --scale 100     # ~11M FOCUS rows (built once, cached in $TMPDIR/finops-bench)
    python benchmarks/tools.py --db PATH       # an existing demo store

For each tool: the median over --repeat runs (after one warm-up) of the whole `run_tool` call (name
resolution, every SQL statement, Python, evidence with data freshness), the part of it spent in the
tool's own SQL, and the hand-written query that answers the same question with one aggregate; the
ratio tool / hand (goal <= 1.5x). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from knowledge.store import Store, open_store  # noqa: E402
from tools.registry import run_tool  # noqa: E402

AS_OF = date(2026, 11, 25)
SEED = 7


def ts(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


LAST_30 = [ts(AS_OF - timedelta(days=30)), ts(AS_OF)]
PREV_AND_LAST_30 = [ts(AS_OF - timedelta(days=30)), ts(AS_OF - timedelta(days=60)), ts(AS_OF)]
LAST_WEEK = [ts(date(2026, 11, 16)), ts(date(2026, 11, 23))]


@dataclass
class Case:
    label: str
    tool: str
    args: dict[str, Any]
    hand_sql: str
    hand_params: list[Any]


CASES: list[Case] = [
    Case("spend by team, vs previous 30 days", "spend", {"group_by": "team"},
         """SELECT x_team, sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS billed,
                   sum(EffectiveCost) FILTER (WHERE ChargePeriodStart >= ?) AS effective,
                   sum(BilledCost) FILTER (WHERE ChargePeriodStart < ?) AS previous
            FROM charges_allocated WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
            GROUP BY x_team ORDER BY billed DESC NULLS LAST, x_team""",
         [LAST_30[0], LAST_30[0], LAST_30[0], PREV_AND_LAST_30[1], LAST_30[1]]),
    Case("spend top 10 services", "spend", {"group_by": "service", "top": 10},
         """SELECT ServiceName, sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS billed,
                   sum(EffectiveCost) FILTER (WHERE ChargePeriodStart >= ?) AS effective,
                   sum(BilledCost) FILTER (WHERE ChargePeriodStart < ?) AS previous
            FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
            GROUP BY ServiceName ORDER BY billed DESC NULLS LAST, ServiceName LIMIT 10""",
         [LAST_30[0], LAST_30[0], LAST_30[0], PREV_AND_LAST_30[1], LAST_30[1]]),
    Case("who_owns 'the $20K cluster'", "who_owns", {"resource": "the $20K cluster"},
         """WITH r AS (
                SELECT ResourceId, sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) / 7 * 30 AS run_rate
                FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
                GROUP BY ResourceId HAVING run_rate BETWEEN 12500 AND 32000
            )
            SELECT r.ResourceId, r.run_rate, o.team, o.owner, o.how
            FROM r LEFT JOIN resource_owners o ON o.ResourceId = r.ResourceId
            ORDER BY abs(r.run_rate - 20000), r.ResourceId LIMIT 5""",
         [ts(AS_OF - timedelta(days=7)), LAST_30[0], LAST_30[1]]),
    Case("explain_charge $17K last week", "explain_charge", {"amount": 17000, "period": "last week"},
         # the same search by hand: the charge lines nearest the amount, and the sums per resource-day,
         # resource and service-day nearest it
         """(SELECT 'charge' AS grain, ResourceId, NULL AS ServiceName, BilledCost AS billed FROM focus_charges
             WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
             ORDER BY abs(BilledCost - 17000), ResourceId LIMIT 5)
            UNION ALL
            (SELECT 'sum', ResourceId, ServiceName, sum(BilledCost) AS billed FROM focus_charges
             WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
             GROUP BY GROUPING SETS ((ResourceId, CAST(ChargePeriodStart AS DATE)), (ResourceId),
                                     (ServiceName, CAST(ChargePeriodStart AS DATE)))
             ORDER BY abs(billed - 17000), ResourceId, ServiceName LIMIT 5)""",
         LAST_WEEK + LAST_WEEK),
    Case("llm_spend by model", "llm_spend", {"group_by": "model"},
         """SELECT model, sum(calls), sum(input_tokens), sum(cached_input_tokens), sum(output_tokens),
                   sum(cost) FILTER (WHERE ts >= ?) AS cost, sum(cost) FILTER (WHERE ts < ?) AS previous
            FROM llm_calls WHERE ts >= ? AND ts < ? GROUP BY model ORDER BY cost DESC, model""",
         [LAST_30[0], LAST_30[0], PREV_AND_LAST_30[1], LAST_30[1]]),
    Case("tag_audit (4 keys) last 30 days", "tag_audit", {},
         """SELECT sum(BilledCost),
                   sum(BilledCost) FILTER (WHERE nullif(trim(Tags['team']), '') IS NULL),
                   sum(BilledCost) FILTER (WHERE nullif(trim(Tags['project']), '') IS NULL),
                   sum(BilledCost) FILTER (WHERE nullif(trim(Tags['env']), '') IS NULL),
                   sum(BilledCost) FILTER (WHERE nullif(trim(Tags['owner']), '') IS NULL)
            FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?""",
         LAST_30),
    Case("prompt_audit", "prompt_audit", {},
         """SELECT c.prompt_id, c.model, sum(c.calls) / 30.0 AS calls_per_day,
                   sum(c.calls) * min(p.system_prompt_tokens) / 30.0 AS prefix_tokens_per_day,
                   quantile_cont(c.output_tokens, 0.5) FILTER (WHERE c.calls = 1),
                   quantile_cont(c.output_tokens, 0.95) FILTER (WHERE c.calls = 1)
            FROM llm_calls c LEFT JOIN prompts p ON p.prompt_id = c.prompt_id AND p.version = c.prompt_version
            WHERE c.prompt_id IS NOT NULL AND c.ts >= ? AND c.ts < ?
            GROUP BY c.prompt_id, c.model ORDER BY calls_per_day DESC, c.prompt_id""",
         LAST_30),
]


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    fn()  # warm-up: file pages in the OS cache, DuckDB catalog loaded
    times, last = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        last = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), last


def bench(store: Store, repeat: int) -> list[tuple[str, float, float, float, int]]:
    out = []
    for case in CASES:
        tool_ms, result = median_ms(lambda c=case: run_tool(store, c.tool, c.args), repeat)
        sql_ms = sum(run.ms for run in result.evidence.sql)
        hand_ms, _ = median_ms(lambda c=case: store.con.execute(c.hand_sql, c.hand_params).fetchall(), repeat)
        out.append((case.label, tool_ms, sql_ms, hand_ms, len(result.evidence.sql)))
    return out


def freshness_ms(store: Store, repeat: int) -> float:
    """What attaching evidence freshness (tools.registry, every tool call) costs on this store."""
    from tools.registry import ToolContext, forget_store_facts

    def fresh() -> Any:
        forget_store_facts(store)  # computed once per read-only store: time the first
        return ToolContext(store, "bench").freshness()

    return median_ms(fresh, repeat)[0]


def ensure_demo(scale: int, db: Path | None) -> Path:
    if db is not None:
        return db
    path = Path(tempfile.gettempdir()) / "finops-bench" / f"demo-s{scale}-{AS_OF.isoformat()}-seed{SEED}.duckdb"
    if not path.exists():
        from knowledge.demo import build_demo

        print(f"building the demo at scale {scale} into {path} (once) ...", flush=True)
        summary = build_demo(path, as_of=AS_OF, seed=SEED, scale=scale)
        print(f"built in {summary.seconds:.0f} s: {summary.rows['focus_charges']:,} FOCUS rows", flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="demo scale (1 = ~110K FOCUS rows, 100 = ~11M)")
    parser.add_argument("--db", type=Path, default=None, help="use this demo store instead of building one")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement (median)")
    args = parser.parse_args(argv)
    path = ensure_demo(args.scale, args.db)
    with open_store(path, read_only=True) as store:
        n_focus = store.con.execute("SELECT count(*) FROM focus_charges").fetchone()[0]
        n_calls = store.con.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
        threads = store.con.execute("SELECT current_setting('threads')").fetchone()[0]
        print(f"store {path}: {n_focus:,} FOCUS rows, {n_calls:,} LLM call rows; DuckDB threads {threads}; "
              f"median of {args.repeat} runs")
        rows = bench(store, args.repeat)
        fresh = freshness_ms(store, args.repeat)
    header = f"{'tool':<38} {'tool ms':>9} {'its SQL ms':>11} {'stmts':>6} {'hand SQL ms':>12} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for label, tool_ms, sql_ms, hand_ms, stmts in rows:
        print(f"{label:<38} {tool_ms:>9.1f} {sql_ms:>11.1f} {stmts:>6} {hand_ms:>12.1f} {tool_ms / hand_ms:>6.2f}x")
    print(f"('tool ms' is the whole run_tool call; 'its SQL ms' the tool's own statements. The evidence's data "
          f"freshness costs {fresh:.1f} ms on this store, once per read-only connection, so not in these medians.)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
