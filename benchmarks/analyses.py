"""Milliseconds per call of the anomalies, waste and forecast tools, against hand-written SQL.

    python benchmarks/analyses.py [--scale N] [--db PATH] [--repeat R]

Without --db, the demo company is built at --scale N (1 = ~110K FOCUS rows, 100 = ~11M) in a temporary
directory first (scale 100 takes minutes). Each tool runs once to warm up, then R times; the median is
printed. "SQL" is hand-written SQL for the same question where one exists:
- anomalies: the daily cost series per service and per team over the same days (the scans any
  implementation needs; the tool adds the statistics and the drivers);
- waste: zombie jobs, idle endpoints and replication left on with their monthly cost, three plain
  queries (the totals are checked against the tool's);
- forecast: the daily total cost series the forecast learns from.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

# This script's folder holds a benchmarks/tools.py that would shadow the `tools` package: import from the
# repository root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.store import Store, open_store  # noqa: E402
from tools.registry import run_tool  # noqa: E402

AS_OF = date(2026, 11, 25)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = fn()                                   # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def sql_anomalies(store: Store) -> Callable[[], Any]:
    today = store.today()
    start, end = datetime.combine(today - timedelta(days=30 + 63), datetime.min.time()), datetime.combine(today, datetime.min.time())

    def run() -> Any:
        service = store.con.execute(
            "SELECT ServiceName, CAST(ChargePeriodStart AS DATE) AS d, sum(BilledCost) FROM focus_charges "
            "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1, 2 ORDER BY 1, 2", [start, end]).fetchall()
        team = store.con.execute(
            "SELECT x_team, CAST(ChargePeriodStart AS DATE) AS d, sum(BilledCost) FROM charges_allocated "
            "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1, 2 ORDER BY 1, 2", [start, end]).fetchall()
        return len(service) + len(team)

    return run


def sql_waste(store: Store) -> Callable[[], Any]:
    today = store.today()
    now = datetime.combine(today, datetime.min.time())

    def run() -> dict[str, Decimal]:
        last = store.con.execute("SELECT max(ChargePeriodStart) FROM focus_charges").fetchone()[0]
        zombies = store.con.execute(
            """
            SELECT coalesce(sum(f.BilledCost) * 30, 0) FROM gpu_jobs j
            JOIN focus_charges f ON f.ResourceId = j.resource_id AND f.ChargePeriodStart = ?
            WHERE j.ended_at IS NULL AND j.started_at < ?
              AND (j.started_at + to_hours(CAST(j.ttl_hours AS BIGINT)) < ? OR coalesce(j.last_progress_at, j.started_at) < ?)
            """, [last, now, now, now - timedelta(hours=24)]).fetchone()[0]
        idle = store.con.execute(
            """
            SELECT coalesce(sum(e.hourly_cost * 720), 0) FROM endpoints e
            JOIN (SELECT endpoint_id, sum(requests) AS r, count(*) AS n, avg(avg_gpu_util) AS u FROM endpoint_usage_daily
                  WHERE day >= ? AND day < ? GROUP BY endpoint_id) x ON x.endpoint_id = e.endpoint_id
            WHERE x.r <= 10 * x.n AND (x.u IS NULL OR x.u < 0.1)
            """, [today - timedelta(days=30), today]).fetchone()[0]
        left_on = store.con.execute(
            """
            SELECT coalesce(sum(BilledCost) * 30, 0) FROM focus_charges
            WHERE ChargePeriodStart = ? AND (SkuId ILIKE '%replicat%' OR SkuId ILIKE '%CRR%'
                  OR ChargeDescription ILIKE '%replicat%' OR lower(Tags['env']) IN ('demo', 'test', 'temp', 'tmp', 'poc', 'sandbox'))
            """, [last]).fetchone()[0]
        return {"zombie_job": Decimal(zombies), "idle_endpoint": Decimal(idle), "left_on": Decimal(left_on)}

    return run


def sql_forecast(store: Store) -> Callable[[], Any]:
    today = store.today()
    start, end = datetime.combine(today - timedelta(days=56), datetime.min.time()), datetime.combine(today, datetime.min.time())
    return lambda: store.con.execute(
        "SELECT CAST(ChargePeriodStart AS DATE) AS d, sum(BilledCost) FROM focus_charges "
        "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY 1 ORDER BY 1", [start, end]).fetchall()


def bench(db: Path, scale: int, repeat: int) -> None:
    with open_store(db, read_only=True) as store:
        rows = store.con.execute("SELECT count(*) FROM focus_charges").fetchone()[0]
        print(f"\nstore {db} (scale {scale}): {rows:,} FOCUS rows, {repeat} timed runs each (median)")
        print(f"{'tool':<12} {'tool ms':>10} {'SQL ms':>10} {'ratio':>7}  note")
        cases: list[tuple[str, dict[str, Any], Callable[[], Any]]] = [
            ("anomalies", {}, sql_anomalies(store)),
            ("waste", {}, sql_waste(store)),
            ("forecast", {}, sql_forecast(store)),
        ]
        for name, args, sql in cases:
            tool_ms, result = timed(lambda name=name, args=args: run_tool(store, name, args), repeat)
            sql_ms, sql_result = timed(sql, repeat)
            note = ""
            if name == "waste":
                same = all(abs(result.by_kind.get(k, Decimal(0)) - v) < Decimal("0.01") for k, v in sql_result.items())
                note = f"totals match hand-written SQL: {'yes' if same else 'NO'} ({len(result.items)} items)"
            elif name == "anomalies":
                note = f"{len(result.anomalies)} anomalies over {result.checked} scopes"
            elif name == "forecast":
                note = f"30-day total {result.forecasts[0].total:,.2f}"
            print(f"{name:<12} {tool_ms:>10.1f} {sql_ms:>10.1f} {tool_ms / sql_ms:>6.1f}x  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--db", type=Path, help="an existing demo store (skips the build)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.db is not None:
        bench(args.db, args.scale, args.repeat)
        return
    from knowledge.demo import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        started = time.perf_counter()
        build_demo(db, as_of=AS_OF, seed=7, scale=args.scale)
        print(f"built the demo at scale {args.scale} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        bench(db, args.scale, args.repeat)


if __name__ == "__main__":
    main()
