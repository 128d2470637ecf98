"""The weekly summary (`finops summary`): one ISO week's cost story for the company or one team.

`build.build_summary` runs the registered tools (never its own SQL for figures) and keeps their typed
results and evidence in a `model.WeeklySummary`; `layout` turns it into medium-neutral sections that
`render_md`, `render_html` and `slack_post` print; `png` and `textcharts` draw its charts.
"""
