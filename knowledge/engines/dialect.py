"""SQL written once (DuckDB's dialect, `?` parameters) for another engine: parameters bound as literals, then
sqlglot's transpiler, then the few per-dialect overrides this module owns (docs/engines.md). Each override
has a test (tests/unit/test_engine_dialect.py); nothing else in the product rewrites SQL for an engine.

Overrides for Spark (what sqlglot 18 gets wrong or changes silently):
- percentiles: `quantile_cont`/`percentile_cont(x, q)` -> `percentile(x, q)` (exact, linear interpolation,
  as DuckDB; never `percentile_approx`);
- `arg_max`/`arg_min`: DuckDB skips rows whose value is NULL, Spark's `max_by` does not;
- `a ~~ b` (how DuckDB stores LIKE in view definitions) is LIKE, not a regex on `~b`;
- `map['k']` -> `try_element_at(map, 'k')` (NULL for a missing key, whatever the ANSI mode) and
  `map_contains` -> `map_contains_key`;
- `/` is DOUBLE division as in DuckDB, x/0 is +-inf (Spark keeps DECIMAL with a rounded scale; x/0 is NULL);
- `string_agg(x, sep [ORDER BY x])` -> `array_join([array_sort](collect_list(x)), sep)`;
- `generate_series(a, b, step) AS t(c)` -> `(SELECT explode(sequence(a, b, step)) AS c) AS t` (TIMESTAMPs for
  an INTERVAL step, as DuckDB);
- `epoch(ts)` -> seconds with their fraction (Spark's `unix_timestamp` truncates);
- `date_diff(unit, a, b)` counts unit boundaries as DuckDB does (Spark's counts whole units elapsed);
- `extract(dow ...)`/`dayofweek` is 0 (Sunday) .. 6 as in DuckDB (Spark's is 1 .. 7);
- (not an override: `date_trunc(unit, CAST(x AS DATE))` is already Spark's `trunc`, a DATE; of a DATE column
  Spark returns a TIMESTAMP, so tools write `CAST(date_trunc(...) AS DATE)`, docs/architecture.md);
- `regexp_full_match(s, p)` -> `s RLIKE '^(?:p)$'` (Spark's RLIKE finds a match anywhere);
- `x = ANY (SELECT ...)` (how DuckDB stores `x IN (SELECT ...)` in views) -> `x IN (SELECT ...)`;
- `CREATE TEMP TABLE t AS q` -> `CREATE OR REPLACE TEMPORARY VIEW t AS q`;
- a backslash in a string literal is doubled (Spark reads backslash escapes; DuckDB does not).

For Trino/Athena (transpile-only, docs/engines.md): LIKE and `= ANY` as above, and `a ILIKE p` ->
`lower(a) LIKE lower(p)` (sqlglot lowers only `a`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

SQLGLOT_VERSION = sqlglot.__version__
READ = "duckdb"
# Transpile-only targets (docs/engines.md): Athena (engine v3) speaks Trino's SQL; sqlglot 18 has no
# separate Athena dialect.
DIALECTS = {"spark": "spark", "trino": "trino", "athena": "trino"}


class UnsupportedSql(ValueError):
    """A construct this module cannot carry to the target dialect with the same meaning."""


# -- parameters ---------------------------------------------------------------------------------------

def literal(value: Any) -> exp.Expression:
    """A SQL literal for one bound parameter, typed as DuckDB binds it."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnsupportedSql(f"cannot bind the float {value!r} as a literal")
        return exp.Cast(this=exp.Literal.number(repr(value)), to=exp.DataType.build("DOUBLE"))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise UnsupportedSql(f"cannot bind the decimal {value!r} as a literal")
        return exp.Literal.number(format(value, "f"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise UnsupportedSql("timestamps are naive UTC; got one with a time zone")
        return exp.Cast(this=exp.Literal.string(value.isoformat(sep=" ")), to=exp.DataType.build("TIMESTAMP"))
    if isinstance(value, date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    raise UnsupportedSql(f"cannot bind a parameter of type {type(value).__name__}")


def bind(sql: str, params: Sequence[Any]) -> str:
    """`sql` with each `?` (a placeholder token, not one inside a string) replaced by its parameter as a
    DuckDB literal, in textual order; `over` used as a name (a CTE `over AS (...)`, which DuckDB allows
    and sqlglot 18 reads as the window keyword) quoted; and a CTE's `AS MATERIALIZED (` written `AS (`
    (a hint to DuckDB's planner, same result; sqlglot 18 cannot parse it)."""
    tokens = sqlglot.Dialect.get_or_raise(READ)().tokenize(sql)
    placeholders = sum(1 for t in tokens if t.token_type == TokenType.PLACEHOLDER and t.text == "?")
    if placeholders != len(params):
        raise UnsupportedSql(f"{placeholders} placeholder(s) but {len(params)} parameter(s)")
    out, at, values = [], 0, iter(params)
    for i, token in enumerate(tokens):
        following = tokens[i + 1].token_type if i + 1 < len(tokens) else None
        if token.token_type == TokenType.PLACEHOLDER and token.text == "?":
            text = literal(next(values)).sql(READ)
        elif token.token_type == TokenType.OVER and following != TokenType.L_PAREN:
            text = '"over"'
        elif (token.token_type == TokenType.VAR and token.text.upper() == "MATERIALIZED" and i > 0
              and tokens[i - 1].token_type == TokenType.ALIAS and following == TokenType.L_PAREN):
            text = ""
        else:
            continue
        out.append(sql[at:token.start])
        out.append(text)
        at = token.end + 1
    out.append(sql[at:])
    return "".join(out)


# -- overrides ----------------------------------------------------------------------------------------

def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _spark_percentile(node: exp.Expression) -> exp.Expression:
    if isinstance(node, (exp.PercentileCont, exp.Quantile)) and node.args.get("expression") is not None:
        return _fn("percentile", node.this, node.args["expression"])
    if isinstance(node, exp.ApproxQuantile):
        raise UnsupportedSql("approximate percentiles differ between engines; use quantile_cont")
    return node


def _spark_arg_max(node: exp.Expression) -> exp.Expression:
    # DuckDB: arg_max(a, b) looks only at rows where a IS NOT NULL (and b IS NOT NULL); Spark's max_by takes
    # the row of the greatest b even when its a is NULL. Hide b on the rows DuckDB skips.
    if isinstance(node, (exp.ArgMax, exp.ArgMin)):
        hidden = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=node.this.copy(), expression=exp.Null())),
                                      true=node.args["expression"])])
        return _fn("max_by" if isinstance(node, exp.ArgMax) else "min_by", node.this, hidden)
    return node


