"""Charts in the terminal: a sparkline for a time series, horizontal bars for a breakdown.

The figures printed beside a chart are the table's own cells (exact); floats only scale the drawing.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from apps.tui.charts import ChartSpec

_EIGHTHS = " ▏▎▍▌▋▊▉█"
MAX_BAR_WIDTH = 48


class BarsChart(Widget):
    """One bar per row: label, bar scaled to the largest value, the exact figure."""

    COMPONENT_CLASSES = {"barschart--bar", "barschart--title"}
    DEFAULT_CSS = """
    BarsChart { height: auto; }
    BarsChart > .barschart--bar { color: $accent; }
    BarsChart > .barschart--title { text-style: bold; }
    """

    def __init__(self, spec: ChartSpec, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.spec = spec

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.spec.points) + 1 + (1 if self.spec.more else 0)

    def render(self) -> RenderableType:
        points = self.spec.points
        width = max(self.size.width, 20)
        label_w = min(max(len(p.label) for p in points), max(8, width // 3))
        shown_w = max(len(p.shown) for p in points)
        bar_w = max(4, min(MAX_BAR_WIDTH, width - label_w - shown_w - 3))
        top = max(p.value for p in points) or 1.0
        bar_style = self.get_component_rich_style("barschart--bar")
        text = Text(no_wrap=True)
        text.append(self.spec.title, style=self.get_component_rich_style("barschart--title"))
        for p in points:
            text.append("\n")
            label = p.label if len(p.label) <= label_w else p.label[: label_w - 1] + "…"
            text.append(label.ljust(label_w) + " ")
            eighths = round(p.value / top * bar_w * 8) if p.value > 0 else 0
            full, part = divmod(eighths, 8)
            bar = "█" * full + (_EIGHTHS[part] if part else "")
            text.append(bar.ljust(bar_w), style=bar_style)
            text.append(" " + p.shown.rjust(shown_w))
        if self.spec.more:
            text.append(f"\n… {self.spec.more} more rows in the table", style="dim")
        return text


class SeriesChart(Vertical):
    """A sparkline of a time series with its first/last label and min/max figures."""

    DEFAULT_CSS = """
    SeriesChart { height: auto; }
    SeriesChart > Sparkline { height: 3; }
    """

    def __init__(self, spec: ChartSpec, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.spec = spec

    def compose(self) -> ComposeResult:
        points = self.spec.points
        low = min(points, key=lambda p: p.value)
        high = max(points, key=lambda p: p.value)
        yield Static(Text(self.spec.title, style="bold", no_wrap=True, overflow="ellipsis"))
        yield Sparkline([p.value for p in points], summary_function=max)
        caption = Text(no_wrap=True, overflow="ellipsis", style="dim")
        caption.append(f"{points[0].label} → {points[-1].label} · {len(points)} points · ")
        caption.append(f"min {low.shown} ({low.label}) · max {high.shown} ({high.label})")
        yield Static(caption)


def chart_widget(spec: ChartSpec) -> Widget:
    return SeriesChart(spec, classes="chart") if spec.kind == "series" else BarsChart(spec, classes="chart")
