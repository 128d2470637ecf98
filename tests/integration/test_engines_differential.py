"""The engines' differential test (issue 22): every registry tool with representative arguments, and every
FOCUS use-case CostQuery (evals/focus_use_cases.yaml), run on DuckDB and on Spark local over the same lake;
results compared by value (exact decimals, the same order). Also each Spark override of
knowledge/engines/dialect.py run on both engines, and `finops ask ... --engine spark` against DuckDB.

One SparkSession for the whole file (a new session per lake shares its context: each lake's temporary views
stay apart). pyspark is in the test extra: without it this file fails, it does not skip. The table
tool x engine (equal / not) is printed at the end of the module and written to
$FINOPS_ENGINES_TABLE (default: the pytest temporary directory)."""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from pyspark.sql import SparkSession  # noqa: F401  (the test extra installs it: an ImportError fails the file)

from knowledge.engines import select_engine, use_engine
from knowledge.engines.spark import SparkEngine, spark_session
from knowledge.errors import FinopsError
from knowledge.ingest import ingest
from knowledge.store import Store, create_lake, open_store
from tests.cli import CliRunner
from tests.conftest import duckdb_connect
from tools.registry import registry, run_tool

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parents[1] / "data"
FOCUS_FILES = {"sample": DATA / "focus_sample_1000.csv.gz", "fixture": DATA / "focus12_fixture.csv"}
USE_CASES: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "evals" / "focus_use_cases.yaml").read_text("utf-8"))

# Representative arguments: each tool's defaults, and the groupings and filters the agent uses most.
TOOL_CASES: list[tuple[str, dict[str, Any]]] = [
    ("anomalies", {}),
    ("anomalies", {"scope": "service", "sensitivity": "high"}),
    ("budgets", {}),
    ("budgets", {"scope_kind": "team", "alerts_only": True}),
    ("estimate", {"gpu_type": "H100", "gpu_count": 8, "hours": 10}),
    ("explain_charge", {"amount": "17284.50", "period": "last 30 days"}),
    ("forecast", {}),
    ("forecast", {"scope": "team"}),
    ("job_runs", {}),
    ("job_runs", {"outcome": "discarded"}),
    ("llm_spend", {}),
    ("llm_spend", {"group_by": "app", "period": "last month"}),
    ("llm_spend", {"group_by": "day", "team": "support"}),
    ("prompt_audit", {}),
    ("query_costs", {"measures": ["billed_cost", "effective_cost"], "group_by": ["service_category"],
                     "period": "last month", "compare": "previous"}),
    ("query_costs", {"measures": ["billed_cost"], "group_by": ["team", "provider"], "period": "last 3 months", "top": 5}),
    ("reconcile", {}),
    ("remediations", {}),
    ("spend", {}),
    ("spend", {"group_by": "service", "period": "last month"}),
    ("spend", {"group_by": "day", "team": "research"}),
    ("spend", {"group_by": "resource", "provider": "AWS", "top": 5}),
    ("tag_audit", {}),
    ("unit_costs", {}),
    ("unit_costs", {"by": "model"}),
    ("waste", {}),
    ("who_owns", {"resource": "inference cluster"}),
    ("who_owns", {"resource": "arn:aws:s3:::acme-research-datasets"}),
]


@dataclass
class Row:
    tool: str
    case: str
    equal: bool
    detail: str = ""


ROWS: list[Row] = []


# -- fixtures: one session, one engine per lake ----------------------------------------------------------
# The lakes here are small: the cost of this file is the JVM's own work (JIT compiling, GC, a task per
# partition), not the data. So Spark runs on one core with one partition per shuffle, without adaptive query
# execution (its re-planning at every shuffle costs more than it saves on a few thousand rows: this file
# 103 s -> 87 s), and without compressing shuffle and broadcast blocks that never leave the machine. The JVM
# compiles with its quick compiler (C1) only, on one compiler thread, with one GC thread and a fixed 1 GB
# heap with a 600 MB young generation (by default the heap starts at 1/64 of the RAM and grows). Expressions
# and plans are evaluated by Spark's interpreter instead of being compiled to Java and then to bytecode per
# query (whole-stage codegen off, the expression factory in NO_CODEGEN mode, the mode Spark's own tests run
# beside codegen): on a few thousand rows compiling costs more than it saves (this file 97 -> 91 CPU-s).
# The engine, its SESSION_CONF and every query are the product's; none of this changes a result. JVM CPU
# for the 28 tool cases (quiet machine): 59 s -> 47 s with the compression, compiler-thread and heap settings; the C1/serial-GC flags before them had taken the file's JVM CPU from 167 s to 85 s.
SPARK_TEST_CONF = {
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.shuffle.compress": "false",
    "spark.shuffle.spill.compress": "false",
    "spark.broadcast.compress": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC "
                                     "-XX:-UsePerfData -Xms1g -Xmn600m",
}


