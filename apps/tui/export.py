"""Getting an answer out of the terminal: its rows as CSV files, its text for the clipboard.

The CSV holds exact values for machines and spreadsheets, never the display text: each tool result the
answer carries (`Answer.results`, the typed result dumped with its Decimals as digit strings) is rebuilt
into its model and its rows are written from the typed fields: money as exact decimal digits with the unit
in the column name (`billed_usd`), shares and changes as fractions (`share_ratio` 0.1945 for 19.5%), keys
as raw text, dates ISO. The column lists are the ones `finops … --json` uses (apps.cli.tool_runner); the
tools that command does not cover (spend, llm_spend, estimate, explain_charge, job_runs, who_owns) are
declared here. Only an answer whose results cannot be rebuilt falls back to its display table, with the
unit of a formatted column stated in its name ("billed (USD, as shown)").

Files are created, never opened: O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600, so an existing file or a
symlink (dangling or not) at the export name is neither followed nor overwritten; the next free name
(`-2`, `-3`, …, then a random suffix) is used instead.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from agent.answer import Answer
from tools.contract import TableView, ToolResult


def csv_value(value: Any) -> str:
    """Exact, machine-readable: Decimals keep every digit, dates are ISO, None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(csv_value(v) for v in value)
    return str(value)


# -- the exact rows of a result ---------------------------------------------------------------------------
Column = tuple[str, Callable[[Any], Any]]
# tool -> (the result's field holding its row models, [(column name with its unit, value of a row)])
_COLUMNS: dict[str, tuple[str, list[Column]]] = {
    "estimate": ("lines", [
        ("item", lambda ln: ln.item), ("quantity", lambda ln: ln.quantity), ("unit", lambda ln: ln.unit),
        ("unit_price_usd", lambda ln: ln.unit_price), ("cost_usd", lambda ln: ln.cost)]),
    "explain_charge": ("breakdown", [
        ("sku", lambda b: b.sku_id), ("description", lambda b: b.description),
        ("resource_id", lambda b: b.resource_id), ("resource_name", lambda b: b.resource_name),
        ("quantity", lambda b: b.quantity), ("unit", lambda b: b.unit), ("provider", lambda b: b.provider),
        ("team", lambda b: b.team), ("billed_usd", lambda b: b.billed), ("effective_usd", lambda b: b.effective),
        ("share_ratio", lambda b: b.share), ("charges", lambda b: b.rows)]),
    "job_runs": ("jobs", [
        ("name", lambda j: j.name), ("job_id", lambda j: j.job_id), ("team", lambda j: j.team),
        ("owner", lambda j: j.owner), ("project", lambda j: j.project), ("kind", lambda j: j.kind),
        ("gpu_type", lambda j: j.gpu_type), ("gpu_count", lambda j: j.gpu_count),
        ("started_at", lambda j: j.started_at), ("ended_at", lambda j: j.ended_at), ("hours", lambda j: j.hours),
        ("cost_usd", lambda j: j.actual_cost), ("outcome", lambda j: j.outcome)]),
    "who_owns": ("sources", [
        ("source", lambda s: s.source), ("team", lambda s: s.team), ("owner", lambda s: s.owner),
        ("confidence_ratio", lambda s: s.confidence), ("detail", lambda s: s.detail)]),
}


def _spend_table(result: Any) -> dict[str, Any]:
    by_resource = result.group_by == "resource"
    with_prev = result.previous is not None
    cols = [result.group_by] + (["name"] if by_resource else []) + ["billed_usd", "effective_usd", "share_ratio"]
    if with_prev:
        cols += ["previous_billed_usd", "change_usd", "change_ratio"]
    cols += ["charges", "folded_keys", "is_other", "is_unallocated", "is_total"]

    def line(key: Any, name: Any, billed: Any, effective: Any, share: Any, prev: Any, change: Any,
             change_pct: Any, tail: list[Any]) -> list[Any]:
        out = [key] + ([name] if by_resource else []) + [billed, effective, share]
        if with_prev:
            out += [prev, change, change_pct]
        return out + tail

    rows = [line(r.key, r.name, r.billed, r.effective, r.share, r.previous_billed, r.change, r.change_pct,
                 [r.charges, r.folded, r.is_other, r.is_unallocated, False]) for r in result.rows]
    rows.append(line("total", None, result.total_billed, result.total_effective,
                     Decimal(1) if result.total_billed else None, result.previous_total_billed, result.change,
                     result.change_pct, [getattr(result, "charges", None), None, False, False, True]))
    return {"columns": cols, "rows": rows}


