"""What an ingest reports: per file, the reconciled counts (read = loaded + quarantined) and notes."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field


class QuarantinedRow(BaseModel):
    line: int  # 1-based physical line (header = 1); for Parquet, the 1-based row number
    reason: str


class FileReport(BaseModel):
    file: str
    ingest_id: str
    kind: str
    format: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_replaced: int = 0
    billing_accounts: list[str] = Field(default_factory=list)
    billing_periods: list[str] = Field(default_factory=list)
    billed_cost: dict[str, Decimal] = Field(default_factory=dict)  # FOCUS: loaded BilledCost per currency
    notes: list[str] = Field(default_factory=list)
    first_rejects: list[QuarantinedRow] = Field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = Field(default_factory=dict)  # seconds per phase (reading, loading, ...)
    content_sha256: str | None = None  # of the decompressed content (CSV.gz) or the bytes (other files)
    skipped: str | None = None  # why nothing of this file was loaded (its content was loaded already)

    def counts_line(self) -> str:
        """The contract line: `read N, loaded L, quarantined Q` (or why the file was skipped)."""
        if self.skipped:
            return f"skipped, nothing loaded: {self.skipped}"
        return f"read {self.rows_read}, loaded {self.rows_loaded}, quarantined {self.rows_quarantined}"


class IngestReport(BaseModel):
    kind: str
    db: str
    files: list[FileReport] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def files_skipped(self) -> int:
        return sum(1 for f in self.files if f.skipped)
