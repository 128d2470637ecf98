"""How one value of a `TableView` is shown in a cell, and read back as a number for a chart.

Values are rendered as `rich.text.Text` (never markup: tag values and names are untrusted data).
Money stays exact: Decimals are formatted by `tools.contract.money`, never converted to float for
display; the float from `as_number` only scales a chart's bars.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.text import Text

from tools.contract import money

_MONEY_HINTS = ("cost", "spend", "billed", "amount", "total", "effective", "saving", "budget",
                "price", "excess", "baseline", "run_rate", "usd", "$")
_SHARE_HINTS = ("share", "pct", "percent", "%", "ratio", "util")
_NUMBER_RE = re.compile(r"^[-+]?\$?-?[\d,]*\.?\d+(?:[eE][-+]?\d+)?$")
_PERCENT_RE = re.compile(r"^[-+]?[\d,]*\.?\d+%$")


def is_money_column(column: str) -> bool:
    name = column.lower()
    return any(h in name for h in _MONEY_HINTS) and not any(h in name for h in _SHARE_HINTS)


def is_share_column(column: str) -> bool:
    name = column.lower()
    return "share" in name


def is_numeric(value: Any) -> bool:
    return as_number(value) is not None


def cell_plain(column: str, value: Any) -> str:
    """The text of a cell, as a person reads it."""
    if value is None:
        return "unknown" if is_money_column(column) else "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (Decimal, int, float)) and is_money_column(column):
        return money(Decimal(str(value)) if isinstance(value, float) else value)
    if isinstance(value, (Decimal, float)) and is_share_column(column) and -1 <= value <= 1:
        return f"{Decimal(str(value)) * 100:.1f}%"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes") if (value.hour or value.minute) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def cell_text(column: str, value: Any) -> Text:
    """A cell as plain (never markup) Text, numbers right-aligned."""
    plain = cell_plain(column, value)
    numeric = as_number(value) is not None or (isinstance(value, str) and _PERCENT_RE.match(value) is not None)
    style = "dim" if value is None else ""
    return Text(plain, style=style, justify="right" if numeric else "left", no_wrap=True)


def as_number(value: Any) -> float | None:
    """A value read as a float for scaling a chart ("$1,234.50" -> 1234.5); None if not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, str):
        s = value.strip().replace(" ", "")
        if not _NUMBER_RE.match(s):
            return None
        try:
            return float(Decimal(s.replace("$", "").replace(",", "")))
        except InvalidOperation:
            return None
    return None


def percent_value(value: Any) -> float | None:
    """'87.1%' -> 87.1 (a share as the tools show it), for scaling a chart; None if not a percentage."""
    if isinstance(value, str) and _PERCENT_RE.match(value.strip()):
        try:
            return float(Decimal(value.strip().rstrip("%").replace(",", "")))
        except InvalidOperation:
            return None
    return None


def compact_money(text: str) -> str:
    """'$52,150.66' -> '$52.2K', '$1,396,514.69' -> '$1.40M' (for a narrow screen; the exact figure is
    shown for the selected row). Text that is not a dollar amount is returned unchanged."""
    s = text.strip()
    negative = s.startswith("-")
    digits = s.lstrip("-")
    if not digits.startswith("$"):
        return text
    try:
        amount = Decimal(digits[1:].replace(",", ""))
    except InvalidOperation:
        return text
    for size, suffix, places in ((Decimal(10) ** 9, "B", 2), (Decimal(10) ** 6, "M", 2), (Decimal(1000), "K", 1)):
        if amount >= size:
            short = f"${amount / size:.{places}f}{suffix}"
            return "-" + short if negative else short
    return f"{'-' if negative else ''}${amount:,.0f}" if amount >= 100 else text


def _plain_decimal(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{value.to_integral_value():,}"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        value = value.quantize(Decimal("0.0001")).normalize()
    return f"{value:,f}"
