"""Scale benchmark (issue 17): ingest, questions and a Slack approval on FOCUS stores of N rows, with few
or many distinct resources, side by side with DuckDB doing the same work by hand.

    python benchmarks/scale.py --rows 2000000 --resources 2000 --resources 2000000 [--lake] [--dir /tmp/x] [--keep]

The generator repeats the FinOps Foundation sample (tests/data/focus_sample_1000.csv.gz: 44 columns, 842
resources, Tags on 71% of rows) in blocks of 1,000 rows, spreading the blocks over 90 days and giving
each block's resources a suffix `/k mod M`, with M chosen so the file holds about --resources distinct
ResourceIds. For each --resources value it prints, in one run:
  - ingest: `finops ingest focus` (a fresh process: validation, quarantine, replace, name index) against
    raw DuckDB `CREATE TABLE AS SELECT * FROM read_csv(...)` of the same CSV, rows/s and peak RSS;
  - eight questions: the tool (run_tool: name resolution, every SQL statement, evidence) against a
    hand-written query for the same answer, in the same process, median of --repeat runs after a warm-up;
  - names: the name lookups of one question (the planner's index read + a resolve), against the pre-index
    way (SELECT DISTINCT over the 12 name columns, every name folded in Python), and `finops ask` end to
    end in a fresh process (cold);
  - a Slack approval recorded the way the bot records it (a state-only write: in place on a store file no
    one has open, else copy, insert, swap).
With --lake the same CSV is also ingested into a Parquet lake (knowledge/lake.py) and the questions, the
cold asks and the approval are measured on it (hand SQL there reads the same Parquet files).
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "tests" / "data" / "focus_sample_1000.csv.gz"
SAMPLE_RESOURCES = 842
DAYS = 90
TODAY = date(2024, 9, 1) + timedelta(days=DAYS)      # the day after the generated data ends


def generated_rows(con: Any, rows: int, resources: int, typed: dict[str, str] | None = None) -> str:
    """A SELECT of `rows` generated FOCUS rows with about `resources` distinct ResourceIds, over the sample
    loaded into `con`; text columns, or the columns of `typed` (name -> DuckDB type) cast to those types (the
    sample's 1,000 rows are cast once, not every generated row)."""
    con.execute("CREATE TABLE IF NOT EXISTS s AS SELECT row_number() OVER () - 1 AS sid, * FROM "
                "read_csv(?, all_varchar = true, nullstr = 'NULL', allow_quoted_nulls = false)", [str(SAMPLE)])
    cols = [r[0] for r in con.execute("DESCRIBE s").fetchall() if r[0] != "sid"]
    table = "s"
    if typed is not None:
        cols = [c for c in cols if c in typed]
        casts = [f'TRY_CAST(TRY_CAST("{c}" AS JSON) AS {typed[c]}) AS "{c}"' if typed[c].startswith("MAP")
                 else f'"{c}"' if c in ("Id", "ResourceId", "ResourceName") else f'TRY_CAST("{c}" AS {typed[c]}) AS "{c}"'
                 for c in cols]
        con.execute(f"CREATE OR REPLACE TABLE st AS SELECT sid, {', '.join(casts)} FROM s")
        table = "st"
    m = max(1, resources // SAMPLE_RESOURCES)
    day = "(k % 60)"     # the sample's 30 days shifted by up to 60: 90 days in all
    shifted = ("{c} + to_days(CAST({day} AS INTEGER))" if typed is not None
               else "strftime(CAST({c} AS TIMESTAMP) + to_days(CAST({day} AS INTEGER)), '%Y-%m-%d %H:%M:%S')")
    select = []
    for c in cols:
        if c == "Id":
            select.append("CAST(k * 1000 + sid AS VARCHAR) AS Id")
        elif c in ("ChargePeriodStart", "ChargePeriodEnd"):
            select.append(f"{shifted.format(c=c, day=day)} AS {c}")
        elif c in ("ResourceId", "ResourceName"):
            select.append(f"CASE WHEN {c} IS NULL THEN NULL ELSE {c} || '/' || (k % {m}) END AS {c}")
        else:
            select.append(f'"{c}"')
    blocks = (rows + 999) // 1000
    return f"SELECT {', '.join(select)} FROM range({blocks}) AS r(k), {table} WHERE k * 1000 + sid < {rows}"


def generate(path: Path, rows: int, resources: int) -> tuple[float, int]:
    """A FOCUS CSV of `rows` rows with about `resources` distinct ResourceIds; (seconds, distinct ids)."""
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(":memory:")
    # Bounded: the sort that keeps blocks in order (a raw load sniffs types from the first rows) spills
    # instead of holding 10M rows in memory (16 GB without a limit).
    con.execute("SET memory_limit = '2GB'")
    con.execute(f"SET temp_directory = '{path.parent / '.gen-spill'}'")
    con.execute(f"COPY ({generated_rows(con, rows, resources)} ORDER BY k, sid) "
                f"TO '{path}' (HEADER, NULLSTR 'NULL', FORCE_QUOTE (ChargeDescription, ServiceName, Tags))")
    distinct = con.execute("SELECT count(DISTINCT ResourceId) FROM read_csv(?, all_varchar = true, nullstr = 'NULL')",
                           [str(path)]).fetchone()[0]
    con.close()
    return time.perf_counter() - started, distinct


# -- ingest: a fresh process each (benchmarks/ingest.py's measurement) -------------------------------------
def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), FINOPS_TODAY=TODAY.isoformat())
    env.pop("FINOPS_DB", None)
    return env


