"""Validate a `CostQuery` against the model and the store's actual values, before any cost SQL runs.

Fails closed: an unknown dimension or measure, a value the data never holds, a column the loaded
exports do not carry, or quantities in mixed units each raise a typed error that names what was not
understood and the closest real names. Nothing is dropped, nothing is widened to the whole bill.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

import duckdb

from knowledge.errors import FinopsError, MissingDataError, UnknownNameError
from knowledge.naming import fold, suggest
from knowledge.semantic.compiler import ResolvedFilter, ResolvedQuery, filter_sql, relation
from knowledge.semantic.dialect import tag_keys_sql
from knowledge.semantic.model import (
    DERIVED,
    LLM_ONLY_DIMENSIONS,
    MEASURES,
    TAG_PREFIX,
    DerivedMeasure,
    Dimension,
    Measure,
    dimension,
    measure,
    tag_dimension,
)
from knowledge.semantic.query import CostQuery, Filter

KnownNames = Callable[[str], list[str]]
DEFAULT_TOP = 10


class UnknownValueError(UnknownNameError):
    """A filter value the data does not hold: "no service 'Snowflake' in the data; closest: …"."""

    def __init__(self, dim: Dimension, value: str, suggestions: list[str]):
        super().__init__(dim.label, value, suggestions)
        self.dimension = dim.name
        closest = ("; closest: " + ", ".join(f"'{s}'" for s in suggestions[:3])) if suggestions else ""
        self.args = (f"no {dim.label} '{value}' in the data{closest}",)

    @classmethod
    def with_examples(cls, dim: Dimension, value: str, suggestions: list[str], known: list[str]) -> UnknownValueError:
        err = cls(dim, value, suggestions)
        if not suggestions and known:
            shown = ", ".join(f"'{k}'" for k in known[:6])
            more = f" and {len(known) - 6} more" if len(known) > 6 else ""
            err.args = (f"no {dim.label} '{value}' in the data; {dim.label} values are {shown}{more}",)
        return err


def tag_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(tag_keys_sql()).fetchall()]


def resolve_dimension(name: str, con: duckdb.DuckDBPyConnection | None = None) -> Dimension:
    """The dimension a name means; a tag key is matched against the keys the data carries."""
    if fold(name) in LLM_ONLY_DIMENSIONS:
        raise MissingDataError(name, f"'{name}' is a dimension of LLM usage (call logs), not of billing charges; "
                                     f"ask for LLM spend by {name} instead")
    dim = dimension(name)
    if con is None or not dim.name.startswith(TAG_PREFIX):
        return dim
    key = dim.name[len(TAG_PREFIX):]
    if con.execute("SELECT 1 FROM focus_charges WHERE Tags[?] IS NOT NULL LIMIT 1", [key]).fetchone():
        return dim
    keys = tag_keys(con)
    if key in keys:
        return dim
    same = [k for k in keys if fold(k) == fold(key)]
    if len(same) == 1:
        return tag_dimension(same[0])
    raise UnknownNameError("tag key", key, same or suggest(key, keys))


def _expand_measures(names: tuple[str, ...]) -> tuple[tuple[Measure, ...], tuple[Measure | DerivedMeasure, ...]]:
    asked = tuple(measure(n) for n in names)
    base: list[Measure] = []
    for m in asked:
        parts = [MEASURES[i] for i in m.inputs] if isinstance(m, DerivedMeasure) else [m]
        for p in parts:
            if p not in base:
                base.append(p)
    return tuple(base), tuple(dict.fromkeys(asked))


# Which FOCUS columns a store fills, per store, when the caller says the store cannot change while open
# (a read-only connection): `resolve_query(..., cache=...)`. None = probe every time.
Cache = dict[str, bool]
_cache: ContextVar[Cache | None] = ContextVar("finops_present_columns", default=None)


def _has_values(con: duckdb.DuckDBPyConnection, columns: list[str]) -> dict[str, bool]:
    """Does any row fill each column? One probe per column that stops at the first hit."""
    cache = _cache.get()
    out: dict[str, bool] = {}
    for c in sorted(set(columns)):
        if cache is not None and c in cache:
            out[c] = cache[c]
            continue
        out[c] = con.execute(f"SELECT 1 FROM focus_charges WHERE {c} IS NOT NULL LIMIT 1").fetchone() is not None
        if cache is not None:
            cache[c] = out[c]
    return out


def _check_columns(con: duckdb.DuckDBPyConnection, base: tuple[Measure, ...], dims: list[Dimension]) -> None:
    """A measure or dimension over a FOCUS column no loaded row fills: say so instead of $0 / '(none)'."""
    wanted: dict[str, str] = {}
    for m in base:
        for c in ((m.column,) if m.column else ()) + m.needs_columns:
            wanted.setdefault(c, m.label)
    for d in dims:
        if d.focus_column and d.focus_column not in ("Tags", "ChargePeriodStart"):
            wanted.setdefault(d.focus_column, d.label)
    present = _has_values(con, list(wanted))
    missing = [c for c, ok in present.items() if not ok]
    if missing:
        what = ", ".join(f"{c} (needed for {wanted[c]})" for c in missing)
        raise MissingDataError(missing[0], f"this data has no {what}: the loaded exports leave "
                                           f"{'it' if len(missing) == 1 else 'them'} empty, so the question cannot be answered from it")


def _values(con: duckdb.DuckDBPyConnection, dim: Dimension, limit: int = 200_000) -> list[str]:
    rows = con.execute(
        f"SELECT DISTINCT CAST({dim.sql} AS VARCHAR) AS v FROM {relation([dim])} "
        f"WHERE {dim.sql} IS NOT NULL ORDER BY v LIMIT {limit}", list(dim.params) * 2).fetchall()
    return [r[0] for r in rows]


def _resolve_value(con: duckdb.DuckDBPyConnection, dim: Dimension, value: str, known: KnownNames | None) -> str:
    """The value as the data spells it: exact, then case/punctuation-folded; else UnknownValueError."""
    text = value.strip()
    cache = _cache.get()
    key = f"value:{dim.name}:{dim.params}:{text}"
    if cache is not None and cache.get(key):
        return text
    if dim.raw and text:       # the plain column: no function per row while looking for the first hit
        hit = con.execute(f"SELECT 1 FROM focus_charges WHERE {dim.raw} = ? LIMIT 1", [text]).fetchone()
    else:
        hit = con.execute(f"SELECT 1 FROM {relation([dim])} WHERE CAST({dim.sql} AS VARCHAR) = ? LIMIT 1",
                          list(dim.params) + [text]).fetchone()
    if hit:
        if cache is not None:
            cache[key] = True
        return text
    allowed = [v for v in dim.allowed_values if fold(v) == fold(text)]
    if allowed:
        return allowed[0]      # a FOCUS value no row holds: "no corrections" is an answer, not an error
    candidates = _values(con, dim)
    names = list(dict.fromkeys(candidates + (known(dim.name_kind) if known and dim.name_kind else [])))
    if text in names:
        return text            # a known entity with no charges: the answer is an honest $0
    same = [n for n in names if fold(n) == fold(text)]
    if len(same) == 1:
        return same[0]
    raise UnknownValueError.with_examples(dim, text, same or suggest(text, names), names)


def _resolve_filter(con: duckdb.DuckDBPyConnection, raw_dim: str, op: str, values: tuple[str, ...],
                    known: KnownNames | None) -> ResolvedFilter:
    dim = resolve_dimension(raw_dim, con)
    if dim.kind == "time":
        raise FinopsError(f"filter on {dim.label} is not supported: put the dates in the period instead "
                          "(with period_basis 'billing' for billing periods)")
    if op in ("eq", "in") and all(fold(v) in (fold(dim.null_label), "none", "null") for v in values):
        return ResolvedFilter(dim, "is_null", ())
    if dim.sql == f"nullif({dim.focus_column}, '')" and not _has_values(con, [dim.focus_column or ""]).get(dim.focus_column or ""):
        # A column no loaded row fills cannot tell "corrections" from "no corrections": say so.
        raise MissingDataError(dim.focus_column or dim.name,
                               f"this data has no {dim.focus_column} values (the loaded exports leave it empty), "
                               f"so it cannot be filtered on {dim.label}")
    if op == "contains":
        for v in values:
            cond, params = filter_sql(ResolvedFilter(dim, "contains", (v,)))
            if not con.execute(f"SELECT 1 FROM {relation([dim])} WHERE {cond} LIMIT 1", params).fetchone():
                values_ = _values(con, dim)
                raise UnknownValueError.with_examples(dim, f"*{v}*", suggest(v, values_), values_)
        return ResolvedFilter(dim, op, values)
    return ResolvedFilter(dim, op, tuple(_resolve_value(con, dim, v, known) for v in values))


def resolve_filters(con: duckdb.DuckDBPyConnection, filters: tuple[Filter, ...] | list[Filter],
                    known: KnownNames | None = None, cache: Cache | None = None
                    ) -> tuple[tuple[ResolvedFilter, ...], str, list[object]]:
    """Resolve filters for a tool that scopes its own SQL: (filters, ' AND …' condition, its params)."""
    token = _cache.set(cache)
    try:
        return _resolve_filters(con, filters, known)
    finally:
        _cache.reset(token)


def _resolve_filters(con: duckdb.DuckDBPyConnection, filters: tuple[Filter, ...] | list[Filter],
                     known: KnownNames | None) -> tuple[tuple[ResolvedFilter, ...], str, list[object]]:
    resolved = tuple(_resolve_filter(con, f.dimension, f.op, f.values, known) for f in filters)
    conds, params = [], []
    for f in resolved:
        c, p = filter_sql(f)
        conds.append(c)
        params += p
    return resolved, "".join(f" AND {c}" for c in conds), params


def _check_units(con: duckdb.DuckDBPyConnection, base: tuple[Measure, ...], q: ResolvedQuery) -> None:
    """Quantities in different units are never added: group or filter by the unit first."""
    for m in base:
        if m.unit_dimension is None:
            continue
        unit_dim = dimension(m.unit_dimension)
        if unit_dim in q.group_by or any(f.dimension == unit_dim and f.op == "eq" for f in q.filters):
            continue
        conds, params = [], []
        for f in q.filters:
            c, p = filter_sql(f)
            conds.append(c)
            params += p
        where = (" WHERE " + " AND ".join(conds)) if conds else ""
        rel = relation([unit_dim] + [f.dimension for f in q.filters])
        units = [r[0] for r in con.execute(
            f"SELECT DISTINCT {unit_dim.sql} AS u FROM {rel}{where} ORDER BY u NULLS LAST LIMIT 6", params).fetchall()]
        if len(units) > 1:
            shown = ", ".join(str(u) for u in units[:5])
            raise FinopsError(f"{m.label} mixes units ({shown}{', …' if len(units) > 5 else ''}): "
                              f"group by {unit_dim.name} or filter on one {unit_dim.label}")


def resolve_query(con: duckdb.DuckDBPyConnection, q: CostQuery, known: KnownNames | None = None,
                  cache: Cache | None = None) -> tuple[ResolvedQuery, tuple[Measure | DerivedMeasure, ...]]:
    """Resolve names and values; raise a typed error for anything not understood. `cache`: a dict kept per
    read-only store for which columns it fills (it cannot change while open)."""
    token = _cache.set(cache)
    try:
        return _resolve_query(con, q, known)
    finally:
        _cache.reset(token)


def _resolve_query(con: duckdb.DuckDBPyConnection, q: CostQuery, known: KnownNames | None
                   ) -> tuple[ResolvedQuery, tuple[Measure | DerivedMeasure, ...]]:
    base, asked = _expand_measures(q.measures)
    group_by = tuple(resolve_dimension(g, con) for g in q.group_by)
    if len({d.name for d in group_by}) != len(group_by):
        raise FinopsError("a dimension appears twice in group_by")
    # Grouping by an empty column or summing one is refused, before the filters: a measure the data cannot
    # give is the first thing to say. Filters are checked through their values (a ChargeClass that is NULL
    # everywhere still answers "no corrections").
    _check_columns(con, base, list(group_by))
    filters = tuple(_resolve_filter(con, f.dimension, f.op, f.values, known) for f in q.filters)
    has_time = any(d.kind == "time" for d in group_by)
    top = q.top if q.top is not None else (None if has_time else DEFAULT_TOP)
    resolved = ResolvedQuery(measures=base, group_by=group_by, filters=filters, top=top, order=q.order,
                             time_column="BillingPeriodStart" if q.period_basis == "billing" else "ChargePeriodStart")
    _check_units(con, base, resolved)
    return resolved, asked


__all__ = ["DERIVED", "UnknownValueError", "resolve_query", "resolve_dimension"]
