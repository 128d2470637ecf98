"""The summary as medium-neutral sections: headline sentences, bullets and tables of formatted figures.

Markdown, HTML and Slack render this same layout, so a figure reads the same everywhere. Every string
here formats a figure of the `WeeklySummary` (money, %); names from the data (teams, services, resource
names, tag values) go through `tools.sqlparts.show` and stay plain text: each renderer escapes them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from apps.report.model import Mover, ToolCall, WeeklySummary
from tools.contract import Evidence, money, pct
from tools.sqlparts import show
from tools.waste import KIND_LABELS

ChartKey = Literal["daily", "movers", "llm_models"]
CHART_TITLES: dict[str, str] = {
    "daily": "Daily spend by {by}",
    "movers": "Change vs the previous week by {by}",
    "llm_models": "LLM cost by model",
}


class Table(BaseModel):
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]                       # right-align these columns


class Block(BaseModel):
    kind: Literal["text", "bullets", "table", "chart"]
    text: str = ""
    items: list[str] = Field(default_factory=list)
    table: Table | None = None
    chart: ChartKey | None = None
    title: str = ""                           # a table's or chart's caption


class DocSection(BaseModel):
    key: str
    title: str
    lead: str                                 # the one-sentence headline (Slack shows this)
    blocks: list[Block] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)


class Document(BaseModel):
    title: str
    subtitle: str
    freshness: str
    sections: list[DocSection]
    calls: list[ToolCall]


DEMO_MARK = "DEMO DATA —"      # leads the title of a demo store's summary (markdown, HTML, Slack header)
DEMO_NOTE = ("Demo data: these figures are the made-up company 'Acme AI' built by finops demo, "
             "not your bills")


def chart_title(summary: WeeklySummary, key: ChartKey) -> str:
    by = summary.charts.daily_by if key == "daily" else summary.charts.movers_by
    return CHART_TITLES[key].format(by=by) + f", {summary.week.label}" + ("" if summary.team is None else f", team {summary.team}")


def layout(summary: WeeklySummary) -> Document:
    w = summary.week
    title = f"Weekly cost summary {w.label}" + ("" if summary.team is None else f": team {summary.team}")
    subtitle = (f"{w.describe()}, for {summary.scope_label}; figures as of {w.as_of.isoformat()} "
                f"(reproduce: finops summary --week {w.label}"
                + (f" --team {summary.team}" if summary.team else "") + f" --as-of {w.as_of.isoformat()})")
    if summary.demo:   # never show or post the made-up company without saying so
        title = f"{DEMO_MARK} {title}"
        subtitle = f"{DEMO_NOTE}. {subtitle}"
    sections = [_overview(summary), _movers(summary), _anomalies(summary), _budgets(summary), _tagging(summary),
                _waste(summary), _llm(summary), _unit_costs(summary)]
    return Document(title=title, subtitle=subtitle, freshness=freshness_line(summary.calls), sections=sections,
                    calls=summary.calls)


# -- helpers -------------------------------------------------------------------------------------------
def signed_money(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "") + money(value)


def signed_pct(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "") + pct(value)


def _direction(change: Decimal | None, change_pct: Decimal | None, against: str) -> str:
    if change is None:
        return f"no figure for {against} to compare with"
    if change == 0:
        return f"unchanged from {against}"
    size = f"{pct(abs(change_pct))} ({money(abs(change))})" if change_pct is not None else money(abs(change))
    return f"{'up' if change > 0 else 'down'} {size} from {against}"


def day_end(ts: datetime | None) -> str:
    if ts is None:
        return "n/a"
    last = ts - timedelta(microseconds=1) if ts.time() == time() else ts
    return last.date().isoformat()


def freshness_line(calls: list[ToolCall]) -> str:
    evidence: Evidence | None = next((c.evidence for c in calls if c.evidence is not None and c.evidence.freshness), None)
    if evidence is None:
        return "data freshness unknown"
    return "Data: " + "; ".join(f"{f.source} through {day_end(f.latest_data)} ({f.rows:,} rows)"
                                for f in evidence.freshness)


def _mover_table(movers: list[Mover], name: str) -> Table:
    return Table(columns=[name, "this week", "previous week", "change", "change %"],
                 rows=[[show(m.key), money(m.billed), money(m.previous), signed_money(m.change), signed_pct(m.change_pct)]
                       for m in movers],
                 numeric=[False, True, True, True, True])


# -- sections ------------------------------------------------------------------------------------------
def _overview(s: WeeklySummary) -> DocSection:
    o = s.overview
    sec = DocSection(key="overview", title="The week", lead="", evidence=o.evidence + s.charts.daily_evidence)
    if o.total is None:
        sec.lead = "No spend figure for the week: " + "; ".join(o.problems)
        return sec
    avg_weeks = (f"{o.average_weeks[0].week} to {o.average_weeks[-1].week}" if len(o.average_weeks) > 1
                 else (o.average_weeks[0].week if o.average_weeks else ""))
    partial = ""
    if s.week.partial:
        days = (s.week.as_of - s.week.start).days
        partial = f" so far ({days} of 7 days, compared with whole weeks)"
    sec.lead = (f"Spend for {s.scope_label} in {s.week.label}{partial} was {money(o.total)}, "
                f"{_direction(o.change, o.change_pct, 'the previous week')} and "
                f"{_direction(o.change_vs_average, o.change_vs_average_pct, f'the {len(o.average_weeks)}-week average of {money(o.average_4w)}')}.")
    items = [f"Previous week: {money(o.previous_total)} (change {signed_money(o.change)}, {signed_pct(o.change_pct)})"]
    if o.average_weeks:
        items.append(f"{len(o.average_weeks)}-week average ({avg_weeks}): {money(o.average_4w)} "
                     f"(change {signed_money(o.change_vs_average)}, {signed_pct(o.change_vs_average_pct)}); weeks: "
                     + ", ".join(f"{wk.week} {money(wk.billed)}" for wk in o.average_weeks))
    if s.team is None and o.unallocated is not None:
        items.append(f"Unallocated (no owning team): {money(o.unallocated)} ({pct(o.unallocated_share)} of the week)")
    items += [f"Note: {n}" for n in o.notes] + [f"Problem: {p}" for p in o.problems]
    sec.blocks.append(Block(kind="bullets", items=items))
    if s.charts.daily:
        sec.blocks.append(Block(kind="chart", chart="daily", title=chart_title(s, "daily")))
    return sec


def _movers(s: WeeklySummary) -> DocSection:
    m = s.movers
    sec = DocSection(key="movers", title="Top movers vs the previous week", lead="", evidence=m.evidence)
    biggest = sorted(m.teams + m.services + m.models, key=lambda x: (-abs(x.change), x.dimension, x.key))[:3]
    sec.lead = ("Biggest changes: " + "; ".join(f"{x.dimension} {show(x.key)} {signed_money(x.change)} "
                                                 f"({signed_pct(x.change_pct)})" for x in biggest) + "."
                if biggest else "No change vs the previous week to report.")
    if s.charts.movers:
        sec.blocks.append(Block(kind="chart", chart="movers", title=chart_title(s, "movers")))
    for movers, name, label in ((m.teams, "team", "Teams"), (m.services, "service", "Services"), (m.models, "model", "Models")):
        if movers:
            sec.blocks.append(Block(kind="table", title=label, table=_mover_table(movers, name)))
    if m.problems:
        sec.blocks.append(Block(kind="bullets", items=[f"Problem: {p}" for p in m.problems]))
    return sec


def _anomalies(s: WeeklySummary) -> DocSection:
    a = s.anomalies
    sec = DocSection(key="anomalies", title="Anomalies", lead="", evidence=a.evidence)
    if a.problems:
        sec.lead = "Anomalies could not be checked: " + "; ".join(a.problems)
        return sec
    if not a.items:
        sec.lead = f"No cost anomalies in {s.week.label} across {a.checked} scope{'s' if a.checked != 1 else ''}."
        if a.missing:
            sec.lead = f"{a.missing} No cost anomalies among the days that could be judged in {s.week.label}."
    else:
        spikes = [x for x in a.items if x.kind == "spike"]
        drifts = [x for x in a.items if x.kind == "drift"]
        top = a.items[0]
        sec.lead = (f"{len(spikes)} spike(s) and {len(drifts)} drift(s) in {s.week.label}; the largest: "
                    f"{top.label()} {'+' if top.excess >= 0 else ''}{money(top.excess)} above its usual level.")
        sec.blocks.append(Block(kind="bullets", items=[x.sentence() for x in a.items]
                                + ([a.missing] if a.missing else [])))
        sec.blocks.append(Block(kind="table", title="Anomalies", table=Table(
            columns=["kind", "scope", "start", "end", "cost", "usual", "excess", "change"],
            rows=[[x.kind, show(x.label()), x.start.isoformat(), x.end.isoformat(), money(x.cost), money(x.baseline),
                   signed_money(x.excess), signed_pct(x.pct)] for x in a.items],
            numeric=[False, False, False, False, True, True, True, True])))
    sec.blocks.append(Block(kind="text", text=f"Method: {a.method}."))
    return sec


def _budgets(s: WeeklySummary) -> DocSection:
    b = s.budgets
    sec = DocSection(key="budgets", title="Budget burn and forecast", lead="", evidence=b.evidence)
    alerted = [x for x in b.items if x.alerts]
    if alerted:
        sec.lead = "; ".join(f"{x.scope} ({x.scope_kind}) has spent {pct(x.pct)} of its {x.period} budget "
                             f"({money(x.spent)} of {money(x.amount)}): {', '.join(x.alerts)}" for x in alerted) + "."
    elif b.items:
        n = len(b.items)
        sec.lead = f"{n} budget{'s' if n != 1 else ''} for the current period, none past an alert threshold."
    else:
        sec.lead = "No budget covers the current period." if not b.problems else "Budgets: " + "; ".join(b.problems)
    if b.items:
        sec.blocks.append(Block(kind="table", title=f"Budgets for the period holding {s.week.as_of.isoformat()} "
                                                    f"(spent through {b.data_end.isoformat() if b.data_end else 'n/a'})",
                                table=Table(columns=["scope", "budget", "spent", "used", "forecast at period end",
                                                     "forecast %", "alerts"],
                                            rows=[[f"{x.scope_kind} {show(x.scope)}", money(x.amount), money(x.spent),
                                                   pct(x.pct), money(x.forecast), pct(x.forecast_pct),
                                                   "; ".join(x.alerts)] for x in b.items],
                                            numeric=[False, True, True, True, True, True, False])))
    items = []
    if b.forecast is not None and b.forecast_start and b.forecast_end:
        f = b.forecast
        what = "Total spend" if b.forecast_scope == "total" else f"Team {show(f.scope)}"
        items.append(f"{what} forecast for the next {(b.forecast_end - b.forecast_start).days + 1} days "
                     f"({b.forecast_start.isoformat()} to {b.forecast_end.isoformat()}): {money(f.total)} "
                     f"(80% interval {money(f.low)} to {money(f.high)}), vs {money(f.previous)} in the days before "
                     f"({signed_pct(f.change)}).")
    items += [f"Problem: {p}" for p in b.problems]
    if items:
        sec.blocks.append(Block(kind="bullets", items=items))
    if b.forecast_method:
        sec.blocks.append(Block(kind="text", text=f"Forecast method: {b.forecast_method}."))
    return sec


def _tagging(s: WeeklySummary) -> DocSection:
    t = s.tagging
    sec = DocSection(key="tagging", title="Untagged spend", lead="", evidence=t.evidence)
    if t.untagged_share is None:
        sec.lead = "Untagged spend unknown: " + "; ".join(t.problems or ["no spend in the week"])
        return sec
    verdict = "meets" if t.meets_target else "misses"
    sec.lead = (f"{pct(t.untagged_share)} of the week's billed spend ({money(t.untagged)} of {money(t.total)}) "
                f"has no team tag; it {verdict} the target of under {pct(t.target, 0)}.")
    if s.team is not None:
        sec.blocks.append(Block(kind="text", text=f"Company-wide figure (untagged spend has no team by definition); "
                                                  f"below, untagged resources whose suggested owner is {s.team}."))
    if t.offenders:
        sec.blocks.append(Block(kind="table", title="Largest untagged resources", table=Table(
            columns=["resource", "service", "untagged spend", "suggested team", "from"],
            rows=[[show(o.resource_name or o.resource_id or "(no resource id)"), show(o.service), money(o.billed),
                   show(o.suggested_team) if o.suggested_team else "unknown", o.suggestion_source or ""]
                  for o in t.offenders],
            numeric=[False, False, True, False, False])))
    return sec


def _waste(s: WeeklySummary) -> DocSection:
    w = s.waste
    sec = DocSection(key="waste", title="Top waste and remediations", lead="", evidence=w.evidence)
    parts = []
    if w.total_monthly is not None:
        n = sum(w.counts.values())
        parts.append(f"{n} waste item{'s' if n != 1 else ''} cost {money(w.total_monthly)} per month")
    if w.actions_total_monthly is not None:
        parts.append(f"{w.actions_count} remediation{'s' if w.actions_count != 1 else ''} would save {money(w.actions_total_monthly)} per month "
                     f"(alternatives not added)")
    sec.lead = ("; ".join(parts) + ".") if parts else "Waste unknown: " + "; ".join(w.problems)
    if w.missing:
        sec.lead += " " + w.missing
    if w.counts:
        sec.blocks.append(Block(kind="bullets", items=[f"{KIND_LABELS.get(k, k).capitalize()}: {w.counts[k]} "
                                                       f"({money(w.by_kind.get(k))}/month)" for k in w.counts]))
    if w.items:
        sec.blocks.append(Block(kind="table", title="Biggest waste", table=Table(
            columns=["kind", "name", "team", "owner", "per month", "why"],
            rows=[[KIND_LABELS.get(i.kind, i.kind), show(i.name or i.ref), show(i.team) if i.team else "unallocated",
                   show(i.owner) if i.owner else "unknown", money(i.monthly_cost), i.reason] for i in w.items],
            numeric=[False, False, False, False, True, False])))
    if w.actions:
        sec.blocks.append(Block(kind="table", title="What to fix first", table=Table(
            columns=["#", "action", "team", "saves per month", "risk"],
            rows=[[str(n), a.title, show(a.team) if a.team else "—", money(a.monthly_savings)
                   if a.monthly_savings is not None else "unknown", a.risk] for n, a in enumerate(w.actions, 1)],
            numeric=[True, False, False, True, False])))
        sec.blocks.append(Block(kind="text", text="Nothing was changed: each action lists the change to apply "
                                                  "(finops remediations)."))
    if w.problems:
        sec.blocks.append(Block(kind="bullets", items=[f"Problem: {p}" for p in w.problems]))
    return sec


def _llm(s: WeeklySummary) -> DocSection:
    m = s.llm
    sec = DocSection(key="llm", title="LLM spend", lead="", evidence=m.evidence)
    if m.problems:
        sec.lead = "LLM spend unknown: " + "; ".join(m.problems)
        return sec
    if m.source == "billing":
        sec.lead = f"LLM spend (AI lines of the bill; no call logs): {money(m.cost)}."
    elif not m.calls:
        sec.lead = f"No LLM calls for {s.scope_label} in {s.week.label}."
        return sec
    else:
        cost = money(m.cost) if not m.unknown_calls else f"at least {money(m.cost)}"
        sec.lead = (f"LLM spend was {cost} over {m.calls:,} calls: {money(m.cost_per_1k_calls, 4)} per 1K calls, "
                    f"{money(m.cost_per_1m_tokens, 4)} per 1M tokens; "
                    f"{_direction(m.change, m.change_pct, 'the previous week')}.")
    if s.charts.llm_models:
        sec.blocks.append(Block(kind="chart", chart="llm_models", title=chart_title(s, "llm_models")))
    if m.models:
        sec.blocks.append(Block(kind="table", title="By model", table=Table(
            columns=["model", "calls", "cost", "per 1K calls", "share", "previous week", "change %"],
            rows=[[(f"other ({r.folded})" if r.is_other else show(r.key)),
                   "unknown" if r.calls is None else f"{r.calls:,}", money(r.cost), money(r.cost_per_1k_calls, 4),
                   pct(r.share), money(r.previous_cost), signed_pct(r.change_pct)] for r in m.models],
            numeric=[False, True, True, True, True, True, True])))
    if m.unknown_calls:
        sec.blocks.append(Block(kind="text", text=f"Cost unknown for {m.unknown_calls:,} calls of "
                                                  + ", ".join(show(x) for x in m.unknown_models)
                                                  + " (no price in the catalog)."))
    return sec


def _unit_costs(s: WeeklySummary) -> DocSection:
    u = s.unit_costs
    sec = DocSection(key="unit_costs", title="Unit costs", lead="", evidence=u.evidence)
    leads = []
    for rows, title, first in ((u.endpoints, "Endpoints (per 1K requests)", "endpoint"),
                               (u.apps, "LLM apps (per 1K calls)", "app"),
                               (u.training_runs, "Training runs (per run, by project)", "project")):
        if not rows:
            continue
        top = rows[0]
        leads.append(f"{show(top.key)} {top.per_text()}")
        sec.blocks.append(Block(kind="table", title=title, table=Table(
            columns=[first, "team", "cost", "units", "unit cost"],
            rows=[[show(r.key), show(r.team) if r.team else "", money(r.cost), r.units_text(),
                   r.per_text()] for r in rows],
            numeric=[False, False, True, True, True])))
    sec.lead = ("Largest by cost: " + "; ".join(leads) + ".") if leads else f"No unit-cost data for {s.scope_label}."
    if u.problems:
        sec.blocks.append(Block(kind="bullets", items=[f"Problem: {p}" for p in u.problems]))
    return sec
