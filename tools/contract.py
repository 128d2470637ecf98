"""The tool contract: evidence, results, and the typed errors every tool raises."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

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


class ToolResult(BaseModel):
    """Base of every tool result. Subclasses add typed fields and implement `summary()`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    evidence: Evidence | None = None

    def summary(self) -> str:
        """A few plain sentences stating the result's figures (money formatted), for people and models."""
        raise NotImplementedError

    def table(self) -> TableView | None:
        """The rows behind the answer, if any."""
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
