"""The one compiler: a resolved `CostQuery` -> parameterised SQL over the charges.

Portable SQL only (docs/architecture.md, "Portable SQL": aggregates with FILTER, row_number, date_trunc, ILIKE; no
QUALIFY, no GROUP BY ALL, no map functions), every ORDER BY with full tie-breakers. User text never
reaches the SQL string: values and tag keys are bound parameters.

Output rows: `is_other` (0 listed, 1 the folded rest), `rn` (0 = the row with no value in any
dimension, never folded), `d0..dk` keys, `m0..mj` current sums, `p0..pj` comparison sums, `n`/`pn`
charge counts, `cr` credits (ChargeCategory Credit) within the first money measure, `folded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from knowledge.semantic.model import Dimension, Measure

# Fold "the rest" only when there is a rest; listed rows + other = total, exactly (same sums).
_MAX_ROWS = 10_000


@dataclass(frozen=True)
class Window:
    """[start, end) of the asked period and, with a comparison, of the period compared with."""

    start: datetime
    end: datetime
    compare_start: datetime | None = None
    compare_end: datetime | None = None


@dataclass(frozen=True)
class ResolvedFilter:
    dimension: Dimension
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedQuery:
    """A `CostQuery` after validation: objects instead of names, canonical values."""

    measures: tuple[Measure, ...]          # base measures to sum (derived ones are computed from these)
    group_by: tuple[Dimension, ...]
    filters: tuple[ResolvedFilter, ...]
    top: int | None
    order: str
    time_column: str = "ChargePeriodStart"   # or BillingPeriodStart: which timestamp the period reads


@dataclass
class Compiled:
    sql: str
    params: list[Any] = field(default_factory=list)


def relation(dims: list[Dimension]) -> str:
    """The charges relation a set of dimensions needs: the allocation view only for `team`, the
    endpoint join only for `model` (each costs time on a big bill)."""
    joins = {j for d in dims for j in d.joins}
    base = "charges_allocated" if "allocation" in joins else "focus_charges"
    if "endpoint_model" not in joins:
        return f"{base} AS charges"
    return (f"(SELECT c.*, ep.model AS x_endpoint_model FROM {base} c LEFT JOIN "
            "(SELECT resource_id, min(model) AS model FROM endpoints WHERE resource_id IS NOT NULL "
            "GROUP BY resource_id) ep ON ep.resource_id = c.ResourceId) AS charges")


def filter_sql(f: ResolvedFilter) -> tuple[str, list[Any]]:
    """One filter as SQL with its parameters (the dimension's own parameters first)."""
    expr, params = f.dimension.sql, list(f.dimension.params)
    if f.op == "is_null":
        return f"{expr} IS NULL", params
    if f.op == "not_null":
        return f"{expr} IS NOT NULL", params
    if f.op == "eq" and f.dimension.identified_by:
        ors = " OR ".join(f"{c} = ?" for c in f.dimension.identified_by)
        return f"({ors})", [f.values[0]] * len(f.dimension.identified_by)
    if f.dimension.raw and all(v != "" for v in f.values) and f.op in ("eq", "ne", "in", "not_in"):
        # For a non-empty value, col = v is nullif(col, '') = v, and col IS NULL OR col <> v keeps '' rows just
        # as the NULL test on nullif() does: the same rows, without a function per row.
        expr = f.dimension.raw
    if f.op == "eq":
        return f"{expr} = ?", params + [f.values[0]]
    if f.op == "ne":
        return f"({expr} IS NULL OR {expr} <> ?)", params * 2 + [f.values[0]]
    marks = ", ".join("?" for _ in f.values)
    if f.op == "in":
        return f"{expr} IN ({marks})", params + list(f.values)
    if f.op == "not_in":
        return f"({expr} IS NULL OR {expr} NOT IN ({marks}))", params * 2 + list(f.values)
    if f.op == "contains":
        ors = " OR ".join(f"{expr} ILIKE ? ESCAPE '\\'" for _ in f.values)
        out: list[Any] = []
        for v in f.values:
            out += params + ["%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"]
        return f"({ors})", out
    raise ValueError(f"unknown operator {f.op!r}")


def measure_input(m: Measure) -> str:
    value = "1" if m.column is None else (m.expression or m.column)
    # Rows outside the condition count as 0 (no unused commitment is $0, not unknown).
    return value if m.condition is None else f"CASE WHEN {m.condition} THEN {value} ELSE 0 END"


def compile_query(q: ResolvedQuery, window: Window, *, credits: bool = True, currencies: bool = True) -> Compiled:
    """`credits`: sum the Credit charges of the first money measure (skip when the store holds none);
    `currencies`: report the billing currencies per row (skip when the store holds one)."""
    params: list[Any] = []
    dim_cols = []
    for i, d in enumerate(q.group_by):
        dim_cols.append(f"{d.raw or d.sql} AS r{i}")
        params += [] if d.raw else list(d.params)
    # `cur` is true for the asked period; other rows in the scan belong to the comparison period.
    tc = q.time_column
    cur = f"({tc} >= ? AND {tc} < ?)"
    comparing = window.compare_start is not None
    if comparing:
        params += [window.start, window.end]
    inputs = [f"{measure_input(m)} AS x{j}" for j, m in enumerate(q.measures)]
    money = next((m for m in q.measures if m.unit == "USD" and m.condition is None), None)
    extras = []
    if money is not None and credits:
        extras.append(f"CASE WHEN ChargeCategory = 'Credit' THEN {money.column} END AS xc")
    if currencies:
        extras.append("BillingCurrency")
    where = [cur]
    where_params: list[Any] = [window.start, window.end]
    if comparing:
        where = [f"({cur} OR ({tc} >= ? AND {tc} < ?))"]
        where_params = [window.start, window.end, window.compare_start, window.compare_end]
    for f in q.filters:
        cond, fp = filter_sql(f)
        where.append(cond)
        where_params += fp
    params += where_params
    select = ", ".join(dim_cols + ([f"{cur} AS cur"] if comparing else []) + inputs + extras)
    rel = relation(list(q.group_by) + [f.dimension for f in q.filters])
    base = f"SELECT {select}\n        FROM {rel}\n        WHERE {' AND '.join(where)}"

    now, before = ("FILTER (WHERE cur)", "FILTER (WHERE NOT cur)") if comparing else ("", None)
    sums = ", ".join(f"sum(x{j}) {now} AS m{j}, " + (f"sum(x{j}) {before} AS p{j}" if before else
                                                     f"CAST(NULL AS DECIMAL(38, 12)) AS p{j}")
                     for j in range(len(q.measures)))
    counts = f"count(*) {now} AS n, " + (f"count(*) {before} AS pn" if before else "0 AS pn")
    counts += f", sum(xc) {now} AS cr" if "xc" in " ".join(extras) else ", NULL AS cr"
    counts += (", min(BillingCurrency) AS clo, max(BillingCurrency) AS chi" if currencies
               else ", CAST(NULL AS VARCHAR) AS clo, CAST(NULL AS VARCHAR) AS chi")
    if not q.group_by:
        sql = f"WITH base AS (\n        {base}\n    )\n    SELECT 0 AS is_other, 0 AS rn, {sums}, {counts}, 1 AS folded FROM base"
        return Compiled(sql, params)

    keys = [f"d{i}" for i in range(len(q.group_by))]
    raw_list = ", ".join(f"r{i}" for i in range(len(q.group_by)))
    all_null = " AND ".join(f"{k} IS NULL" for k in keys)
    direction = "ASC" if q.order == "asc" else "DESC"
    time_keys = [f"d{i}" for i, d in enumerate(q.group_by) if d.kind == "time"]
    # Time keys first (a series reads in order), then the first measure, then every key: a full tie-break.
    order = ", ".join([f"{k} ASC" for k in time_keys]
                      + [f"coalesce(m0, 0) {direction}", f"coalesce(p0, 0) {direction}"]
                      + [f"{k} ASC" for k in keys])
    m_sums = ", ".join(f"sum(m{j}) AS m{j}, sum(p{j}) AS p{j}" for j in range(len(q.measures)))
    slot_keys = ", ".join(f"CASE WHEN count(*) = 1 AND min(slot) <= {int(q.top or _MAX_ROWS)} THEN min({k}) END AS {k}"
                          for k in keys)
    top = q.top if q.top is not None else _MAX_ROWS
    # Group on the plain columns first (one pass over the charges), then fold '' into NULL on the few groups.
    norm = ", ".join(f"nullif(r{i}, '') AS {k}" if d.raw else f"r{i} AS {k}" for i, (d, k) in enumerate(zip(q.group_by, keys)))
    regroup = ", ".join(f"nullif(r{i}, '')" if d.raw else f"r{i}" for i, d in enumerate(q.group_by))
    sql = f"""WITH base AS (
        {base}
    ),
    g0 AS (
        SELECT {raw_list}, {sums}, {counts}
        FROM base
        GROUP BY {raw_list}
    ),
    g AS (
        SELECT {norm}, {m_sums}, sum(n) AS n, sum(pn) AS pn, sum(cr) AS cr, min(clo) AS clo, max(chi) AS chi
        FROM g0
        GROUP BY {regroup}
    ),
    ranked AS (
        SELECT g.*, CASE WHEN {all_null} THEN 0 ELSE row_number() OVER (
                   PARTITION BY CASE WHEN {all_null} THEN 0 ELSE 1 END ORDER BY {order}) END AS rn
        FROM g
    ),
    slotted AS (SELECT ranked.*, CASE WHEN rn <= ? THEN rn ELSE ? END AS slot FROM ranked)
    SELECT CASE WHEN slot > ? THEN 1 ELSE 0 END AS is_other, slot AS rn, {slot_keys}, {m_sums},
           sum(n) AS n, sum(pn) AS pn, sum(cr) AS cr, min(clo) AS clo, max(chi) AS chi, count(*) AS folded
    FROM slotted
    GROUP BY slot
    ORDER BY is_other, rn"""
    # (one pass: the groups beyond the top N share one slot, so "ranked" is read once, not once per half of a
    # UNION; listed rows + other = total because both come out of the same sums)
    params += [top, top + 1, top]
    return Compiled(sql, params)