def _llm_spend_table(result: Any) -> dict[str, Any]:
    cols = [result.group_by, "calls", "input_tokens", "cached_input_tokens", "output_tokens", "cached_ratio",
            "cost_usd", "unknown_cost_calls", "cost_usd_per_1k_calls", "cost_usd_per_1m_tokens", "share_ratio",
            "previous_cost_usd", "change_usd", "change_ratio", "folded_keys", "is_other", "is_total"]
    rows = []
    if not result.nothing_matched():
        for r, total in [(r, False) for r in result.rows] + [(result.total, True)]:
            rows.append([r.key, r.calls, r.input_tokens, r.cached_input_tokens, r.output_tokens, r.cached_share,
                         r.cost, r.unknown_calls, r.cost_per_1k_calls, r.cost_per_1m_tokens, r.share,
                         r.previous_cost, r.change, r.change_pct, None if total else r.folded, r.is_other, total])
    return {"columns": cols, "rows": rows}


def _query_costs_table(result: Any) -> dict[str, Any]:
    from apps.cli.tool_runner import machine_table

    table = machine_table("query_costs", result)
    assert table is not None, "query_costs always has a machine table"
    cols, rows = list(table["columns"]), [row + [False] for row in table["rows"]]
    # the total row: the same columns, "total" in the first key column, the totals of each measure
    measures = list(result.measures)
    first = measures[0] if measures else None
    keys: list[Any] = ["total"] + [None] * (len(result.group_by) - 1) if result.group_by else []
    total = keys + [result.totals.get(m.name) for m in measures]
    total.append((Decimal(1) if result.totals.get(first.name) else None)
                 if first is not None and first.unit != "ratio" else None)
    if result.compare_period is not None:
        total += [result.previous_totals.get(m.name) for m in measures]
    total += [False, None, result.charges, True]
    return {"columns": cols + ["is_total"], "rows": rows + [total]}


_BUILDERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "spend": _spend_table, "llm_spend": _llm_spend_table, "query_costs": _query_costs_table,
}


def machine_table(tool: str, result: ToolResult) -> TableView | None:
    """The rows of one tool result as exact values (typed fields, never the display text); None: the
    tool has no declared columns (the caller falls back to the display table)."""
    from apps.cli.tool_runner import MACHINE_COLUMNS, machine_value

    if tool in _BUILDERS:
        table = _BUILDERS[tool](result)
    else:
        spec = _COLUMNS.get(tool) or MACHINE_COLUMNS.get(tool)
        if spec is None:
            return None
        field, columns = spec
        table = {"columns": [name for name, _ in columns],
                 "rows": [[get(row) for _, get in columns] for row in getattr(result, field, None) or []]}
    return TableView(columns=table["columns"], rows=[[machine_value(v) for v in row] for row in table["rows"]])


def _rebuilt_results(answer: Answer) -> list[tuple[str, ToolResult]] | None:
    """The answer's tool results as their models again (each ok call has one result, in order)."""
    from tools.registry import registry

    calls = [c for c in answer.tool_calls if c.ok]
    if len(calls) != len(answer.results):
        return None
    out = []
    for call, data in zip(calls, answer.results):
        try:
            out.append((call.tool, registry.get(call.tool).result_model.model_validate(data)))
        except Exception:  # a result that does not rebuild: the display tables are exported instead
            return None
    return out


