"""SQL that types and checks a file's rows in one set-based pass.

The source relation gives every file column as text (`c0`, `c1`, ...). The staging query casts each
bound column to its store type with TRY_CAST and builds `x_reason`: NULL for a good row, else every
problem found, joined with '; '. Rows keep the file's order, so a stage row's `rowid + 1` is its record
number in the file.

Only our own constants (column names, allowed values, currency codes) are written into the SQL; file
values are data, compared and concatenated by SQL, never spliced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.ingest.limits import EARLIEST, LATEST, RANGE_TEXT
from knowledge.ingest.specs import Column, TableSpec

STAGE = "_ingest_stage"

# Timestamps: anything DuckDB reads as TIMESTAMPTZ (ISO 8601 with or without zone, 'Z', offsets), stored
# as naive UTC (the session runs with TimeZone=UTC); also Azure's '2024-01-01T00:00Z' (no seconds).
# 'YYYY-MM-DD HH:MM:SS' (19 characters, no room for a zone) takes the ~2x cheaper plain TIMESTAMP cast.
# Only text with a four-digit year reaches the TIMESTAMPTZ cast: DuckDB's TRY_CAST raises (instead of
# giving NULL) for a zone name with a date past its range ('294247-01-10 04:00:54 PST': "ICU date
# overflows timestamp range"), which would fail the whole file for one bad row.
_TS = (
    "CASE WHEN length({v}) = 19 THEN TRY_CAST({v} AS TIMESTAMP) "
    "WHEN substr(ltrim({v}), 5, 1) <> '-' THEN CAST(NULL AS TIMESTAMP) ELSE "
    "(coalesce(TRY_CAST({v} AS TIMESTAMPTZ), TRY_CAST(TRY_STRPTIME({v}, '%Y-%m-%dT%H:%MZ') AS TIMESTAMPTZ))"
    " AT TIME ZONE 'UTC') END"
)
# Text that is a date, but outside any billing data (see knowledge/ingest/limits.py): named as such.
_OUT_OF_RANGE_TEXT = r"'^\s*([+-]?[0-9]{5,}-|[+-]?infinity|epoch|.*\(BC\))'"

_WHAT = {
    "timestamp": "a date/time",
    "date": "a date",
    "decimal": "a decimal number",
    "integer": "a whole number",
    "double": "a number",
    "boolean": "true/false",
    "map": "a JSON object",
}


def lit(text: str) -> str:
    """A SQL string literal for one of our own constants."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _shown(expr: str) -> str:
    """SQL showing a file value inside a reason: quoted, at most 40 characters."""
    return f"'''' || left(CAST({expr} AS VARCHAR), 40) || ''''"


@dataclass(frozen=True)
class Binding:
    """A target column read from source column `source` (c0, c1, ...) of the file."""

    column: Column
    source: str
    index: int  # position in the staging select; t{index} is its typed value, r{index} its text

    @property
    def typed(self) -> str:
        return f"t{self.index}"

    @property
    def text(self) -> str:
        return f"r{self.index}"


def typed_expr(column: Column, text: str) -> str:
    kind = column.kind
    if kind == "text":
        return text
    if kind == "timestamp":
        return _TS.format(v=text)
    if kind == "map":
        return f"TRY_CAST(TRY_CAST({text} AS JSON) AS MAP(VARCHAR, VARCHAR))"
    if kind == "decimal":
        return _decimal(text, column.sql_type)
    return f"TRY_CAST({text} AS {column.sql_type})"


def _decimal(text: str, sql_type: str) -> str:
    """TRY_CAST to a wide DECIMAL, fast: parsing into DECIMAL(38,s) (a 128-bit integer) is ~5x slower than
    into DECIMAL(18,s), so try the narrow type first and fall back to the wide one only for the values that
    do not fit (coalesce evaluates its second argument only for the rows where the first is NULL)."""
    m = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", sql_type.upper().replace(" ", ""))
    if not m or int(m.group(1)) <= 18 or int(m.group(2)) >= 18:
        return f"TRY_CAST({text} AS {sql_type})"
    scale = int(m.group(2))
    return (f"CAST(coalesce(TRY_CAST({text} AS DECIMAL(18,{scale})), TRY_CAST({text} AS {sql_type})) "
            f"AS {sql_type})")


def _bound(t, kind: str) -> str:
    return f"DATE '{t:%Y-%m-%d}'" if kind == "date" else f"TIMESTAMP '{t:%Y-%m-%d %H:%M:%S}'"


def _value(b: Binding) -> str:
    """The value a bound column loads with: typed, with its default when the file has none."""
    if b.column.default is not None:
        return f"coalesce({b.typed}, {b.column.default})"
    return b.typed


