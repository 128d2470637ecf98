"""The tool contract: evidence, results, and the typed errors every tool raises."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from knowledge.errors import FinopsError, MissingDataError, UnknownNameError

__all__ = ["FinopsError", "MissingDataError", "UnknownNameError"]


class SqlRun(BaseModel):
    """One SQL statement a tool ran, with its parameters and how many rows it returned."""

    sql: str
    params: list[Any] = Field(default_factory=list)
    rows: int = 0
    ms: float = 0.0


class SourceFreshness(BaseModel):
    """How fresh one source of data is: latest charge period end and latest ingest."""

    source: str
    latest_data: datetime | None = None
    latest_ingest: datetime | None = None
    rows: int = 0


class Evidence(BaseModel):
    """What a result rests on. Surfaces render it; they never recompute it."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    sql: list[SqlRun] = Field(default_factory=list)
    freshness: list[SourceFreshness] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class TableView(BaseModel):
    """Rows behind an answer, ready for a table on any surface (CLI, TUI, Slack)."""

    columns: list[str]
    rows: list[list[Any]]


class Listed(BaseModel):
    """One thing a result lists (a row, a waste item, an offender): what "those"/"them" in the next
    question refers to."""

    key: str
    name: str | None = None


class Figure(BaseModel):
    """One figure a result shows, with the thing it is about and its unit."""

    subject: str | None = None     # the listed thing it belongs to (its table row's first cell)
    label: str                     # what it measures (the table's column)
    value: Decimal | None = None   # the amount (None when the shown text holds no single amount)
    unit: str = "USD"
    text: str                      # as shown, formatted by `money()`
    row: int | None = None         # the table row it is shown in


class Listing(NamedTuple):
    """Where a result lists its things: the list field, and each item's key and (optional) name attribute."""

    field: str
    key: str
    name: str | None = None


# Keys that are a total or a remainder, not a thing a follow-up can be about.
NOT_KEYS = frozenset({"total", "other", "unallocated"})
_MONEY = re.compile(r"-?\$-?[\d,]+(?:\.\d+)?")


class ToolResult(BaseModel):
    """Base of every tool result. Subclasses add typed fields and implement `summary()`.

    Code outside a tool never guesses at a result's shape: it reads these accessors, which each result
    class configures by declaring its shape below (or overrides):
    - `listed()`: the things the answer lists ("those" in the next question), from `listing`;
    - `subjects()`: the resource ids it is about, best first ("it"), from `subject_paths`;
    - `figures()`: its money figures with their subject and unit (from its table, or overridden);
    - `identifiers()`: ids a surface acts on (e.g. `estimate_id`), from `identifier_fields`;
    - `answers_about_listed`: the tools whose question about the listed things ("what do they cost?",
      "who owns them?") this result answers itself, so the same call runs again.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    listing: ClassVar[Listing | None] = None
    subject_paths: ClassVar[tuple[tuple[str | int, ...], ...]] = ()
    identifier_fields: ClassVar[tuple[str, ...]] = ()
    answers_about_listed: ClassVar[frozenset[str]] = frozenset()

    evidence: Evidence | None = None

    def summary(self) -> str:
        """A few plain sentences stating the result's figures (money formatted), for people and models."""
        raise NotImplementedError

    def table(self) -> TableView | None:
        """The rows behind the answer, if any."""
        return None

    def listed(self) -> list[Listed]:
        """The things the answer lists, each with its key and name; without a `listing`, the first column
        of the result's table."""
        listing = self.listing
        if listing is None:
            table = self.table()
            return [Listed(key=str(r[0])) for r in (table.rows if table else [])
                    if r and r[0] not in (None, "") and str(r[0]) not in NOT_KEYS]
        out: list[Listed] = []
        for item in getattr(self, listing.field):
            key = getattr(item, listing.key, None)
            if key in (None, "") or str(key) in NOT_KEYS or str(key).startswith("("):
                continue
            name = getattr(item, listing.name, None) if listing.name else None
            out.append(Listed(key=str(key), name=None if name in (None, "", key) else str(name)))
        return out

    def subjects(self) -> list[str]:
        """The resource ids the result is about, best first, deduplicated: the first of `subject_paths`
        (attribute names, or an index into a list; a list met on the way is walked item by item) that
        gives any."""
        for path in self.subject_paths:
            out: list[str] = []
            for value in _walk(self, path):
                if isinstance(value, str) and value and value not in out:
                    out.append(value)
            if out:
                return out
        return []

    def figures(self) -> list[Figure]:
        """The money figures the result's table shows (cells formatted by `money()`), each with its row's
        first cell as subject. A result whose figures are not in its table overrides this."""
        table = self.table()
        if table is None:
            return []
        out: list[Figure] = []
        for r, row in enumerate(table.rows):
            subject = None if not row or row[0] in (None, "") else str(row[0])
            for c in range(1, len(row)):
                cell = row[c]
                if isinstance(cell, str) and "$" in cell:
                    out.append(Figure(subject=subject, label=str(table.columns[c]) if c < len(table.columns) else "",
                                      value=parse_money(cell), text=cell, row=r))
        return out

    def identifiers(self) -> dict[str, str]:
        """Ids a surface acts on (e.g. {"estimate_id": ...} for Approve/Reject buttons)."""
        out: dict[str, str] = {}
        for name in self.identifier_fields:
            value = getattr(self, name, None)
            if value not in (None, ""):
                out[name] = str(value)
        return out


def _walk(value: Any, path: tuple[str | int, ...]) -> list[Any]:
    if not path:
        return [value]
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        return _walk(value[head], rest) if isinstance(value, list) and len(value) > head else []
    if isinstance(value, list):
        return [v for item in value for v in _walk(item, path)]
    if isinstance(value, BaseModel) and head in type(value).model_fields:
        return _walk(getattr(value, head), rest)
    return []


def parse_money(text: str) -> Decimal | None:
    """The first amount `money()` wrote in `text` ("$1,234.56", "-$3.00"), or None."""
    m = _MONEY.search(text)
    if m is None:
        return None
    try:
        return Decimal(m.group(0).replace("$", "").replace(",", ""))
    except InvalidOperation:
        return None


class PeriodError(FinopsError):
    """A period that cannot be parsed, lies in the future, or holds no data."""


class NoDataError(FinopsError):
    """The store holds no data for what was asked (not the same as a zero cost)."""


def money(value: Decimal | int | float | None, places: int = 2) -> str:
    """Format money for display: $1,234.56; None -> 'unknown' (never $0)."""
    if value is None:
        return "unknown"
    d = Decimal(value)
    q = Decimal(1).scaleb(-places)
    sign = "-" if d < 0 else ""
    return f"{sign}${abs(d).quantize(q):,}"


def pct(value: Decimal | float | None, places: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{Decimal(value) * 100:.{places}f}%"
