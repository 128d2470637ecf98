"""Evidence as the surfaces show it: one line per tool by default, everything (runnable SQL) on request.

Rendering only: the figures (rows, ms, freshness) are those the tools recorded, never recomputed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from tools.contract import Evidence, SourceFreshness
from tools.runnable_sql import runnable

# Which source a statement reads, by the tables (or the views over them) it names.
_SOURCE_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("billing (FOCUS)", ("focus_charges", "charges_allocated", "resource_owners")),
    ("LLM calls", ("llm_calls",)),
    ("LLM usage buckets", ("llm_usage_buckets",)),
    ("GPU jobs", ("gpu_jobs",)),
    ("endpoint usage", ("endpoint_usage_daily", "endpoints")),
    ("GPU utilisation (DCGM)", ("gpu_utilization",)),
)
_SHORT = {"billing (FOCUS)": "billing", "GPU utilisation (DCGM)": "GPU utilisation"}


def through(latest: datetime | None) -> str:
    """'2026-12-03' for data ending at midnight Dec 4 (complete days), else the instant to the minute."""
    if latest is None:
        return "n/a"
    if latest.time() == time():
        return (latest - timedelta(days=1)).date().isoformat()
    return latest.isoformat(sep=" ", timespec="minutes")


def sources_read(ev: Evidence) -> list[SourceFreshness]:
    """The freshness of the sources this tool's SQL read (all of them when none can be told)."""
    text = " ".join(run.sql.lower() for run in ev.sql)
    names = {label for label, tables in _SOURCE_TABLES if any(t in text for t in tables)}
    picked = [f for f in ev.freshness if f.source in names]
    return picked or list(ev.freshness)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def evidence_line(ev: Evidence, ok: bool = True, error: str | None = None) -> str:
    """'spend: 1 SQL statement, 7 rows, 24 ms; billing data through 2026-12-03'."""
    rows = sum(run.rows for run in ev.sql)
    ms = sum(run.ms for run in ev.sql)
    head = f"{ev.tool}: " + (f"error: {error}; " if not ok and error else "")
    head += f"{_plural(len(ev.sql), 'SQL statement')}, {_plural(rows, 'row')}, {ms:.0f} ms"
    fresh = ", ".join(f"{_SHORT.get(f.source, f.source)} through {through(f.latest_data)}" for f in sources_read(ev))
    return head + (f"; data: {fresh}" if fresh else "")


def short_evidence(answer: Any, full_hint: str = "--evidence full") -> str:
    """The default Evidence block: one line per tool call, and where to see the SQL."""
    if not answer.evidence and not answer.tool_calls:
        return "Evidence: none (no tool was called)."
    lines = ["Evidence (SQL and details: " + full_hint + ")"]
    by_tool = {ev.tool: ev for ev in answer.evidence}
    for call in answer.tool_calls:
        ev = by_tool.pop(call.tool, None)
        if ev is None:
            lines.append(f"- {call.tool}: " + ("ok" if call.ok else f"error: {call.error}"))
        else:
            lines.append("- " + evidence_line(ev, call.ok, call.error))
    lines += ["- " + evidence_line(ev) for ev in by_tool.values()]
    return "\n".join(lines)


def full_evidence(answer: Any) -> str:
    """Everything: each tool call with its arguments, each statement as runnable SQL (parameters inlined),
    the notes and the freshness of every source."""
    if not answer.evidence and not answer.tool_calls:
        return "Evidence: none (no tool was called)."
    lines = ["Evidence"]
    for call in answer.tool_calls:
        args = ", ".join(f"{k}={v!r}" for k, v in call.args.items() if v not in (None, [], {}, ""))
        lines.append(f"- tool {call.tool}({args}) -> " + ("ok" if call.ok else f"error: {call.error}"))
    for ev in answer.evidence:
        for note in ev.notes:
            lines.append(f"- note ({ev.tool}): {note}")
        for i, run in enumerate(ev.sql, 1):
            lines.append(f"- SQL {i}/{len(ev.sql)} ({ev.tool}, {_plural(run.rows, 'row')}, {run.ms:.0f} ms); "
                         f"parameters inlined, run it with `duckdb STORE`:")
            try:
                lines.append(runnable(run))
            except ValueError:             # placeholders and parameters do not pair up: show both as recorded
                lines.append(run.sql + (f"\n-- parameters: {run.params}" if run.params else ""))
    seen: set[str] = set()
    for ev in answer.evidence:
        for f in ev.freshness:
            if f.source not in seen:
                seen.add(f.source)
                ingest = f.latest_ingest.isoformat(sep=" ", timespec="seconds") if f.latest_ingest else "n/a"
                lines.append(f"- freshness: {f.source}: data through {through(f.latest_data)}; "
                             f"last ingest {ingest}; {f.rows:,} rows")
    return "\n".join(lines)
