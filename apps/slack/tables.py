"""A compact, monospaced table of the rows behind an answer, for a Slack code block."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.slack.mrkdwn import code_safe
from tools.contract import TableView, money

MAX_ROWS = 15
MAX_CELL = 32
_MONEY_COLUMN = re.compile(r"cost|spend|billed|effective|amount|budget|saving|price|usd|\$|run.?rate|excess|baseline", re.I)


def render_table(table: TableView, *, max_rows: int = MAX_ROWS, max_chars: int = 2900) -> str:
    """The table as a ``` block of at most `max_chars` characters (rows dropped from the end to fit)."""
    header = [str(c) for c in table.columns]
    cells = [[_cell(col, value) for col, value in zip(header, row)] for row in table.rows]
    numeric = [all(_looks_numeric(r[i]) for r in cells if i < len(r) and r[i] not in ("", "—")) and bool(cells)
               for i in range(len(header))]
    shown = min(len(cells), max_rows)
    while True:
        text = _layout(header, cells[:shown], numeric, hidden=len(cells) - shown)
        if len(text) <= max_chars or shown == 0:
            return text
        shown -= 1


def _layout(header: list[str], rows: list[list[str]], numeric: list[bool], hidden: int) -> str:
    widths = [len(h) for h in header]
    for row in rows:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(value))

    def line(values: list[str]) -> str:
        parts = []
        for i, width in enumerate(widths):
            value = values[i] if i < len(values) else ""
            parts.append(value.rjust(width) if numeric[i] else value.ljust(width))
        return "  ".join(parts).rstrip()

    lines = [line(header), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in rows]
    if hidden:
        lines.append(f"… {hidden} more row{'s' if hidden != 1 else ''}")
    return "```\n" + code_safe("\n".join(lines)) + "\n```"


def _cell(column: str, value: Any) -> str:
    is_money = bool(_MONEY_COLUMN.search(column))
    if value is None:
        return "unknown" if is_money else "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (Decimal, int, float)) and is_money:
        return money(Decimal(str(value)))
    if isinstance(value, str) and is_money:
        try:
            return money(Decimal(value))
        except InvalidOperation:
            return _cut(value)
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return _cut(str(value))


def _number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(Decimal('0.0001')).normalize():,f}"


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"-?\$?[\d,]+(\.\d+)?%?|unknown", text))
