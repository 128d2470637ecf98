"""Checks run on the staged rows after the set-based pass, for values with few distinct forms.

Looking a value up in a list (currency codes, allowed values, model names) is cheap per distinct value and
costly per row (an IN list also turns into a join that hides DuckDB's progress), so these checks read the
distinct values from the stage, judge them in Python (with hints) and mark the matching rows with one
UPDATE ... FROM a small temp table.
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


def distinct_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    col = ident(column)
    return [r[0] for r in con.execute(
        f"SELECT DISTINCT {col} FROM {STAGE} WHERE {col} IS NOT NULL AND {col} <> '' ORDER BY 1"
    ).fetchall()]


def flag_unknown_currencies(con: duckdb.DuckDBPyConnection, bindings: list[Binding]) -> None:
    """Rows whose currency column holds something that is not an ISO 4217 code."""
    for b in bindings:
        if not b.column.currency:
            continue
        messages = {}
        for value in distinct_values(con, b.column.name):
            if value in ISO_4217:
                continue
            msg = f"unknown currency '{value[:40]}'"
            if value.strip().upper() in ISO_4217:
                msg += f" (ISO 4217 codes are upper case: '{value.strip().upper()}')"
            messages[value] = msg
        flag_values(con, b.column.name, messages)


def flag_disallowed(con: duckdb.DuckDBPyConnection, bindings: list[Binding]) -> None:
    """Rows whose value is not one of the column's allowed values (exact, case-sensitive)."""
    for b in bindings:
        allowed = b.column.allowed
        if not allowed:
            continue
        messages = {
            v: f"{b.column.name} '{v[:40]}' is not one of {', '.join(allowed)}"
            for v in distinct_values(con, b.column.name) if v not in allowed
        }
        flag_values(con, b.column.name, messages)