@pytest.fixture(scope="module", autouse=True)
def default_gc_thresholds() -> Iterator[None]:
    """py4j frees a JVM object when its Python proxy is collected, and proxies caught in reference cycles wait
    for the cyclic collector. Under the session's larger young generation (tests/conftest.py) the JVM held many
    more objects alive and worked harder (this file 94 -> 105 CPU-s), so this module runs with the defaults."""
    old = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*old)


@pytest.fixture(scope="module")
def spark() -> Any:
    return spark_session("local[1]", conf=SPARK_TEST_CONF)


@dataclass
class Lake:
    store: Store
    engine: SparkEngine


def _lake(spark: Any, root: Path, source: Path) -> Lake:
    create_lake(root, source)
    store = open_store(root, read_only=True)
    return Lake(store, SparkEngine.from_store(store, spark=spark.newSession()))


@pytest.fixture(scope="module")
def demo_lake(spark: Any, demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    lake = _lake(spark, tmp_path_factory.mktemp("engines") / "demo", demo_db)
    yield lake
    lake.engine.close()
    lake.store.close()


@pytest.fixture(scope="module")
def focus_lakes(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Lake]]:
    root = tmp_path_factory.mktemp("engines_focus")
    lakes = {}
    for name, path in FOCUS_FILES.items():
        ingest(root / f"{name}.duckdb", "focus", [path])
        lakes[name] = _lake(spark, root / name, root / f"{name}.duckdb")
    yield lakes
    for lake in lakes.values():
        lake.engine.close()
        lake.store.close()


@pytest.fixture(scope="module", autouse=True)
def table(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Print (and write) the table tool x engine: every row."""
    yield
    lines = ["| tool | case | duckdb | spark |", "|---|---|---|---|"]
    lines += [f"| {r.tool} | {r.case} | reference | {'equal' if r.equal else 'NOT EQUAL: ' + r.detail[:200]} |"
              for r in ROWS]
    lines.append(f"\n{sum(r.equal for r in ROWS)} of {len(ROWS)} rows equal")
    text = "\n".join(lines)
    import os

    out = Path(os.environ.get("FINOPS_ENGINES_TABLE") or tmp_path_factory.getbasetemp() / "engines_differential.md")
    out.write_text(text + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():    # shown with -q too, not only as captured output
            reporter.write_line(f"\nengines differential table ({out}):")
            for line in lines:
                reporter.write_line(line)


# -- comparing by value ---------------------------------------------------------------------------------
def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where `a` and `b` differ: exact for decimals, ints, strings, dates; floats to 1e-9 relative (a DOUBLE
    sum depends on the order rows are added); lists in order."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        same = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
        return [] if same else [f"{path}: {a!r} vs {b!r}"]
    if type(a) is not type(b) and not (isinstance(a, Decimal | int) and isinstance(b, Decimal | int)):
        return [f"{path}: {type(a).__name__} {a!r} vs {type(b).__name__} {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def outcome(store: Store, engine: SparkEngine | None, tool: str, args: dict[str, Any]) -> Any:
    """The tool's result without its evidence (timings differ), or its typed error."""
    use_engine(store, engine)
    try:
        result = run_tool(store, tool, args)
    except FinopsError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    finally:
        use_engine(store, None)
    assert result.evidence is not None and (engine is None or result.evidence.sql), "the tool ran no SQL"
    return {"result": result.model_dump(mode="python", exclude={"evidence"}), "summary": result.summary()}


def compare(lake: Lake, tool: str, args: dict[str, Any], case: str) -> None:
    reference = outcome(lake.store, None, tool, args)
    on_spark = outcome(lake.store, lake.engine, tool, args)
    found = differences(reference, on_spark)
    refused = f" (both refuse: {reference['error']})" if "error" in reference else ""
    ROWS.append(Row(tool, case + refused, not found, "; ".join(found[:3])))
    assert not found, f"{tool} {case}: Spark differs from DuckDB: {found[:10]}"


# -- the tools ------------------------------------------------------------------------------------------
def test_every_registry_tool_has_a_case() -> None:
    assert {t for t, _ in TOOL_CASES} == set(registry.names())


@pytest.mark.parametrize(("tool", "args"), TOOL_CASES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(TOOL_CASES)])
def test_tool_same_on_both_engines(demo_lake: Lake, tool: str, args: dict[str, Any]) -> None:
    compare(demo_lake, tool, args, ", ".join(f"{k}={v}" for k, v in args.items()) or "defaults")


