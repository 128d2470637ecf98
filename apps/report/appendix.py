"""The evidence appendix shared by the markdown and HTML renderers: per tool call, its SQL with parameters,
row counts, notes and data freshness (deterministic: no timings, so a re-run gives the same file)."""

from __future__ import annotations

import json

from pydantic import BaseModel

from apps.report.layout import day_end
from apps.report.model import ToolCall


class SqlItem(BaseModel):
    sql: str
    params: str          # JSON
    rows: int


class AppendixItem(BaseModel):
    id: str
    anchor: str
    tool: str
    purpose: str
    args: str            # JSON
    error: str | None
    sql: list[SqlItem]
    freshness: list[str]
    notes: list[str]


def anchor(call_id: str) -> str:
    return f"evidence-{call_id.lower()}"


def appendix(calls: list[ToolCall]) -> list[AppendixItem]:
    out = []
    for c in calls:
        ev = c.evidence
        out.append(AppendixItem(
            id=c.id, anchor=anchor(c.id), tool=c.tool, purpose=c.purpose,
            args=json.dumps(c.args, sort_keys=True, ensure_ascii=False), error=c.error,
            sql=[SqlItem(sql=r.sql, params=json.dumps(r.params, ensure_ascii=False), rows=r.rows) for r in ev.sql]
            if ev else [],
            freshness=[f"{f.source}: data through {day_end(f.latest_data)}, {f.rows:,} rows"
                       + (f", ingested {f.latest_ingest.isoformat(sep=' ', timespec='seconds')}" if f.latest_ingest else "")
                       for f in ev.freshness] if ev else [],
            notes=list(ev.notes) if ev else [],
        ))
    return out
