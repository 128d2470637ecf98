"""The summary's charts as PNG images (matplotlib, Agg backend: no display needed).

Images are deterministic for the same summary (no timestamp or software metadata), so a committed
sample only changes when its figures do. Values only position the drawing; labels show figures of the
summary formatted with `tools.contract.money`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from apps.report.layout import ChartKey, chart_title  # noqa: E402
from apps.report.model import ChartBar, WeeklySummary  # noqa: E402
from tools.contract import money  # noqa: E402

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac"]
UP, DOWN = "#d62728", "#2ca02c"
DPI = 110
_METADATA: dict[str, Any] = {"Software": None}


def _plain(text: str) -> str:
    """Text shown as is: a `$` would otherwise start matplotlib's math mode (names are data)."""
    return text.replace("$", r"\$")


def _dollars(value: float, _pos: object = None) -> str:
    sign, size = ("-" if value < 0 else ""), abs(value)
    if size >= 1000:
        return _plain(f"{sign}${size / 1000:,.0f}K" if size >= 10000 else f"{sign}${size / 1000:,.1f}K")
    return _plain(f"{sign}${size:,.0f}")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata=_METADATA, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _style(ax: Any, title: str) -> None:
    ax.set_title(_plain(title), fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)


def draw_daily(ax: Any, summary: WeeklySummary) -> None:
    c = summary.charts
    labels = [d.strftime("%a %d") for d in c.days]
    bottom = [0.0] * len(labels)
    for n, s in enumerate(c.daily):
        values = [float(v) for v in s.values[: len(labels)]]
        ax.bar(labels, values, bottom=bottom, label=_plain(s.name), color=PALETTE[n % len(PALETTE)], width=0.7)
        bottom = [b + v for b, v in zip(bottom, values)]
    for x, total in enumerate(c.day_totals[: len(labels)]):
        ax.annotate(_plain(money(total, 0)), (x, bottom[x]), ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                    textcoords="offset points")
    ax.yaxis.set_major_formatter(FuncFormatter(_dollars))
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _style(ax, chart_title(summary, "daily"))


def _hbars(ax: Any, bars: list[ChartBar], colors: list[str], signed: bool) -> None:
    names = [_plain(b.label if len(b.label) <= 28 else b.label[:27] + "…") for b in bars][::-1]
    values = [float(b.value) for b in bars][::-1]
    ax.barh(names, values, color=colors[::-1], height=0.6)
    span = max((abs(v) for v in values), default=1.0) or 1.0
    for y, (bar, v) in enumerate(zip(bars[::-1], values)):
        text = ("+" if signed and bar.value > 0 else "") + money(bar.value)
        ax.annotate(_plain(text), (v, y), ha="left" if v >= 0 else "right", va="center", fontsize=7,
                    xytext=(3 if v >= 0 else -3, 0), textcoords="offset points")
    if signed:
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_xlim(-span * 1.45, span * 1.45)
    else:
        ax.set_xlim(0, span * 1.3)
    ax.xaxis.set_major_formatter(FuncFormatter(_dollars))


def draw_movers(ax: Any, summary: WeeklySummary) -> None:
    bars = summary.charts.movers
    _hbars(ax, bars, [UP if b.value > 0 else DOWN for b in bars], signed=True)
    _style(ax, chart_title(summary, "movers"))


def draw_llm(ax: Any, summary: WeeklySummary) -> None:
    bars = summary.charts.llm_models
    _hbars(ax, bars, [PALETTE[n % len(PALETTE)] for n in range(len(bars))], signed=False)
    _style(ax, chart_title(summary, "llm_models"))


_DRAW: dict[str, tuple[Callable[[Any, WeeklySummary], None], tuple[float, float]]] = {
    "daily": (draw_daily, (8.0, 3.6)),
    "movers": (draw_movers, (8.0, 3.2)),
    "llm_models": (draw_llm, (8.0, 3.0)),
}


def has_chart(summary: WeeklySummary, key: ChartKey) -> bool:
    c = summary.charts
    return bool({"daily": c.daily and c.days, "movers": c.movers, "llm_models": c.llm_models}[key])


def chart_png(summary: WeeklySummary, key: ChartKey) -> bytes:
    """One chart as PNG bytes."""
    draw, size = _DRAW[key]
    fig = plt.figure(figsize=size)
    ax = fig.add_subplot(1, 1, 1)
    draw(ax, summary)
    return _png(fig)


def panel_png(summary: WeeklySummary) -> bytes:
    """Every chart of the summary in one image (for Slack and the README)."""
    keys = [k for k in ("daily", "movers", "llm_models") if has_chart(summary, k)]
    heights = [_DRAW[k][1][1] for k in keys] or [1.0]
    fig = plt.figure(figsize=(8.0, sum(heights) + 0.6))
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights, hspace=0.55)
    for n, key in enumerate(keys):
        _DRAW[key][0](fig.add_subplot(grid[n, 0]), summary)
    if not keys:
        fig.text(0.5, 0.5, "no chart data for this week", ha="center")
    return _png(fig)

