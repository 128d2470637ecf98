"""Evidence SQL a person can copy and run: the parameters of a recorded statement inlined as SQL literals.

A tool's SQL is parameterised (`?`); its evidence records the parameters next to it. To rerun it in the
`duckdb` shell, each `?` outside quotes and comments is replaced by the literal of its parameter: text is
single-quoted with quotes doubled (a tag value can never close the literal), numbers and booleans are
written as they are, NULL as NULL, a list as a list of literals. Nothing else in the statement changes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tools.contract import SqlRun

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def literal(value: Any) -> str:
    """One SQL literal for a parameter value (as the evidence records it)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, (datetime, date)):
        value = value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    text = str(value)
    if text.startswith("[") and text.endswith("]"):   # a list parameter, recorded as its Python text
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, list):
            return literal(parsed)
    return "'" + text.replace("'", "''") + "'"


def inline(sql: str, params: Sequence[Any]) -> str:
    """`sql` with each `?` placeholder (outside quotes and comments) replaced by its parameter's literal.
    Raises ValueError when the placeholders and the parameters do not pair up."""
    out: list[str] = []
    values = iter(params)
    used = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):                       # a quoted literal or identifier: copied unchanged
            j = i + 1
            while j < n and not (sql[j] == ch and (j + 1 >= n or sql[j + 1] != ch)):
                j += 2 if sql[j] == ch else 1
            out.append(sql[i:j + 1])
            i = j + 1
            continue
        if sql.startswith("--", i):                # a line comment
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
            continue
        if ch == "?":
            try:
                out.append(literal(next(values)))
            except StopIteration:
                raise ValueError("the statement has more placeholders than parameters") from None
            used += 1
        else:
            out.append(ch)
        i += 1
    if used != len(params):
        raise ValueError(f"the statement has {used} placeholders for {len(params)} parameters")
    return "".join(out)


def runnable(run: SqlRun) -> str:
    """A recorded statement as SQL to paste into `duckdb STORE`, ending with a semicolon."""
    return inline(run.sql, run.params).rstrip().rstrip(";") + ";"
