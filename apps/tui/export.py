"""Getting an answer out of the terminal: its rows as CSV files, its text for the clipboard."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from agent.answer import Answer
from tools.contract import TableView


def csv_value(value: Any) -> str:
    """Exact, machine-readable: Decimals keep every digit, dates are ISO, None is empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


def write_table_csv(table: TableView, path: Path) -> int:
    """Write one table to `path`; returns the number of data rows written."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([csv_value(v) for v in row])
    return len(table.rows)


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (s[:limit].rstrip("-") or "answer")


def export_answer_csv(answer: Answer, directory: Path) -> list[tuple[Path, int]]:
    """Write each table of the answer to `finops-<question-slug>[-N].csv` in `directory` (never
    overwriting a file). Returns (path, rows) per file; empty when the answer has no rows."""
    written: list[tuple[Path, int]] = []
    base = f"finops-{slug(answer.question)}"
    for table in answer.tables:
        n = 1
        path = directory / f"{base}.csv"
        while path.exists():
            n += 1
            path = directory / f"{base}-{n}.csv"
        written.append((path, write_table_csv(table, path)))
    return written


def clipboard_text(answer: Answer) -> str:
    """The answer as plain text: question, answer, rows (tab-separated) and the Evidence block."""
    parts = [f"Q: {answer.question}", answer.text]
    if answer.notice:
        parts.append(answer.notice)
    for table in answer.tables:
        lines = ["\t".join(table.columns)]
        lines += ["\t".join(csv_value(v) for v in row) for row in table.rows]
        parts.append("\n".join(lines))
    if answer.evidence or answer.tool_calls:
        parts.append(answer.evidence_text())
    return "\n\n".join(p for p in parts if p)
