"""What a connector's parser hands the loader: good rows for one target table, rejects with their
position, and notes. Parsers never touch the store; the loader never parses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Reject:
    line: int  # 1-based line of the record in its input (for Parquet: the row number)
    reason: str
    raw: str | None = None


@dataclass
class Parsed:
    """One input, parsed. `rows` hold dicts keyed by the target's column names plus `x_line`."""

    kind: str
    file: str  # the name the store records
    shown: str
    format: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    account: str | None = None
    digest: str | None = None  # SHA-256 of the input's (decompressed) content

    @property
    def read(self) -> int:
        return len(self.rows) + len(self.rejects)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class ConnectorOptions(BaseModel):
    """Choices the user makes on the command line, shared by every connector (each reads what it needs)."""

    account: str | None = Field(None, description="Organization / billing account the pages belong to.")
    usd_rates: dict[str, Decimal] = Field(
        default_factory=dict, description="USD per unit of another currency, e.g. {'EUR': Decimal('1.08')}."
    )
    scraped_at: datetime | None = Field(None, description="DCGM: time of a scrape whose samples carry no timestamp.")
    metric: str | None = Field(None, description="DCGM: metric of range-query series that carry no __name__ label.")