# -- the FOCUS use cases --------------------------------------------------------------------------------
def _use_case_checks() -> list[Any]:
    return [pytest.param(uid, i, id=f"{uid}-{i}") for uid, case in USE_CASES.items()
            for i, check in enumerate(case.get("checks") or []) if check.get("query")]


@pytest.mark.parametrize(("uid", "index"), _use_case_checks())
def test_focus_use_case_same_on_both_engines(focus_lakes: dict[str, Lake], uid: str, index: int) -> None:
    check = USE_CASES[uid]["checks"][index]
    compare(focus_lakes[check["data"]], "query_costs", check["query"], f"use case {uid} #{index} ({check['data']})")


# -- each Spark override, on both engines ---------------------------------------------------------------
VALUES = ("(VALUES (1, 'a', 2.5::DECIMAL(18,4), DATE '2026-10-03', MAP(['team'], ['x'])),"
          " (2, NULL, 7.25::DECIMAL(18,4), DATE '2026-10-09', MAP(['env'], ['prod'])),"
          " (3, 'c', NULL, DATE '2026-11-30', MAP(['team'], [''])),"
          " (4, 'b', 1.0::DECIMAL(18,4), DATE '2026-10-31', NULL)) AS t(i, s, d, day, tags)")
OVERRIDE_CASES = {
    "percentile (exact)": f"SELECT quantile_cont(i, 0.25) AS p25, quantile_cont(i, 0.9) AS p90 FROM {VALUES}",
    "arg_max / arg_min over NULLs": f"SELECT arg_max(s, i) AS hi, arg_min(s, d) AS lo FROM {VALUES}",
    "map access and map_contains": f"SELECT i, tags['team'] AS team, map_contains(tags, 'env') AS has_env FROM {VALUES} ORDER BY i",
    "DECIMAL division": f"SELECT i, d / 3 AS third, sum(d) OVER () / count(*) OVER () AS avg FROM {VALUES} ORDER BY i",
    "DECIMAL product (exact scale)": "SELECT sum(n * p) AS cost FROM (VALUES (123456789::BIGINT, 0.000001234567891234::DECIMAL(38,18)),"
                                     " (987654321::BIGINT, 0.000000000000000123::DECIMAL(38,18))) AS x(n, p)",
    "string_agg ordered": f"SELECT string_agg(s, ', ' ORDER BY s) AS names FROM {VALUES}",
    "generate_series": "SELECT d FROM generate_series(DATE '2026-10-30', DATE '2026-11-02', INTERVAL 1 DAY) AS g(d) ORDER BY d",
    "epoch": "SELECT epoch(TIMESTAMP '2026-10-01 12:00:00.5') AS e",
    "date_trunc of a date": f"SELECT i, date_trunc('month', CAST(day AS DATE)) AS m FROM {VALUES} ORDER BY i",
    "regexp_full_match": f"SELECT i, regexp_full_match(coalesce(s, ''), '[a-b]+') AS ok FROM {VALUES} ORDER BY i",
    "x = ANY (subquery)": f"SELECT i FROM {VALUES} WHERE (i = ANY(SELECT 2 UNION ALL SELECT 4)) ORDER BY i",
    "LIKE as ~~": f"SELECT i FROM {VALUES} WHERE (s ~~ 'a%') ORDER BY i",
    "division by zero (inf, NaN)": "SELECT 1 / 0 AS x, -1.5::DECIMAL(18,2) / 0 AS y, 0 / 0 AS z, 4 / 2 AS w",
    "ORDER BY: NULLs last": f"SELECT s FROM {VALUES} ORDER BY s, i",
    "parameters": "SELECT ? AS s, ? AS d, ? AS day, ? AS ts",
    "date_diff (boundaries)": "SELECT date_diff('month', DATE '2026-10-31', DATE '2026-11-01') AS mo, "
                              "date_diff('day', TIMESTAMP '2026-10-01 23:00', TIMESTAMP '2026-10-02 01:00') AS d, "
                              "date_diff('second', TIMESTAMP '2026-10-01 00:00:00.9', TIMESTAMP '2026-10-01 00:00:01.1') AS s, "
                              "date_diff('hour', TIMESTAMP '2026-10-01 00:59', TIMESTAMP '2026-10-01 01:01') AS h, "
                              "date_diff('year', DATE '2025-12-31', DATE '2026-01-01') AS y",
    "day of week": f"SELECT i, extract(dow FROM day) AS w, dayofweek(day) AS d FROM {VALUES} ORDER BY i",
    "strftime": f"SELECT i, strftime(day, '%Y-%m') AS m, strftime(CAST(day AS TIMESTAMP), '%Y-%m-%d %H:%M') AS s FROM {VALUES} ORDER BY i",
    "backslashes": "SELECT 'a\\b' AS s, 'a_b' LIKE 'a\\_b' ESCAPE '\\' AS esc, regexp_full_match('12', '\\d+') AS re",
}
OVERRIDE_PARAMS: dict[str, list[Any]] = {"parameters": ["it's", Decimal("12.340"), "2026-10-01", "2026-10-01 12:30:00"]}


