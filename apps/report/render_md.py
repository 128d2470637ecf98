"""The summary as markdown: for a terminal (charts as text) or a file next to its PNG charts."""

from __future__ import annotations

import re

from apps.report import textcharts
from apps.report.appendix import anchor, appendix
from apps.report.layout import Block, ChartKey, Document, Table
from apps.report.model import WeeklySummary

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_text(text: str) -> str:
    """Plain text (it may hold data: names, tag values) with markdown's control characters escaped."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _fence(content: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{content}\n{ticks}"


def _code(text: str) -> str:
    """Inline code that no backtick inside can close early."""
    return "`" + text.replace("`", "'") + "`"


def _table(t: Table) -> list[str]:
    head = "| " + " | ".join(md_text(c) for c in t.columns) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in t.numeric) + "|"
    rows = ["| " + " | ".join(md_text(cell) for cell in row) + " |" for row in t.rows]
    return [head, rule, *rows]


def _chart(summary: WeeklySummary, key: ChartKey, title: str, images: dict[str, str] | None) -> list[str]:
    if images is not None and key in images:
        return [f"![{md_text(title)}]({images[key]})"]
    c = summary.charts
    if key == "daily":
        text = textcharts.daily_stacked(c.days, c.daily, c.day_totals)
    elif key == "movers":
        text = textcharts.diverging(c.movers)
    else:
        text = textcharts.horizontal(c.llm_models)
    return [f"*{md_text(title)}*", "", _fence(text, "text")]


def _block(summary: WeeklySummary, b: Block, images: dict[str, str] | None) -> list[str]:
    if b.kind == "text":
        return [md_text(b.text)]
    if b.kind == "bullets":
        return [f"- {md_text(i)}" for i in b.items]
    if b.kind == "table" and b.table is not None:
        return ([f"**{md_text(b.title)}**", ""] if b.title else []) + _table(b.table)
    if b.kind == "chart" and b.chart is not None:
        return _chart(summary, b.chart, b.title, images)
    return []


def render_markdown(doc: Document, summary: WeeklySummary, images: dict[str, str] | None = None) -> str:
    """Markdown of the summary. `images` maps chart keys to image paths (relative to the file); without
    them, charts are drawn as text."""
    out = [f"# {md_text(doc.title)}", "", md_text(doc.subtitle), "", f"_{md_text(doc.freshness)}_", ""]
    out += ["**Headlines**", ""] + [f"- **{md_text(s.title)}**: {md_text(s.lead)}" for s in doc.sections] + [""]
    for s in doc.sections:
        out += [f"## {md_text(s.title)}", "", md_text(s.lead), ""]
        for b in s.blocks:
            out += _block(summary, b, images) + [""]
        if s.evidence:
            calls = {c.id: c for c in doc.calls}
            refs = ", ".join(f"[{cid}](#{anchor(cid)}) {calls[cid].tool}" for cid in s.evidence if cid in calls)
            out += [f"<sub>Evidence: {refs}</sub>", ""]
    out += ["## Appendix: evidence", "",
            "Every figure above comes from these tool calls; each lists the SQL it ran, its parameters and the "
            "freshness of the data.", ""]
    for item in appendix(doc.calls):
        out += [f'<a id="{item.anchor}"></a>', "", f"### {item.id} · {item.tool}: {md_text(item.purpose)}", "",
                f"Arguments: {_code(item.args)}", ""]
        if item.error:
            out += [f"Error: {md_text(item.error)}", ""]
        out += [f"- {md_text(f)}" for f in item.freshness] + [f"- Note: {md_text(n)}" for n in item.notes]
        out += [""]
        for n, q in enumerate(item.sql, 1):
            out += [f"SQL {n} ({q.rows:,} rows), parameters {_code(q.params)}:", "", _fence(q.sql, "sql"), ""]
    return "\n".join(out).rstrip() + "\n"