def _spark_like(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.RegexpLike) and isinstance(node.expression, exp.BitwiseNot):
        return exp.Like(this=node.this, expression=node.expression.this)
    return node


def _spark_maps(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Literal) \
            and node.expressions[0].is_string:
        return _fn("try_element_at", node.this, node.expressions[0])
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "map_contains":
        return _fn("map_contains_key", *node.expressions)
    return node


def _spark_division(node: exp.Expression) -> exp.Expression:
    # DuckDB's `/` is DOUBLE division (of DECIMALs too) and x/0 is +-inf (0/0 NaN); Spark keeps a DECIMAL
    # (rounded scale) and x/0 is NULL.
    if isinstance(node, exp.Div) and not node.args.get("_double"):
        numerator = exp.Cast(this=node.this, to=exp.DataType.build("DOUBLE"))
        divisor = node.expression
        out: exp.Expression = exp.Div(this=numerator, expression=divisor)
        out.set("_double", True)
        if not (isinstance(divisor, exp.Literal) and not divisor.is_string and float(divisor.this) != 0):
            infinite = exp.Mul(this=numerator.copy(), expression=exp.Cast(this=exp.Literal.string("Infinity"),
                                                                          to=exp.DataType.build("DOUBLE")))
            out = exp.Case(ifs=[exp.If(this=exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0)),
                                       true=infinite)], default=out)
        return out
    return node