_MONEY = re.compile(r"^(≥ )?-?\$[\d,]+(\.\d+)?$")
_PERCENT = re.compile(r"^[+-]?\d+(\.\d+)?%$")
_NOT_A_VALUE = {"", "unknown", "n/a", "-"}


def display_table(table: TableView) -> TableView:
    """A display table as it is, with the unit of each formatted column stated in its name."""
    columns = list(table.columns)
    for i, name in enumerate(columns):
        cells = [row[i] for row in table.rows if i < len(row) and row[i] not in _NOT_A_VALUE and row[i] is not None]
        if not cells or not all(isinstance(c, str) for c in cells):
            continue
        if all(_MONEY.match(c) for c in cells):
            columns[i] = f"{name} (USD, as shown)"
        elif all(_PERCENT.match(c) for c in cells):
            columns[i] = f"{name} (%, as shown)"
    return TableView(columns=columns, rows=table.rows)


def export_tables(answer: Answer) -> list[TableView]:
    """One table per table of the answer: exact rows from its result models, else the display table."""
    rebuilt = _rebuilt_results(answer)
    if rebuilt is not None:
        pairs = [(tool, result, result.table()) for tool, result in rebuilt]
        pairs = [(tool, result, shown) for tool, result, shown in pairs if shown is not None]
        if len(pairs) == len(answer.tables):
            return [machine_table(tool, result) or display_table(shown) for tool, result, shown in pairs
                    if shown is not None]
    return [display_table(t) for t in answer.tables]


# -- writing files that did not exist ---------------------------------------------------------------------
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_NUMBERED = 100   # finops-x.csv, finops-x-2.csv … finops-x-100.csv, then a random suffix


def create_new(directory: Path, base: str, suffix: str = ".csv") -> tuple[Path, int]:
    """Create a new file (mode 0600) named `base[-N]suffix` in `directory` and return (path, fd). Never
    follows a symlink and never opens an existing file: a taken name (file, directory, symlink, dangling or
    not) moves on to the next one."""
    names = [f"{base}{suffix}"] + [f"{base}-{n}{suffix}" for n in range(2, _NUMBERED + 1)]
    names += [f"{base}-{secrets.token_hex(6)}{suffix}" for _ in range(3)]
    for name in names:
        path = directory / name
        try:
            return path, os.open(path, _CREATE, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free file name for {base}{suffix} in {directory}")


def write_table_csv(table: TableView, directory: Path, base: str) -> tuple[Path, int]:
    """Write one table to a new file in `directory`; returns (path, data rows written). A file that
    cannot be written completely is removed."""
    path, fd = create_new(directory, base)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(table.columns)
            for row in table.rows:
                writer.writerow([csv_value(v) for v in row])
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, len(table.rows)


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (s[:limit].rstrip("-") or "answer")


class ExportError(OSError):
    """A CSV that could not be written, with the files written before it."""

    def __init__(self, directory: Path, cause: OSError, written: list[tuple[Path, int]]) -> None:
        reason = cause.strerror or str(cause)
        done = "".join(f"\nExported {rows:,} rows to {path}" for path, rows in written)
        super().__init__(f"Could not write the CSV in {directory}: {reason}. No existing file was "
                         f"touched.{done}")
        self.written = written


def export_answer_csv(answer: Answer, directory: Path) -> list[tuple[Path, int]]:
    """Write each table of the answer, as exact values, to a new `finops-<question-slug>[-N].csv` in
    `directory` (never overwriting a file nor following a symlink). Returns (path, rows) per file; empty
    when the answer has no rows. Raises ExportError (an OSError) when a file cannot be written."""
    written: list[tuple[Path, int]] = []
    base = f"finops-{slug(answer.question)}"
    for table in export_tables(answer):
        try:
            written.append(write_table_csv(table, directory, base))
        except OSError as exc:
            raise ExportError(directory, exc, written) from exc
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
