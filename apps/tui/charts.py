"""Which chart, if any, suits the rows behind an answer: a time series (sparkline) or a breakdown (bars).

Pure functions over `TableView`; the widgets in `apps.tui.widgets.charts` draw what they return.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from apps.tui.cells import as_number, cell_plain, is_money_column, percent_value
from tools.contract import TableView

_TIME_COLUMNS = {"day", "date", "week", "month", "period", "hour", "ts", "timestamp", "period_start"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}.*)?$|^\d{4}-W\d{2}$")
_NOT_A_MEASURE = ("share", "pct", "percent", "%", "change", "delta", "ratio", "rank")
MAX_BARS = 12


class ChartPoint(BaseModel):
    label: str
    value: float          # only scales the drawing
    shown: str            # the figure as the table shows it (exact)


class ChartSpec(BaseModel):
    kind: Literal["series", "bars"]
    title: str
    points: list[ChartPoint]
    more: int = 0         # rows not drawn (bars are capped at MAX_BARS)


def chart_for(table: TableView) -> ChartSpec | None:
    """A chart for a table whose first column is a time or a category and which has a measure."""
    if len(table.columns) < 2 or len(table.rows) < 2:
        return None
    used = _used_share_column(table)
    measure = used if used is not None else _measure_column(table)
    if measure is None:
        return None
    key = _label_column(table)
    key_name, measure_name = table.columns[key], table.columns[measure]
    read = percent_value if used is not None else as_number
    series = _is_time(key_name, [row[key] for row in table.rows])
    points = [
        ChartPoint(label=cell_plain(key_name, row[key]), value=value, shown=cell_plain(measure_name, row[measure]))
        for row in table.rows
        if (value := read(row[measure])) is not None and (not series or _is_time_value(row[key]))
    ]  # a series drops its summary rows ("total"): only dated points are drawn
    if used is not None:
        measure_name = "% of budget used"
    if len(points) < (3 if series else 2):
        return None
    if series:
        points.sort(key=lambda p: p.label)
        return ChartSpec(kind="series", title=f"{measure_name} by {key_name}", points=points)
    if points[-1].label.casefold() == "total" and table.rows[-1][0] == points[-1].label:
        points.pop()  # the table's summary row is not a part of the breakdown
    if len(points) < 2 or any(p.value < 0 for p in points):
        return None
    return ChartSpec(kind="bars", title=f"{measure_name} by {key_name}", points=points[:MAX_BARS],
                     more=max(0, len(points) - MAX_BARS))


def _label_column(table: TableView) -> int:
    """The column that names each bar: the first one, unless its values repeat (every waste item's kind
    is 'zombie_job') and a later text column names each row once (the job's name)."""
    first = [str(row[0]) for row in table.rows]
    if len(set(first)) == len(first) or _is_time(table.columns[0], [row[0] for row in table.rows]):
        return 0
    for i in range(1, len(table.columns)):
        values = [row[i] for row in table.rows]
        if all(isinstance(v, str) and v and as_number(v) is None and percent_value(v) is None for v in values) \
                and len(set(values)) == len(values):
            return i
    return 0


def _used_share_column(table: TableView) -> int | None:
    """For budgets, the share of the budget used ('%'): a team at 87% is the longest bar, whatever the
    size of its budget. None unless the table has a budget column and a percentage column."""
    names = [c.lower() for c in table.columns]
    if not any("budget" in n for n in names):
        return None
    for i, n in enumerate(names):
        if n in ("%", "% used", "used %", "used", "pct used", "share used") and all(
                row[i] in (None, "") or percent_value(row[i]) is not None for row in table.rows):
            return i
    return None


def _measure_column(table: TableView) -> int | None:
    """The money column if there is one, else the first numeric column that is not a share or rank."""
    numeric = [
        i for i in range(1, len(table.columns))
        if all(row[i] is None or as_number(row[i]) is not None for row in table.rows)
        and any(as_number(row[i]) is not None for row in table.rows)
    ]
    for i in numeric:
        if is_money_column(table.columns[i]):
            return i
    for i in numeric:
        name = table.columns[i].lower()
        if not any(h in name for h in _NOT_A_MEASURE) and not name.endswith("id"):
            return i
    return None


def _is_time(column: str, values: list[Any]) -> bool:
    """A time axis: a time-named first column, or one whose values are all dates."""
    if column.lower() in _TIME_COLUMNS:
        return any(_is_time_value(v) for v in values)
    present = [v for v in values if v is not None]
    return bool(present) and all(_is_time_value(v) for v in present)


def _is_time_value(value: Any) -> bool:
    return isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value) is not None)
