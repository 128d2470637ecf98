"""Figures in an answer's text: money ($1,234.56, $20.2K, -$3.10, USD 12), percents (12.1%), counts
(14, 45,000,000, 4.4K) and names. Pure functions; the scorer decides what a match is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

_SCALE = {"k": Decimal(1000), "thousand": Decimal(1000), "m": Decimal(10) ** 6, "million": Decimal(10) ** 6,
          "b": Decimal(10) ** 9, "bn": Decimal(10) ** 9, "billion": Decimal(10) ** 9}
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<dec>\d+))?"
_SUFFIX = r"(?:\s?(?P<suf>k|m|bn|b|thousand|million|billion)(?![a-z0-9]))?"
_MONEY = re.compile(
    r"(?P<sign>[-−])?\s?(?:US)?\$\s?(?P<sign2>[-−])?" + _NUM + _SUFFIX
    + r"|(?P<sign3>[-−])?(?<![\w.])" + _NUM.replace("num", "num2").replace("dec", "dec2")
    + r"\s?(?:USD|usd)\b"
    + r"|\bUSD\s?(?P<sign4>[-−])?" + _NUM.replace("num", "num3").replace("dec", "dec3") + _SUFFIX.replace("suf", "suf3"),
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(?P<sign>[-−+])?(?<![\w.])(?P<num>\d+(?:\.(?P<dec>\d+))?)\s?%")
_COUNT = re.compile(r"(?<![\w.,$/:#@-])" + _NUM + _SUFFIX + r"(?![\w/:-]|\.\d|%)", re.IGNORECASE)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")


@dataclass(frozen=True)
class Figure:
    value: Decimal
    places: int              # decimals as written (before any K/M scale)
    scale: Decimal           # 1, 1000, 10**6 ...
    text: str

    @property
    def precision(self) -> Decimal:
        """Half of the last written digit, in the figure's unit: what rounding for display can hide."""
        return Decimal(5).scaleb(-(self.places + 1)) * self.scale


def _figure(num: str, dec: str | None, suffix: str | None, negative: bool, text: str) -> Figure:
    value = Decimal(num.replace(",", "") + (f".{dec}" if dec else ""))
    scale = _SCALE.get((suffix or "").lower(), Decimal(1))
    value *= scale
    return Figure(-value if negative else value, len(dec or ""), scale, text)


def money_figures(text: str) -> list[Figure]:
    out: list[Figure] = []
    for m in _MONEY.finditer(text):
        if m.group("num"):
            neg = bool(m.group("sign") or m.group("sign2"))
            out.append(_figure(m.group("num"), m.group("dec"), m.group("suf"), neg, m.group(0)))
        elif m.group("num2"):
            out.append(_figure(m.group("num2"), m.group("dec2"), None, bool(m.group("sign3")), m.group(0)))
        else:
            out.append(_figure(m.group("num3"), m.group("dec3"), m.group("suf3"), bool(m.group("sign4")), m.group(0)))
    return out


def percent_figures(text: str) -> list[Figure]:
    return [_figure(m.group("num").split(".")[0], m.group("dec"), None, m.group("sign") in ("-", "−"), m.group(0))
            for m in _PERCENT.finditer(text)]


def count_figures(text: str) -> list[Figure]:
    return [_figure(m.group("num"), m.group("dec"), m.group("suf"), False, m.group(0)) for m in _COUNT.finditer(text)]


def cell_numbers(cell: Any) -> list[Decimal]:
    """Numbers in a table cell: the cell itself when numeric, else the money/count figures in its text."""
    if isinstance(cell, bool) or cell is None:
        return []
    if isinstance(cell, (int, float, Decimal)):
        return [Decimal(str(cell))]
    s = str(cell).strip()
    try:
        return [Decimal(s.replace(",", ""))]
    except InvalidOperation:
        return [f.value for f in money_figures(s)] + [f.value for f in count_figures(s)]


def mentions(text: str, name: str) -> bool:
    """`name` appears in `text` as a whole name (case-insensitive; not inside a longer alphanumeric word).
    An ISO date also matches "Nov 17" / "November 17" / "17 Nov" forms."""
    return position(text, name) >= 0


def position(text: str, name: str) -> int:
    """Where `name` is first mentioned in `text` (see `mentions`), or -1."""
    found = [_find(text, name)]
    try:
        d = date.fromisoformat(name)
    except ValueError:
        d = None
    if d is not None:
        for month in (_MONTHS[d.month - 1], _MONTH_NAMES[d.month - 1]):
            found += [_find(text, f"{month} {d.day}"), _find(text, f"{d.day} {month}")]
    hits = [i for i in found if i >= 0]
    return min(hits) if hits else -1


def _find(text: str, name: str) -> int:
    pattern = r"(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])"
    m = re.search(pattern, text, re.IGNORECASE)
    return m.start() if m else -1