def _column_checks(b: Binding) -> list[str]:
    col, t, r = b.column, b.typed, b.text
    name = col.name
    out: list[str] = []
    if col.kind in ("timestamp", "date"):
        bad_text = lit(name + ": not " + _WHAT[col.kind] + " ")
        out_text = lit(name + ": date out of range (" + RANGE_TEXT + ") ")
        out.append(
            f"CASE WHEN {r} IS NOT NULL AND {t} IS NULL THEN CASE WHEN regexp_matches({r}, {_OUT_OF_RANGE_TEXT}, 'i') "
            f"THEN {out_text} ELSE {bad_text} END || {_shown(r)} "
            f"WHEN {t} < {_bound(EARLIEST, col.kind)} OR {t} >= {_bound(LATEST, col.kind)} "
            f"THEN {out_text} || {_shown(r)} END"
        )
    elif col.kind != "text":
        out.append(f"CASE WHEN {r} IS NOT NULL AND {t} IS NULL THEN {lit(name + ': not ' + _WHAT[col.kind] + ' ')} || {_shown(r)} END")
    if col.kind == "integer":
        out.append(
            f"CASE WHEN {t} IS NOT NULL AND TRY_CAST({r} AS DOUBLE) <> {t} "
            f"THEN {lit(name + ': not a whole number ')} || {_shown(r)} END"
        )
    if col.kind == "double":
        out.append(f"CASE WHEN NOT isfinite({t}) THEN {lit(name + ': not a finite number ')} || {_shown(r)} END")
    value = _value(b)
    if col.required and col.default is None:
        missing = f"{r} IS NULL" if col.kind != "text" else f"coalesce({t}, '') = ''"
        out.append(f"CASE WHEN {missing} THEN {lit(name + ' is missing')} END")
    shown_value = r if col.kind != "text" else value
    if col.non_negative:
        out.append(f"CASE WHEN {value} < 0 THEN {lit(name + ' is negative: ')} || {shown_value} END")
    if col.unit_interval:
        out.append(
            f"CASE WHEN {value} < 0 OR {value} > 1 THEN {lit(name + ' is not between 0 and 1: ')} || {shown_value} END"
        )
    return out


def bind(spec: TableSpec, source_columns: dict[str, str]) -> list[Binding]:
    """Bindings for the spec columns present in the file; `source_columns` maps column name -> c{i}."""
    return [
        Binding(col, source_columns[col.name], i)
        for i, col in enumerate(spec.columns)
        if col.name in source_columns
    ]


def stage_sql(spec: TableSpec, bindings: list[Binding], source_sql: str, create: str = f"TEMP TABLE {STAGE}") -> str:
    """CREATE `create` (the temp table _ingest_stage by default): the typed columns (store names) and
    `x_reason`, in file order."""
    return f"CREATE {create} AS {checked_sql(spec, bindings, source_sql)}"


def checked_sql(spec: TableSpec, bindings: list[Binding], source_sql: str, carry: tuple[str, ...] = ()) -> str:
    """SELECT the typed columns (store names) and `x_reason` of the source's rows; `carry` names source
    columns passed through as they are (a Parquet file's row number)."""
    inner: list[str] = [f"src.{c}" for c in carry]
    for b in bindings:
        if b.column.kind == "text":
            inner.append(f"{b.source} AS {b.typed}")
        else:
            # a typed column has no value spelled '' or NULL: both are NULL even when quoted
            text = f"nullif(nullif({b.source}, ''), 'NULL')"
            inner.append(f"{text} AS {b.text}")
            inner.append(f"{typed_expr(b.column, text)} AS {b.typed}")
    checks: list[str] = []
    for b in bindings:
        checks.extend(_column_checks(b))
    present = {b.column.name: _value(b) for b in bindings}
    for check in spec.checks:
        if all(c in present for c in check.columns):
            cond = check.bad_when.format(**present)
            reason = check.reason.format(**present)
            checks.append(f"CASE WHEN {cond} THEN {reason} END")
    outer = list(carry) + [f"{_value(b)} AS {ident(b.column.name)}" for b in bindings]
    bound = {b.column.name for b in bindings}
    for col in spec.columns:  # absent from the file but with a default: load the default
        if col.name not in bound and col.default is not None:
            outer.append(f"CAST({col.default} AS {col.sql_type}) AS {ident(col.name)}")
    reason = f"nullif(concat_ws('; ', {', '.join(checks)}), '')" if checks else "CAST(NULL AS VARCHAR)"
    return (f"SELECT {', '.join(outer)}, {reason} AS x_reason "
            f"FROM (SELECT {', '.join(inner)} FROM ({source_sql}) AS src) AS typed")


def stage_columns(spec: TableSpec, bindings: list[Binding]) -> list[str]:
    """Target columns the stage holds: the bound ones and the defaulted absent ones, in spec order."""
    bound = {b.column.name for b in bindings}
    return [c.name for c in spec.columns if c.name in bound or c.default is not None]