@pytest.mark.parametrize("name", list(OVERRIDE_CASES))
def test_override_same_on_both_engines(demo_lake: Lake, name: str) -> None:
    sql, params = OVERRIDE_CASES[name], OVERRIDE_PARAMS.get(name, [])
    if name == "parameters":
        from datetime import date, datetime

        params = [params[0], params[1], date(2026, 10, 1), datetime(2026, 10, 1, 12, 30)]
    con = duckdb_connect()
    try:
        cur = con.execute(sql, params)
        reference = {"columns": [d[0] for d in cur.description], "rows": [list(r) for r in cur.fetchall()]}
    finally:
        con.close()
    columns, rows = demo_lake.engine.execute(sql, params)
    found = differences(reference, {"columns": columns, "rows": [list(r) for r in rows]})
    ROWS.append(Row("(dialect override)", name, not found, "; ".join(found[:3])))
    assert not found, f"{name}: {found}"


# -- finops ask --engine spark ----------------------------------------------------------------------------
_MS = re.compile(r"\d[\d,]* ms")


def test_engine_spark_needs_a_lake(demo_db: Path) -> None:
    from apps.cli.main import app

    try:
        out = CliRunner().invoke(app, ["ask", "spend last month", "--db", str(demo_db), "--engine", "spark"])
        bad = CliRunner().invoke(app, ["ask", "spend last month", "--db", str(demo_db), "--engine", "oracle"])
    finally:
        select_engine(None)
    assert out.exit_code == 2 and "reads a Parquet lake: pass --lake DIR" in out.output
    assert bad.exit_code == 2 and "--engine must be one of duckdb, spark" in bad.output


def test_ask_prints_the_same_answer_on_spark(demo_lake: Lake) -> None:
    from apps.cli.main import app

    question, lake = "spend by service category last month", str(demo_lake.store.lake)
    runner = CliRunner()
    try:
        duck = runner.invoke(app, ["ask", question, "--lake", lake, "--planner", "offline"])
        on_spark = runner.invoke(app, ["ask", question, "--lake", lake, "--planner", "offline", "--engine", "spark"])
    finally:
        select_engine(None)
    assert duck.exit_code == 0 and on_spark.exit_code == 0, (duck.output, on_spark.output)
    assert "$" in duck.stdout
    figures = re.findall(r"-?\$[\d,]+\.\d\d", duck.stdout)
    assert figures and figures == re.findall(r"-?\$[\d,]+\.\d\d", on_spark.stdout)
    assert _MS.sub("N ms", duck.stdout) == _MS.sub("N ms", on_spark.stdout)
    ROWS.append(Row("finops ask", question, True))
