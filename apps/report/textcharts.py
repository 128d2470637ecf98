"""The summary's charts as monospace text, for the terminal and plain-text markdown.

Bar lengths only scale the drawing (floats); every figure printed next to a bar is a figure of the
summary, formatted with `tools.contract.money`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from apps.report.model import ChartBar, DailySeries
from tools.contract import money
from tools.sqlparts import show

GLYPHS = "█▓▒░#%=+*o"
WIDTH = 44


def _label(text: str, size: int) -> str:
    text = show(text)
    return text if len(text) <= size else text[: size - 1] + "…"


def daily_stacked(days: list[date], series: list[DailySeries], totals: list[Decimal], width: int = WIDTH) -> str:
    """One row per day: a bar made of one glyph per band (team or service), the day's total after it."""
    if not days or not series:
        return "(no daily spend)"
    sums = [sum((float(s.values[i]) for s in series if i < len(s.values)), 0.0) for i in range(len(days))]
    top = max(sums) or 1.0
    lines = []
    for i, day in enumerate(days):
        bar = ""
        acc = 0.0
        for n, s in enumerate(series):
            acc += max(float(s.values[i]), 0.0) if i < len(s.values) else 0.0
            bar += GLYPHS[n % len(GLYPHS)] * (round(acc / top * width) - len(bar))
        total = money(totals[i]) if i < len(totals) else ""
        lines.append(f"{day.strftime('%a %d')}  {bar.ljust(width)}  {total:>13}")
    legend = "   ".join(f"{GLYPHS[n % len(GLYPHS)]} {_label(s.name, 28)}" for n, s in enumerate(series))
    return "\n".join(lines + ["", legend])


def diverging(bars: list[ChartBar], width: int = WIDTH) -> str:
    """Changes as bars left (down) or right (up) of a centre line."""
    if not bars:
        return "(no change to show)"
    half = width // 2
    top = max(abs(float(b.value)) for b in bars) or 1.0
    name_w = min(24, max(len(_label(b.label, 24)) for b in bars))
    lines = []
    for b in bars:
        n = max(1, round(abs(float(b.value)) / top * half)) if b.value else 0
        left = ("▆" * n).rjust(half) if b.value < 0 else " " * half
        right = ("▆" * n).ljust(half) if b.value > 0 else " " * half
        sign = "+" if b.value > 0 else ""
        lines.append(f"{_label(b.label, 24):<{name_w}}  {left}│{right}  {sign}{money(b.value)}")
    return "\n".join(lines)


def horizontal(bars: list[ChartBar], width: int = WIDTH) -> str:
    """Non-negative values as bars, largest first as given."""
    if not bars:
        return "(nothing to show)"
    top = max(float(b.value) for b in bars) or 1.0
    name_w = min(24, max(len(_label(b.label, 24)) for b in bars))
    return "\n".join(f"{_label(b.label, 24):<{name_w}}  {('█' * max(1, round(float(b.value) / top * width))).ljust(width)}"
                     f"  {money(b.value)}" for b in bars)
