"""knowledge/engines/dialect.py: parameters bound as literals, and one test per Spark override (the text it
writes; tests/integration/test_engines_differential.py runs each one on DuckDB and on Spark and compares the
values). Transpile-only checks for Trino and Athena (no engine here)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlglot

from knowledge.engines.dialect import OVERRIDES, UnsupportedSql, bind, transpile


def spark(sql: str, *params: object) -> str:
    return transpile(sql, params, "spark")


# -- parameters ---------------------------------------------------------------------------------------
def test_parameters_are_bound_in_textual_order_as_typed_literals() -> None:
    out = bind("SELECT ? AS a, '?' AS q, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f",
               ["it's", Decimal("1.50"), date(2026, 10, 1), datetime(2026, 10, 1, 12, 30), [1, 2], None])
    assert out == ("SELECT 'it''s' AS a, '?' AS q, 1.50 AS b, CAST('2026-10-01' AS DATE) AS c, "
                   "CAST('2026-10-01 12:30:00' AS TIMESTAMP) AS d, [1, 2] AS e, NULL AS f")


def test_a_parameter_cannot_inject_sql() -> None:
    out = spark("SELECT * FROM t WHERE name = ?", "x' OR '1'='1")
    assert out == "SELECT * FROM t WHERE name = 'x\\' OR \\'1\\'=\\'1'"
    assert sqlglot.parse_one(out, read="spark").find(sqlglot.exp.Or) is None


def test_placeholder_count_must_match() -> None:
    with pytest.raises(UnsupportedSql):
        bind("SELECT ?, ?", [1])


def test_unbindable_values_are_refused() -> None:
    with pytest.raises(UnsupportedSql):
        bind("SELECT ?", [float("nan")])
    with pytest.raises(UnsupportedSql):
        bind("SELECT ?", [object()])


# -- one test per Spark override ------------------------------------------------------------------------
def test_percentiles_are_exact() -> None:
    assert spark("SELECT quantile_cont(x, 0.95) FROM t") == "SELECT PERCENTILE(x, 0.95) FROM t"
    with pytest.raises(UnsupportedSql):
        spark("SELECT approx_quantile(x, 0.5) FROM t")


def test_arg_max_keeps_duckdb_null_semantics() -> None:
    assert spark("SELECT arg_max(a, b), arg_min(a, b) FROM t") == (
        "SELECT MAX_BY(a, CASE WHEN NOT a IS NULL THEN b END), MIN_BY(a, CASE WHEN NOT a IS NULL THEN b END) FROM t")


def test_like_as_duckdb_stores_it_in_views() -> None:
    assert spark("SELECT 1 FROM t WHERE (a ~~ b)") == "SELECT 1 FROM t WHERE (a LIKE b)"


def test_map_access_and_map_contains() -> None:
    assert spark("SELECT Tags['team'], map_contains(Tags, 'env') FROM t") == (
        "SELECT TRY_ELEMENT_AT(Tags, 'team'), MAP_CONTAINS_KEY(Tags, 'env') FROM t")


def test_division_is_double_as_in_duckdb() -> None:
    assert spark("SELECT a / 3600 FROM t") == "SELECT CAST(a AS DOUBLE) / 3600 FROM t"
    assert spark("SELECT a / b FROM t") == (
        "SELECT CASE WHEN b = 0 THEN CAST(a AS DOUBLE) * CAST('Infinity' AS DOUBLE) ELSE CAST(a AS DOUBLE) / b END FROM t")


def test_string_agg() -> None:
    assert spark("SELECT string_agg(a, ', ') FROM t") == "SELECT ARRAY_JOIN(COLLECT_LIST(a), ', ') FROM t"
    assert spark("SELECT string_agg(a, ', ' ORDER BY a) FROM t") == (
        "SELECT ARRAY_JOIN(ARRAY_SORT(COLLECT_LIST(a)), ', ') FROM t")
    with pytest.raises(UnsupportedSql):
        spark("SELECT string_agg(a, ', ' ORDER BY b) FROM t")


def test_generate_series() -> None:
    assert spark("SELECT d FROM generate_series(DATE '2026-10-01', DATE '2026-10-03', INTERVAL 1 DAY) AS s(d)") == (
        "SELECT d FROM (SELECT EXPLODE(SEQUENCE(CAST(CAST('2026-10-01' AS DATE) AS TIMESTAMP), "
        "CAST(CAST('2026-10-03' AS DATE) AS TIMESTAMP), INTERVAL '1' DAY)) AS d) AS s")


def test_epoch_keeps_fractions() -> None:
    assert spark("SELECT epoch(ts) FROM t") == (
        "SELECT CAST(UNIX_MICROS(CAST(ts AS TIMESTAMP)) AS DOUBLE) / 1000000 FROM t")


def test_date_trunc_of_a_date_stays_a_date() -> None:   # sqlglot's own rewrite, checked: Spark's trunc is a DATE
    assert spark("SELECT date_trunc('month', CAST(ts AS DATE)) FROM t") == "SELECT TRUNC(CAST(ts AS DATE), 'month') FROM t"


def test_regexp_full_match_is_anchored() -> None:
    assert spark("SELECT regexp_full_match(v, '[a-z]+') FROM t") == "SELECT v RLIKE '^(?:[a-z]+)$' FROM t"


def test_any_subquery_is_in() -> None:
    assert spark("SELECT 1 FROM t WHERE (p = ANY(SELECT DISTINCT p FROM u))") == (
        "SELECT 1 FROM t WHERE (p IN (SELECT DISTINCT p FROM u))")


def test_temp_table_is_a_temporary_view() -> None:
    assert spark("CREATE TEMP TABLE x AS SELECT 1 AS a") == "CREATE OR REPLACE TEMPORARY VIEW x AS SELECT 1 AS a"


def test_over_as_a_name_is_quoted() -> None:
    assert spark("WITH over AS (SELECT 1 AS x) SELECT over.x, row_number() OVER (ORDER BY x) FROM over") == (
        "WITH `over` AS (SELECT 1 AS x) SELECT `over`.x, ROW_NUMBER() OVER (ORDER BY x NULLS LAST) FROM `over`")


def test_materialized_cte_hint_is_dropped_and_a_name_materialized_is_kept() -> None:
    assert spark("WITH c AS MATERIALIZED (SELECT 1 AS materialized) SELECT materialized FROM c") == (
        "WITH c AS (SELECT 1 AS materialized) SELECT materialized FROM c")
    assert bind("WITH c AS MATERIALIZED (SELECT ? AS x) SELECT x FROM c", [1]) == (
        "WITH c AS  (SELECT 1 AS x) SELECT x FROM c")


def test_date_diff_counts_boundaries() -> None:
    assert spark("SELECT date_diff('day', a, b) FROM t") == "SELECT DATEDIFF(CAST(b AS DATE), CAST(a AS DATE)) FROM t"
    assert spark("SELECT date_diff('month', a, b) FROM t") == (
        "SELECT ((YEAR(b) * 12 + MONTH(b)) - (YEAR(a) * 12 + MONTH(a))) FROM t")
    assert spark("SELECT date_diff('second', a, b) FROM t") == (
        "SELECT UNIX_SECONDS(CAST(DATE_TRUNC('second', b) AS TIMESTAMP)) - "
        "UNIX_SECONDS(CAST(DATE_TRUNC('second', a) AS TIMESTAMP)) FROM t")
    with pytest.raises(UnsupportedSql):
        spark("SELECT date_diff('week', a, b) FROM t")


def test_day_of_week_starts_at_zero() -> None:
    assert spark("SELECT extract(dow FROM d), dayofweek(d) FROM t") == "SELECT (DAYOFWEEK(d) - 1), (DAYOFWEEK(d) - 1) FROM t"


def test_backslashes_stay_themselves() -> None:
    assert spark("SELECT 'a\\b', x ILIKE ? ESCAPE '\\' FROM t", "50\\%") == (
        "SELECT 'a\\\\b', x ILIKE '50\\\\%' ESCAPE '\\\\' FROM t")


def test_every_override_has_a_test_here() -> None:
    tested = {"_spark_temp_table", "_spark_any", "_spark_regex", "_spark_percentile", "_spark_arg_max", "_spark_like",
              "_spark_maps", "_spark_division", "_spark_string_agg", "_spark_generate_series", "_spark_epoch",
              "_spark_date_diff", "_spark_day_of_week", "_spark_backslashes"}
    assert {f.__name__ for f in OVERRIDES["spark"]} == tested


# -- transpile-only: Trino and Athena ----------------------------------------------------------------------
# The shape of the semantic compiler's output (knowledge/semantic/compiler.py): FILTER aggregates, a window,
# ILIKE, date_trunc, ORDER BY with tie-breakers, parameters.
COMPILED = """
WITH base AS (
    SELECT ServiceCategory AS k0, BilledCost, ChargePeriodStart >= ? AS cur
    FROM charges_allocated
    WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ? AND ProviderName ILIKE ?
)
SELECT k0, sum(BilledCost) FILTER (WHERE cur) AS billed_cost, sum(BilledCost) FILTER (WHERE NOT cur) AS previous,
       CAST(date_trunc('month', min(ChargePeriodStart)) AS DATE) AS first_month,
       row_number() OVER (ORDER BY sum(BilledCost) DESC, k0) AS rank
