"""The summary as one self-contained HTML file: inline CSS, charts as base64 PNG, no script, no link out.

A Jinja2 template with autoescape on: every value is escaped unless marked safe (only the CSS constant
and the base64 chart data are), so names and tag values stay data, never markup.
"""

from __future__ import annotations

import base64

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

from apps.report.appendix import anchor, appendix
from apps.report.layout import Document
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


TEMPLATE = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\
<title>{{ doc.title }}</title><style>{{ css }}</style></head>
<body><main>
{%- macro cls(t, i) %}{% if i < t.numeric|length and t.numeric[i] %} class="n"{% endif %}{% endmacro %}
{%- macro table(t, caption) -%}
<table>{% if caption %}<caption>{{ caption }}</caption>{% endif %}<thead><tr>
{%- for c in t.columns %}<th{{ cls(t, loop.index0) }}>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{%- for row in t.rows %}<tr>{% for cell in row %}<td{{ cls(t, loop.index0) }}>{{ cell }}</td>{% endfor %}</tr>{% endfor -%}
</tbody></table>
{%- endmacro %}
<h1>{{ doc.title }}</h1>
<p class="sub">{{ doc.subtitle }}</p>
<p class="fresh">{{ doc.freshness }}</p>
<ul class="headlines">{% for s in doc.sections %}<li><a href="#{{ s.key }}">{{ s.title }}</a>: {{ s.lead }}</li>{% endfor %}</ul>
{%- for s in doc.sections %}
<section id="{{ s.key }}"><h2>{{ s.title }}</h2><p class="lead">{{ s.lead }}</p>
{%- for b in s.blocks %}
{%- if b.kind == "text" %}
<p>{{ b.text }}</p>
{%- elif b.kind == "bullets" %}
<ul>{% for i in b.items %}<li>{{ i }}</li>{% endfor %}</ul>
{%- elif b.kind == "table" and b.table %}
{{ table(b.table, b.title) }}
{%- elif b.kind == "chart" and b.chart in charts %}
<img class="chart" alt="{{ b.title }}" src="data:image/png;base64,{{ charts[b.chart] }}">
{%- endif %}
{%- endfor %}
{%- if s.evidence %}
<p class="ev">Evidence: {% for cid in s.evidence if cid in calls %}{% if not loop.first %}, {% endif %}\
<a href="#{{ anchor(cid) }}">{{ cid }}</a> {{ calls[cid].tool }}{% endfor %}</p>
{%- endif %}
</section>
{%- endfor %}
<section id="appendix"><h2>Appendix: evidence</h2><p>Every figure above comes from these tool \
calls; each lists the SQL it ran, its parameters and the freshness of the data.</p>
{%- for item in appendix %}
<h3 id="{{ item.anchor }}">{{ item.id }} · {{ item.tool }}: {{ item.purpose }}</h3>
<p>Arguments: <code>{{ item.args }}</code></p>
{%- if item.error %}
<p>Error: {{ item.error }}</p>
{%- endif %}
{%- set lines = item.freshness + item.notes|map("format_note")|list %}
{%- if lines %}
<ul>{% for x in lines %}<li>{{ x }}</li>{% endfor %}</ul>
{%- endif %}
{%- for q in item.sql %}
<details><summary>SQL {{ loop.index }} ({{ "{:,}".format(q.rows) }} rows)</summary><pre>{{ q.sql }}</pre>\
<p>Parameters: <code>{{ q.params }}</code></p></details>
{%- endfor %}
{%- endfor %}
</section>
</main></body></html>
"""

_ENV = Environment(loader=DictLoader({"summary.html": TEMPLATE}), autoescape=select_autoescape(default=True),
                   undefined=StrictUndefined, keep_trailing_newline=True)
_ENV.filters["format_note"] = lambda n: f"Note: {n}"


def render_html(doc: Document, summary: WeeklySummary, charts: dict[str, bytes]) -> str:
    """HTML of the summary; `charts` maps chart keys to PNG bytes (embedded as data URIs)."""
    return _ENV.get_template("summary.html").render(
        doc=doc, css=Markup(CSS), anchor=anchor, appendix=appendix(doc.calls), calls={c.id: c for c in doc.calls},
        charts={k: Markup(base64.b64encode(v).decode("ascii")) for k, v in charts.items()})