def _spark_string_agg(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.GroupConcat):
        return node
    value, sep = node.this, node.args.get("separator")
    collected = _fn("collect_list", value)
    if isinstance(sep, exp.Order):
        keys = sep.expressions
        if len(keys) != 1 or keys[0].this != value or keys[0].args.get("desc"):
            raise UnsupportedSql("string_agg ... ORDER BY is portable only ordered by its own value, ascending")
        collected, sep = _fn("array_sort", collected), sep.this
    return _fn("array_join", collected, sep if sep is not None else exp.Literal.string(","))


def _spark_generate_series(node: exp.Expression) -> exp.Expression:
    if not (isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries)):
        return node
    series, alias = node.this, node.args.get("alias")
    columns = alias.columns if alias is not None else []
    column = columns[0].name if columns else "generate_series"
    args = [series.args[k] for k in ("start", "end", "step") if series.args.get(k) is not None]
    if len(args) == 3 and isinstance(args[2], exp.Interval):   # DuckDB: a series of dates is of TIMESTAMPs
        args[:2] = [exp.Cast(this=a, to=exp.DataType.build("TIMESTAMP")) for a in args[:2]]
    select = exp.select(exp.alias_(_fn("explode", _fn("sequence", *args)), column))
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias.name if alias else "t")))


def _spark_epoch(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.TimeToUnix):
        micros = _fn("unix_micros", exp.Cast(this=node.this, to=exp.DataType.build("TIMESTAMP")))
        out = exp.Div(this=exp.Cast(this=micros, to=exp.DataType.build("DOUBLE")), expression=exp.Literal.number(1000000))
        out.set("_double", True)
        return out
    return node