FROM base GROUP BY k0 ORDER BY billed_cost DESC NULLS LAST, k0
"""
PARAMS = (datetime(2026, 10, 1), datetime(2026, 9, 1), datetime(2026, 11, 1), "%AWS%")


@pytest.mark.parametrize("dialect", ["trino", "athena"])
def test_tool_sql_transpiles_to_trino_and_athena(dialect: str) -> None:
    out = transpile(COMPILED, PARAMS, dialect)
    assert "?" not in out
    assert "ChargePeriodStart >= CAST('2026-09-01 00:00:00' AS TIMESTAMP)" in out
    assert "SUM(BilledCost) FILTER(WHERE cur) AS billed_cost" in out
    assert "LOWER(ProviderName) LIKE LOWER('%AWS%')" in out   # ILIKE: both sides lowered
    assert out.endswith("ORDER BY billed_cost DESC, k0")      # Trino sorts NULLs last, as DuckDB
    sqlglot.parse_one(out, read="trino")   # Trino's parser takes it back


@pytest.mark.parametrize("dialect", ["trino", "athena"])
def test_view_like_is_like_on_trino(dialect: str) -> None:
    assert transpile("SELECT 1 FROM t WHERE (a ~~ b)", (), dialect) == "SELECT 1 FROM t WHERE (a LIKE b)"
