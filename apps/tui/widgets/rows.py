"""The rows behind an answer: a table that fits the screen, the exact figures of the selected row below it.

When the natural width of the table is wider than the space it has (an 80-column terminal), money cells
are abbreviated ($52.2K) instead of being clipped; the exact values of the highlighted row are always
shown on the line under the table, so nothing is lost.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from apps.tui.cells import cell_plain, cell_text, compact_money, is_money_column
from tools.contract import TableView

CELL_PADDING = 1     # DataTable's default padding each side of a cell


def natural_width(columns: list[str], rows: list[list[str]]) -> int:
    """The width a DataTable needs to show every cell in full (widest cell per column plus padding)."""
    widths = [len(c) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    return sum(w + 2 * CELL_PADDING for w in widths)


MIN_TEXT_WIDTH = 8
_DOLLARS = re.compile(r"^-?\$[\d,]+(\.\d+)?$")


def fitted_cells(table: TableView, width: int) -> tuple[list[list[str]], bool, list[int]]:
    """The cells as shown in `width` columns, whether money had to be abbreviated to fit, and each
    column's width: money is abbreviated first, then the widest text columns are shortened (with an
    ellipsis; the row's full text is on the detail line)."""
    full = [[cell_plain(c, v) for c, v in zip(table.columns, row)] for row in table.rows]
    abbreviated = natural_width(table.columns, full) > width
    if abbreviated:
        money_cols = {i for i, c in enumerate(table.columns)
                      if is_money_column(c) or all(_DOLLARS.match(row[i]) or row[i] in ("", "-", "unknown") for row in full)}
        full = [[compact_money(cell) if i in money_cols else cell for i, cell in enumerate(row)] for row in full]
    widths = [max([len(c), *(len(row[i]) for row in full)]) for i, c in enumerate(table.columns)]
    numeric = {i for i in range(len(widths)) if all(_numeric(row[i]) for row in full)}
    spare = width - 2 * CELL_PADDING * len(widths)
    while sum(widths) > spare:
        shrinkable = [i for i in range(1, len(widths)) if i not in numeric and widths[i] > MIN_TEXT_WIDTH]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] = max(MIN_TEXT_WIDTH, widths[widest] - (sum(widths) - spare))
    return full, abbreviated, widths


def _numeric(cell: str) -> bool:
    return bool(cell) and (cell[0] in "$-+" or cell[0].isdigit()) and len(cell) <= 16


class RowsTable(Vertical):
    """A DataTable of the answer's rows and a line with the selected row's exact values."""

    DEFAULT_CSS = """
    RowsTable { height: auto; margin-top: 1; }
    RowsTable > DataTable { height: auto; max-height: 12; }
    RowsTable > .row-detail { color: $text-muted; height: auto; }
    """

    def __init__(self, table: TableView, width: int) -> None:
        super().__init__(classes="rows-block")
        self.table = table
        self.cells, self.abbreviated, self.widths = fitted_cells(table, width)

    def compose(self) -> ComposeResult:
        grid: DataTable[Text] = DataTable(zebra_stripes=True, cursor_type="row", classes="rows")
        for c, w in zip(self.table.columns, self.widths):
            grid.add_column(Text(c), width=w)
        for shown, row in zip(self.cells, self.table.rows):
            grid.add_row(*(_cell(c, v, s, w) for c, v, s, w in zip(self.table.columns, row, shown, self.widths)))
        yield grid
        yield Static(self.detail(0), classes="row-detail")

    def detail(self, index: int) -> Text:
        """'row 1/7 · team recsys · billed $52,150.66 · …': the exact figures of one row."""
        if not self.table.rows:
            return Text("")
        row = self.table.rows[min(index, len(self.table.rows) - 1)]
        parts = [f"{c} {cell_plain(c, v)}" for c, v in zip(self.table.columns, row) if v not in (None, "")]
        note = " (exact)" if self.abbreviated or any(
            len(cell) > w for cell, w in zip(self.cells[min(index, len(self.cells) - 1)], self.widths)) else ""
        return Text(f"row {index + 1}/{len(self.table.rows)}{note}: " + " · ".join(parts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.query_one(".row-detail", Static).update(self.detail(event.cursor_row))


def _cell(column: str, value: Any, shown: str, width: int) -> Text:
    text = cell_text(column, value)
    if len(shown) > width:
        shown = shown[: width - 1] + "…"
    if text.plain != shown:
        text = Text(shown, style=text.style, justify=text.justify, no_wrap=True)
    return text