def _spark_regex(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "regexp_full_match" and len(node.expressions) == 2:
        value, pattern = node.expressions
        anchored: exp.Expression = (exp.Literal.string(f"^(?:{pattern.this})$") if isinstance(pattern, exp.Literal)
                                    else exp.DPipe(this=exp.DPipe(this=exp.Literal.string("^(?:"), expression=pattern),
                                                   expression=exp.Literal.string(")$")))
        return exp.RegexpLike(this=value, expression=anchored)
    return node


def _spark_any(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        query = node.expression.this
        query = query.this if isinstance(query, exp.Subquery) else query
        if isinstance(query, (exp.Select, exp.Union)):
            return exp.In(this=node.this, query=exp.Subquery(this=query))
    return node


_SECONDS = {"second": 1, "minute": 60, "hour": 3600}


def _spark_date_diff(node: exp.Expression) -> exp.Expression:
    # DuckDB's date_diff counts unit boundaries crossed (2026-10-31 -> 2026-11-01 is 1 month); Spark's
    # datediff(unit, ...) counts whole units elapsed (0 months). Write the boundary count.
    if not isinstance(node, exp.DateDiff) or node.args.get("unit") is None:
        return node
    unit, end, start = node.args["unit"].name.lower(), node.this, node.expression

    def f(name: str, *args: exp.Expression) -> exp.Expression:
        return _fn(name, *(a.copy() for a in args))

    if unit == "day":
        return f("datediff", exp.Cast(this=end, to=exp.DataType.build("DATE")),
                 exp.Cast(this=start, to=exp.DataType.build("DATE")))
    if unit in ("month", "year", "quarter"):
        def months(x: exp.Expression) -> exp.Expression:
            return exp.Paren(this=exp.Add(this=exp.Mul(this=f("year", x), expression=exp.Literal.number(12)),
                                          expression=f("month", x)))
        if unit == "year":
            return exp.Sub(this=f("year", end), expression=f("year", start))
        if unit == "quarter":
            def quarters(x: exp.Expression) -> exp.Expression:
                return exp.Paren(this=exp.Add(this=exp.Mul(this=f("year", x), expression=exp.Literal.number(4)),
                                              expression=f("quarter", x)))
            return exp.Paren(this=exp.Sub(this=quarters(end), expression=quarters(start)))
        return exp.Paren(this=exp.Sub(this=months(end), expression=months(start)))
    if unit in _SECONDS:
        def seconds(x: exp.Expression) -> exp.Expression:
            return f("unix_seconds", exp.Cast(this=_fn("date_trunc", exp.Literal.string(unit), x.copy()),
                                              to=exp.DataType.build("TIMESTAMP")))
        diff = exp.Sub(this=seconds(end), expression=seconds(start))
        return diff if unit == "second" else _fn("floor", exp.Div(this=exp.Paren(this=diff),
                                                                   expression=exp.Literal.number(_SECONDS[unit])))
    raise UnsupportedSql(f"date_diff('{unit}', ...) has no override to Spark; use day, month, quarter, year, hour, "
                         "minute or second")


def _spark_day_of_week(node: exp.Expression) -> exp.Expression:
    # DuckDB: dayofweek / extract(dow) is 0 (Sunday) .. 6; Spark's is 1 (Sunday) .. 7.
    value = None
    if isinstance(node, exp.Extract) and node.this.name.lower() in ("dow", "dayofweek"):
        value = node.expression
    elif isinstance(node, exp.DayOfWeek):
        value = node.this
    if value is None:
        return node
    return exp.Paren(this=exp.Sub(this=_fn("dayofweek", value), expression=exp.Literal.number(1)))


def _spark_backslashes(node: exp.Expression) -> exp.Expression:
    # A backslash in a Spark string literal escapes the next character (backslash-b is a backspace); in
    # DuckDB it is itself (the semantic compiler's ILIKE ... ESCAPE). Double it; sqlglot escapes quotes itself.
    if isinstance(node, exp.Literal) and node.is_string and "\\" in node.this:
        return exp.Literal.string(node.this.replace("\\", "\\\\"))
    return node


def _trino_ilike(node: exp.Expression) -> exp.Expression:
    # sqlglot 18 writes `a ILIKE p` as `LOWER(a) LIKE p` for Trino: wrong for a pattern with capitals.
    if isinstance(node, exp.ILike):
        return exp.Like(this=exp.Lower(this=node.this), expression=exp.Lower(this=node.expression))
    return node


def _spark_temp_table(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Create) and str(node.args.get("kind", "")).upper() == "TABLE":
        props = node.args.get("properties")
        temporary = props is not None and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions)
        if temporary and node.expression is not None:
            return exp.Create(this=node.this, kind="VIEW", expression=node.expression, replace=True,
                              properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    return node


_Override = Callable[[exp.Expression], exp.Expression]
OVERRIDES: dict[str, tuple[_Override, ...]] = {
    "spark": (_spark_temp_table, _spark_any, _spark_regex, _spark_percentile, _spark_arg_max, _spark_like, _spark_maps, _spark_division,
              _spark_string_agg, _spark_generate_series, _spark_epoch,
              _spark_date_diff, _spark_day_of_week, _spark_backslashes),  # last: every string literal, once
    "trino": (_spark_like, _spark_any, _trino_ilike),
}


def transpile(sql: str, params: Sequence[Any] = (), dialect: str = "spark") -> str:
    """One DuckDB statement with its `?` parameters, as `dialect` (spark, trino, athena) runs it."""
    target = DIALECTS.get(dialect)
    if target is None:
        raise UnsupportedSql(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    tree = sqlglot.parse_one(bind(sql, params), read=READ)
    for override in OVERRIDES.get(target, ()):
        tree = tree.transform(override, copy=False)
    return tree.sql(target)