def measure_load(mode: str, db: Path, csv: Path) -> dict[str, Any]:
    """`finops ingest focus` (mode 'ingest'), DuckDB's own CREATE TABLE AS read_csv (mode 'raw', auto types) or
    DuckDB's INSERT into the store's schema with the same casts and no checks ('raw-typed'), in a fresh
    process; the store is kept for the questions."""
    from ingest import measure  # benchmarks/ingest.py, beside this script

    return measure("raw-null" if mode == "raw" else mode, db, csv, keep=True, env=_env())


# -- questions: the tool against a hand-written query ----------------------------------------------------
def ts(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


L30, P30, L7 = ts(TODAY - timedelta(days=30)), ts(TODAY - timedelta(days=60)), ts(TODAY - timedelta(days=7))
END = ts(TODAY)
_SPEND_HAND = """SELECT {g} AS k, sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS billed,
       sum(EffectiveCost) FILTER (WHERE ChargePeriodStart >= ?) AS effective,
       sum(BilledCost) FILTER (WHERE ChargePeriodStart < ?) AS previous
FROM {t} WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY k ORDER BY billed DESC NULLS LAST, k{limit}"""


def cases(con: Any) -> list[tuple[str, str, dict[str, Any], str, list[Any]]]:
    rid, amount = con.execute(
        "SELECT ResourceId, BilledCost FROM focus_charges WHERE ChargePeriodStart >= ? AND ResourceId IS NOT NULL "
        "ORDER BY BilledCost DESC, ResourceId LIMIT 1", [L7]).fetchone()
    spend = [L30, L30, L30, P30, END]
    return [
        ("spend by team", "spend", {"group_by": "team"},
         _SPEND_HAND.format(g="x_team", t="charges_allocated", limit=""), spend),
        ("spend by service (top 10)", "spend", {"group_by": "service", "top": 10},
         _SPEND_HAND.format(g="ServiceName", t="focus_charges", limit=" LIMIT 10"), spend),
        ("spend by tag env", "spend", {"group_by": "env"},
         _SPEND_HAND.format(g="x_tag_env", t="focus_charges", limit=""), spend),
        # The env tag is a column of the files (knowledge.tag_columns); the same tool against hand SQL that
        # reads it from the Tags map, as it had to before the column existed.
        ("spend by tag env vs hand SQL over the map", "spend", {"group_by": "env"},
         _SPEND_HAND.format(g="nullif(Tags['env'], '')", t="focus_charges", limit=""), spend),
        ("top 10 resources", "spend", {"group_by": "resource", "top": 10},
         _SPEND_HAND.format(g="ResourceId", t="focus_charges", limit=" LIMIT 10"), spend),
        ("who owns <resource id>", "who_owns", {"resource": rid},
         "SELECT c.ResourceId, sum(c.BilledCost), min(o.team) FROM focus_charges c LEFT JOIN resource_owners o "
         "ON o.ResourceId = c.ResourceId WHERE c.ResourceId = ? AND c.ChargePeriodStart >= ? GROUP BY c.ResourceId",
         [rid, L30]),
        # The answer names the resource, its service, region, account, its last 7 and 30 days, the owner its
        # latest team/owner tags or a rule gives, and its tags: the same tool against hand SQL reading those.
        ("who owns vs hand SQL of the same fields", "who_owns", {"resource": rid},
         "WITH r AS (SELECT ResourceId, any_value(ResourceName) AS name, any_value(ServiceName) AS service, "
         "any_value(ProviderName) AS provider, any_value(RegionId) AS region, any_value(SubAccountId) AS account, "
         "sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS last_7, "
         "sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS last_30, "
         "arg_max(x_tag_team, ChargePeriodStart) AS team, arg_max(x_tag_owner, ChargePeriodStart) AS owner, "
         "arg_max(Tags, ChargePeriodStart) FILTER (WHERE cardinality(Tags) > 0) AS tags "
         "FROM focus_charges WHERE ResourceId = ? GROUP BY ResourceId) "
         "SELECT r.*, o.team AS rule_team FROM r LEFT JOIN resource_owners o ON o.ResourceId = r.ResourceId",
         [L7, L30, rid]),
        ("explain a charge (amount, last 7 days)", "explain_charge", {"amount": float(amount), "period": "last 7 days"},
         "SELECT ResourceId, ServiceName, BilledCost FROM focus_charges WHERE ChargePeriodStart >= ? "
         "AND ChargePeriodStart < ? ORDER BY abs(BilledCost - ?), ResourceId LIMIT 5", [L7, END, amount]),
        # The answer gives the charge found by its amount and that resource's day, SKU by SKU, with its team:
        # the same tool against hand SQL doing that.
        ("explain vs hand SQL of the same fields", "explain_charge", {"amount": float(amount), "period": "last 7 days"},
         "WITH c AS (SELECT ResourceId, CAST(ChargePeriodStart AS DATE) AS d FROM focus_charges "
         "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? ORDER BY abs(BilledCost - ?), ResourceId LIMIT 1) "
         "SELECT f.ResourceId, f.SkuId, f.ChargeDescription, sum(f.BilledCost) AS billed, any_value(f.x_tag_team) AS team "
         "FROM focus_charges f JOIN c ON f.ResourceId = c.ResourceId AND f.ChargePeriodStart >= c.d "
         "AND f.ChargePeriodStart < c.d + INTERVAL 1 DAY GROUP BY ALL ORDER BY billed DESC", [L7, END, amount]),
        ("anomalies (service and team, 30 days)", "anomalies", {},
         "SELECT ServiceName, CAST(ChargePeriodStart AS DATE) AS d, sum(BilledCost) FROM focus_charges "
         "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY ALL", [ts(TODAY - timedelta(days=86)), END]),
        # The answer covers both of its scopes, services and teams: the same tool against hand SQL that computes
        # both daily series (the line above computes the services' only). Two GROUP BYs: DuckDB runs GROUPING
        # SETS over the allocation view 2-3x slower than the two apart.
        ("anomalies vs hand SQL of both scopes", "anomalies", {},
         "SELECT 'service' AS kind, ServiceName AS k, CAST(ChargePeriodStart AS DATE) AS d, sum(BilledCost) "
         "FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY ALL UNION ALL "
         "SELECT 'team', x_team, CAST(ChargePeriodStart AS DATE), sum(BilledCost) FROM charges_allocated "
         "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY ALL",
         [ts(TODAY - timedelta(days=86)), END] * 2),
        ("forecast total (30 days ahead)", "forecast", {},
         "SELECT CAST(ChargePeriodStart AS DATE) AS d, sum(BilledCost) FROM focus_charges "
         "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY d ORDER BY d",
         [ts(TODAY - timedelta(days=56)), END]),
    ]


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_questions(db: Path, repeat: int) -> list[tuple[str, float, float]]:
    from knowledge.store import open_store
    from tools.registry import run_tool

    os.environ["FINOPS_TODAY"] = TODAY.isoformat()
    out = []
    with open_store(db, read_only=True) as store:
        for label, tool, args, sql, params in cases(store.con):
            try:
                tool_ms = median_ms(lambda tool=tool, args=args: run_tool(store, tool, args), repeat)
            except Exception as exc:  # a tool that refuses this data: say so, keep going
                print(f"    {label}: {type(exc).__name__}: {str(exc)[:100]}")
                continue
            hand_ms = median_ms(lambda sql=sql, params=params: store.con.execute(sql, params).fetchall(), repeat)
            out.append((label, tool_ms, hand_ms))
    return out


# -- names ---------------------------------------------------------------------------------------------
_OLD_SCAN = ("SELECT DISTINCT Tags['team'], nullif(Tags['project'], ''), nullif(Tags['env'], ''), nullif(ServiceName, ''), "
             "nullif(ProviderName, ''), nullif(RegionId, ''), SubAccountName, SubAccountId, BillingAccountName, "
             "BillingAccountId, ResourceId, ResourceName FROM focus_charges")


def bench_names(db: Path, repeat: int) -> dict[str, float]:
    """The planner's name lookups for one question now (a fresh index per run: the CLI's cost), and the way
    they were read before the name index (one DISTINCT scan, every name folded in Python)."""
    from agent.entities import NameIndex, extract
    from knowledge.naming import fold
    from knowledge.store import open_store
    from tools.names import resolve

    with open_store(db, read_only=True) as store:
        con = store.con
        rid = con.execute("SELECT min(ResourceId) FROM focus_charges").fetchone()[0]
        question = f"who owns {rid}?"

        def now() -> None:
            index = NameIndex.read(con)
            extract(question, index)
            resolve(con, "resource", rid)

        def before() -> None:
            names: set[str] = set()
            for row in con.execute(_OLD_SCAN).fetchall():
                names.update(str(v) for v in row if v)
            folded = {fold(n): n for n in names}
            assert fold(rid) in folded

        return {"now_ms": median_ms(now, repeat), "before_ms": median_ms(before, max(1, repeat // 2))}


def cold_ask(db: Path, question: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "apps.cli.main", "ask", "--db", str(db), question], cwd=ROOT,
                             env=_env(), capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if res.returncode not in (0, 1):
            raise SystemExit(f"ask failed: {res.stderr[-500:]}")
    return statistics.median(times)


def approval_ms(db: Path, runs: int = 3) -> float:
    """An approval row written the way the Slack bot writes it (apps.slack.storelock.StoreAccess.write: a
    state-only write through the writer protocol)."""
    from apps.slack.storelock import StoreAccess

    access = StoreAccess(db)
    times = []
    for i in range(runs):
        t = time.perf_counter()
        access.write(lambda store, i=i: store.con.execute(
            "INSERT INTO approvals (estimate_id, decided_by, decision, ts, channel, note) "
            "VALUES (?, 'U123', 'approved', now(), 'C1', 'bench')", [f"bench-{i}"]))
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def questions_and_asks(db: Path, repeat: int, prefix: str) -> tuple[list[tuple[str, float, float]], dict[str, float]]:
    """The eight questions (tool against hand SQL) and two cold `finops ask`s on a store file or a lake."""
    print(f"  {prefix + 'question':42}  tool ms   hand ms   tool/hand")
    qs = bench_questions(db, repeat)
    for label, tool_ms, hand_ms in qs:
        print(f"  {label:42} {tool_ms:8.0f}  {hand_ms:8.0f}   {tool_ms / hand_ms:6.2f}x")
    rid = _first_resource(db)
    asks = {"spend": cold_ask(db, "how much did we spend by service last month?"),
            "who owns": cold_ask(db, f"who owns {rid}?")}
    print(f"  {prefix}finops ask, cold process: " + ", ".join(f"{k} {v:.2f} s" for k, v in asks.items()))
    return qs, asks


def run_lake(work: Path, csv: Path, rows: int, resources: int, repeat: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Ingest the CSV into a new lake and ask the same questions there."""
    root = work / f"lake_{resources}"
    ing = measure_load("ingest-lake", root, csv)
    print(f"  lake ingest {rows / ing['wall']:>9,.0f} rows/s ({ing['wall']:6.1f} s, {ing['cpu']:6.1f} CPU-s, peak RSS "
          f"{ing['rss_mb']:6,.0f} MB, {ing['db_mb']:,.0f} MB on disk)   lake/raw {raw['wall'] / ing['wall']:.2f}x wall")
    qs, asks = questions_and_asks(root, repeat, "lake ")
    appr = approval_ms(root)
    state = root / "state.duckdb"
    print(f"  lake Slack approval recorded (writer protocol): {appr:.0f} ms; state file "
          f"{state.stat().st_size / 1e6:,.1f} MB")
    shutil.rmtree(root, ignore_errors=True)
    return {"ingest": ing, "questions": qs, "asks": asks, "approval_ms": appr}


def _loads(work: Path, db: Path, csv: Path, rounds: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Raw DuckDB (auto types), the ingest and raw DuckDB into the store's own schema (benchmarks/ingest.py's
    raw-typed: the same casts, no checks), each a fresh process, taking turns `rounds` times; the run with
    the median wall time of each. Taking turns keeps a machine whose speed drifts from favouring one side."""
    runs: dict[str, list[dict[str, Any]]] = {"raw": [], "ingest": [], "raw-typed": []}
    for _ in range(rounds):
        for mode in runs:
            target = db if mode == "ingest" else work / f"{mode}.duckdb"
            runs[mode].append(measure_load(mode, target, csv))
            if mode != "ingest":
                target.unlink(missing_ok=True)
    pick = {m: sorted(r, key=lambda x: x["wall"])[len(r) // 2] for m, r in runs.items()}
    return pick["raw"], pick["ingest"], pick["raw-typed"]


def run_one(work: Path, rows: int, resources: int, repeat: int, keep: bool, lake: bool = False,
            rounds: int = 1) -> dict[str, Any]:
    csv = work / f"focus_{rows}_{resources}.csv"
    gen, distinct = generate(csv, rows, resources)
    print(f"\n{rows:,} rows, {distinct:,} distinct ResourceIds: {csv.stat().st_size / 1e6:,.0f} MB CSV "
          f"(generated in {gen:.1f} s); load average {os.getloadavg()[0]:.1f}")
    db = work / f"store_{resources}.duckdb"
    raw, ing, typed = _loads(work, db, csv, rounds)
    print(f"  ingest {rows / ing['wall']:>9,.0f} rows/s ({ing['wall']:6.1f} s, {ing['cpu']:6.1f} CPU-s, peak RSS "
          f"{ing['rss_mb']:6,.0f} MB)  phases " + ", ".join(f"{k} {v:.1f}" for k, v in ing["phases"].items()))
    for label, base in (("raw", raw), ("raw typed", typed)):
        print(f"  {label:9} {rows / base['wall']:>9,.0f} rows/s ({base['wall']:6.1f} s, {base['cpu']:6.1f} CPU-s, peak RSS "
              f"{base['rss_mb']:6,.0f} MB)   ingest/{label} {base['wall'] / ing['wall']:.2f}x wall, "
              f"{base['cpu'] / ing['cpu']:.2f}x CPU")
    qs, asks = questions_and_asks(db, repeat, "")
    names = bench_names(db, repeat)
    print(f"  names of one question: {names['now_ms']:.0f} ms (before the name index: {names['before_ms']:.0f} ms)")
    appr = approval_ms(db)
    print(f"  Slack approval recorded (writer protocol): {appr:.0f} ms; store {db.stat().st_size / 1e6:,.0f} MB")
    if not keep:
        db.unlink()
    lake_result = run_lake(work, csv, rows, resources, repeat, raw) if lake else None
    if not keep:
        csv.unlink()
    return {"rows": rows, "distinct": distinct, "ingest": ing, "raw": raw, "questions": qs, "names": names,
            "asks": asks, "approval_ms": appr, "lake": lake_result}


def _first_resource(db: Path) -> str:

    from knowledge.store import open_store

    with open_store(db, read_only=True) as store:
        return store.con.execute("SELECT min(ResourceId) FROM focus_charges").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--resources", type=int, action="append", help="distinct resources (repeatable)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--lake", action="store_true", help="also ingest into a Parquet lake and measure there")
    parser.add_argument("--rounds", type=int, default=1,
                        help="load the CSV this many times each way (raw, ingest, raw typed, taking turns); medians")
    args = parser.parse_args()
    import duckdb

    work = args.dir or Path(tempfile.mkdtemp(prefix="finops-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"duckdb {duckdb.__version__}, {os.cpu_count()} cores, work dir {work}")
    results = [run_one(work, args.rows, r, args.repeat, args.keep, args.lake, args.rounds)
               for r in (args.resources or [2000, 2_000_000])]
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(f"\n{b['distinct']:,} vs {a['distinct']:,} distinct resources: names "
              f"{b['names']['now_ms'] / a['names']['now_ms']:.2f}x, cold ask (who owns) "
              f"{b['asks']['who owns'] / a['asks']['who owns']:.2f}x, cold ask (spend) "
              f"{b['asks']['spend'] / a['asks']['spend']:.2f}x")
    if args.dir is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
