"""The summary as one self-contained HTML file: inline CSS, charts as base64 PNG, no script, no link out.

Every piece of text goes through `html.escape` (names and tag values are data, never markup).
"""

from __future__ import annotations

import base64
from html import escape

from apps.report.appendix import anchor, appendix
from apps.report.layout import Block, Document, Table
from apps.report.model import WeeklySummary

CSS = """
body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:960px;margin:0 auto;padding:24px 28px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:14px;margin:18px 0 4px}.sub{color:#57606a;margin:0 0 4px}.fresh{color:#57606a;font-size:12px}
.lead{font-weight:600}table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600;padding:4px 0}
ul.headlines li{margin:3px 0}img.chart{max-width:100%;height:auto;border:1px solid #eaeef2;margin:6px 0}
.ev{font-size:12px;color:#57606a}pre{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:12px}
details{margin:4px 0 12px}summary{cursor:pointer}
"""


def _table(t: Table, caption: str) -> str:
    cls = [' class="n"' if n else "" for n in t.numeric]
    head = "".join(f"<th{cls[i]}>{escape(c)}</th>" for i, c in enumerate(t.columns))
    body = "".join("<tr>" + "".join(f"<td{cls[i]}>{escape(cell)}</td>" for i, cell in enumerate(row)) + "</tr>"
                   for row in t.rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _block(b: Block, charts: dict[str, bytes]) -> str:
    if b.kind == "text":
        return f"<p>{escape(b.text)}</p>"
    if b.kind == "bullets":
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in b.items) + "</ul>"
    if b.kind == "table" and b.table is not None:
        return _table(b.table, b.title)
    if b.kind == "chart" and b.chart is not None and b.chart in charts:
        data = base64.b64encode(charts[b.chart]).decode("ascii")
        return f'<img class="chart" alt="{escape(b.title)}" src="data:image/png;base64,{data}">'
    return ""


def render_html(doc: Document, summary: WeeklySummary, charts: dict[str, bytes]) -> str:
    """HTML of the summary; `charts` maps chart keys to PNG bytes (embedded as data URIs)."""
    parts = [f"<h1>{escape(doc.title)}</h1>", f'<p class="sub">{escape(doc.subtitle)}</p>',
             f'<p class="fresh">{escape(doc.freshness)}</p>',
             '<ul class="headlines">' + "".join(f'<li><a href="#{escape(s.key)}">{escape(s.title)}</a>: '
                                                 f"{escape(s.lead)}</li>" for s in doc.sections) + "</ul>"]
    calls = {c.id: c for c in doc.calls}
    for s in doc.sections:
        parts.append(f'<section id="{escape(s.key)}"><h2>{escape(s.title)}</h2><p class="lead">{escape(s.lead)}</p>')
        parts += [_block(b, charts) for b in s.blocks]
        if s.evidence:
            refs = ", ".join(f'<a href="#{anchor(cid)}">{escape(cid)}</a> {escape(calls[cid].tool)}'
                             for cid in s.evidence if cid in calls)
            parts.append(f'<p class="ev">Evidence: {refs}</p>')
        parts.append("</section>")
    parts.append('<section id="appendix"><h2>Appendix: evidence</h2><p>Every figure above comes from these tool '
                 "calls; each lists the SQL it ran, its parameters and the freshness of the data.</p>")
    for item in appendix(doc.calls):
        parts.append(f'<h3 id="{item.anchor}">{escape(item.id)} · {escape(item.tool)}: {escape(item.purpose)}</h3>')
        parts.append(f"<p>Arguments: <code>{escape(item.args)}</code></p>")
        if item.error:
            parts.append(f"<p>Error: {escape(item.error)}</p>")
        lines = item.freshness + [f"Note: {n}" for n in item.notes]
        if lines:
            parts.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>")
        for n, q in enumerate(item.sql, 1):
            parts.append(f"<details><summary>SQL {n} ({q.rows:,} rows)</summary><pre>{escape(q.sql)}</pre>"
                         f"<p>Parameters: <code>{escape(q.params)}</code></p></details>")
    parts.append("</section>")
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(doc.title)}</title><style>{CSS}</style></head>\n<body><main>\n{body}\n</main></body></html>\n")
