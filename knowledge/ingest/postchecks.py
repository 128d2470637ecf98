"""Checks run on the staged rows after the set-based pass, for values with few distinct forms.

Looking a value up in a list (currency codes, allowed values, model names) is cheap per distinct value and
costly per row (an IN list also turns into a join that hides DuckDB's progress), so these checks read the
distinct values from the stage, judge them in Python (with hints) and mark the matching rows with one
UPDATE ... FROM a small temp table. A direct FOCUS load (knowledge/ingest/load.py) reads the same
distinct values from the rows it inserted, and stages the file when one fails.
"""

from __future__ import annotations

import duckdb

from knowledge.ingest.currencies import ISO_4217
from knowledge.ingest.staging import STAGE, Binding, ident

_HINTS = "_ingest_value_hints"


def flag_values(con: duckdb.DuckDBPyConnection, column: str, messages: dict[str, str]) -> None:
    """Append messages[value] to x_reason of the stage rows whose `column` holds that value."""
    if not messages:
        return
    values = sorted(messages)
    con.execute(f"DROP TABLE IF EXISTS {_HINTS}")
    con.execute(
        f"CREATE TEMP TABLE {_HINTS} AS SELECT unnest(?::VARCHAR[]) AS v, unnest(?::VARCHAR[]) AS message",
        [values, [messages[v] for v in values]],
    )
    col = ident(column)
    con.execute(
        f"UPDATE {STAGE} SET x_reason = concat_ws('; ', {STAGE}.x_reason, h.message) "
        f"FROM {_HINTS} h WHERE {STAGE}.{col} = h.v"
    )
    con.execute(f"DROP TABLE {_HINTS}")


def distinct_values(con: duckdb.DuckDBPyConnection, column: str, relation: str = STAGE,
                    params: list[object] | None = None) -> list[str]:
    """The distinct non-empty values of `column` in `relation` (the stage by default)."""
    col = ident(column)
    where = " AND " if " WHERE " in relation else " WHERE "
    return [r[0] for r in con.execute(
        f"SELECT DISTINCT {col} FROM {relation}{where}{col} IS NOT NULL AND {col} <> '' ORDER BY 1", params
    ).fetchall()]


def value_findings(con: duckdb.DuckDBPyConnection, bindings: list[Binding], relation: str = STAGE,
                   params: list[object] | None = None) -> list[tuple[str, dict[str, str]]]:
    """Per column checked by value, the message of each value that fails: currency columns first (a value
    that is not an ISO 4217 code), then columns with allowed values (exact, case-sensitive)."""
    found: list[tuple[str, dict[str, str]]] = []
    for b in bindings:
        if not b.column.currency:
            continue
        messages = {}
        for value in distinct_values(con, b.column.name, relation, params):
            if value in ISO_4217:
                continue
            msg = f"unknown currency '{value[:40]}'"
            if value.strip().upper() in ISO_4217:
                msg += f" (ISO 4217 codes are upper case: '{value.strip().upper()}')"
            messages[value] = msg
        found.append((b.column.name, messages))
    for b in bindings:
        allowed = b.column.allowed
        if not allowed:
            continue
        found.append((b.column.name, {
            v: f"{b.column.name} '{v[:40]}' is not one of {', '.join(allowed)}"
            for v in distinct_values(con, b.column.name, relation, params) if v not in allowed
        }))
    return [(column, messages) for column, messages in found if messages]


def flag_bad_values(con: duckdb.DuckDBPyConnection, bindings: list[Binding]) -> None:
    """Mark the stage rows whose value fails its column's value check (`value_findings`)."""
    for column, messages in value_findings(con, bindings):
        flag_values(con, column, messages)
