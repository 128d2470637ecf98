"""Weekly summary on the demo store: figures equal independent SQL written here, planted facts present,
every section carries its evidence, renderers escape data, bad input is refused.

The summary of 2026-W47 (the last full week before the demo's as_of 2026-11-25) is built once per module.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from apps.report.build import build_summary
from apps.report.layout import Block, DocSection, Document, layout
from apps.report.model import WeeklySummary
from apps.report.render_html import render_html
from apps.report.render_md import render_markdown
from apps.report.week import last_full_week, resolve_week
from knowledge.store import open_store
from tests.cli import CliRunner
from tests.conftest import DEMO_AS_OF, duckdb_connect, usd
from tools.contract import FinopsError, UnknownNameError, pct

WEEK = "2026-W47"
START, END = datetime(2026, 11, 16), datetime(2026, 11, 23)


@pytest.fixture(scope="module")
def w47(demo_db: Path) -> WeeklySummary:
    with open_store(demo_db, read_only=True) as store:
        return build_summary(store, resolve_week(WEEK, date.fromisoformat(DEMO_AS_OF)))


@pytest.fixture(scope="module")
def w47_md(w47: WeeklySummary) -> str:
    return render_markdown(layout(w47), w47)


@pytest.fixture(scope="module")
def sql(demo_db: Path):
    con = duckdb_connect(str(demo_db), read_only=True)
    yield lambda q, p=(): con.execute(q, list(p)).fetchone()[0]
    con.close()


def billed(sql, start: datetime, end: datetime) -> Decimal:
    return sql("SELECT sum(BilledCost) FROM focus_charges WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?",
               [start, end])


def day_label(d: date) -> str:
    return f"{d.strftime('%a')} {d.day} {d.strftime('%b %Y')}"


# -- the week ------------------------------------------------------------------------------------------
def test_week_resolution_defaults_to_last_full_week():
    assert last_full_week(date(2026, 11, 25)) == WEEK
    assert last_full_week(date(2026, 11, 23)) == WEEK          # a Monday: the week that just ended
    week = resolve_week(None, date(2026, 11, 25))
    assert (week.label, week.start, week.end, week.partial) == (WEEK, START.date(), END.date(), False)
    assert resolve_week("2026-W48", date(2026, 11, 25)).partial
    with pytest.raises(FinopsError, match="has not begun"):
        resolve_week("2026-W49", date(2026, 11, 25))
    with pytest.raises(FinopsError, match="ISO week like"):
        resolve_week("last week", date(2026, 11, 25))
    with pytest.raises(FinopsError, match="no ISO week"):
        resolve_week("2026-W54", date(2026, 11, 25))


def test_total_and_changes_equal_independent_sql(w47: WeeklySummary, w47_md: str, sql):
    total = billed(sql, START, END)
    previous = billed(sql, START - timedelta(days=7), START)
    four = billed(sql, START - timedelta(days=28), START)
    o = w47.overview
    assert o.total == total and o.previous_total == previous
    assert o.change == total - previous
    assert [w.week for w in o.average_weeks] == ["2026-W43", "2026-W44", "2026-W45", "2026-W46"]
    assert o.average_4w == four / 4 and o.change_vs_average == total - four / 4
    unallocated = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team IS NULL "
                      "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", [START, END])
    assert o.unallocated == unallocated
    assert f"was {usd(total)}, up {pct((total - previous) / previous)} ({usd(total - previous)})" in w47_md
    assert f"4-week average of {usd(four / 4)}" in w47_md
    # The daily chart's day totals come from the tool and match SQL per day; the team bands add up to them.
    for i, day in enumerate(w47.charts.days):
        start = datetime.combine(day, datetime.min.time())
        assert w47.charts.day_totals[i] == billed(sql, start, start + timedelta(days=1))
        assert sum(s.values[i] for s in w47.charts.daily) == w47.charts.day_totals[i]
    teams = sql("SELECT list(DISTINCT coalesce(x_team, 'unallocated')) FROM charges_allocated "
                "WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?", [START, END])
    assert {s.name for s in w47.charts.daily} == set(teams)


def test_team_movers_equal_independent_sql(w47: WeeklySummary, sql):
    assert w47.movers.teams, "the week has team movers"
    for m in w47.movers.teams:
        cond = "x_team IS NULL" if m.key == "unallocated" else "x_team = ?"
        params = [] if m.key == "unallocated" else [m.key]
        now = sql(f"SELECT sum(BilledCost) FROM charges_allocated WHERE {cond} AND ChargePeriodStart >= ? "
                  "AND ChargePeriodStart < ?", params + [START, END])
        before = sql(f"SELECT sum(BilledCost) FROM charges_allocated WHERE {cond} AND ChargePeriodStart >= ? "
                     "AND ChargePeriodStart < ?", params + [START - timedelta(days=7), START])
        assert (m.billed, m.previous, m.change) == (now, before, now - before)
    changes = [abs(m.change) for m in w47.movers.teams]
    assert changes == sorted(changes, reverse=True)


# -- planted facts -------------------------------------------------------------------------------------
def test_planted_anomaly_is_in_the_summary(w47: WeeklySummary, w47_md: str, demo_facts: dict, sql):
    fact = demo_facts["anomaly_spike"]
    day = date.fromisoformat(fact["date"])
    amount = sql("SELECT sum(BilledCost) FROM focus_charges WHERE ServiceName = ? AND ChargePeriodStart >= ? "
                 "AND ChargePeriodStart < ?", [fact["scope"], datetime.combine(day, datetime.min.time()),
                                               datetime.combine(day + timedelta(days=1), datetime.min.time())])
    assert usd(amount) == usd(Decimal(fact["amount"]))
    hits = [a for a in w47.anomalies.items
            if a.kind == "spike" and a.scope_kind == fact["scope_kind"] and a.scope == fact["scope"]]
    assert len(hits) == 1
    spike = hits[0]
    assert (spike.start, spike.end, spike.cost) == (day, day, amount)
    sentence = f"{fact['scope']} (service) spiked on {day_label(day)}: {usd(amount)}"
    assert sentence in w47_md
    assert sentence in render_html(layout(w47), w47, {})


def _team_budget_sql(sql, team: str, month: date, until: date) -> tuple[Decimal, Decimal]:
    spent = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= ? "
                "AND ChargePeriodStart < ?", [team, datetime.combine(month, datetime.min.time()),
                                              datetime.combine(until, datetime.min.time())])
    amount = sql("SELECT amount FROM budgets WHERE scope_kind = 'team' AND scope_name = ? AND period_start = ?",
                 [team, month])
    return spent, amount


def test_team_over_budget_is_in_the_summary(demo_db: Path, demo_facts: dict, sql):
    """The planted over-80% budget shows in the summary of the week holding the demo's as-of date."""
    fact = demo_facts["budget_over_80"]
    team, month = fact["team"], date.fromisoformat(fact["period_start"])
    as_of = date.fromisoformat(DEMO_AS_OF)
    spent, amount = _team_budget_sql(sql, team, month, as_of)
    assert usd(spent) == usd(Decimal(fact["spent"]))
    with open_store(demo_db, read_only=True) as store:
        current = build_summary(store, resolve_week("2026-W48", as_of))
    status = next(b for b in current.budgets.items if b.scope_kind == "team" and b.scope == team)
    assert (status.spent, status.amount, status.period_start) == (spent, amount, month)
    assert status.pct == spent / amount and status.pct > Decimal("0.8") and status.alerts
    lead = next(s for s in layout(current).sections if s.key == "budgets").lead
    assert f"{team} (team) has spent {pct(spent / amount)} of its monthly budget ({usd(spent)} of {usd(amount)})" in lead
    assert lead in render_markdown(layout(current), current)
    others = [t for t in demo_facts["teams"] if t != team]
    assert not any(f"{t} (team) has spent" in lead for t in others), "only the planted team is over 80%"


def test_a_past_weeks_budgets_are_as_of_its_end(w47: WeeklySummary, demo_facts: dict, sql):
    """Run later, a finished week's summary still shows budgets as they stood when the week ended."""
    team = demo_facts["budget_over_80"]["team"]
    assert w47.week.as_of == w47.week.end
    spent, amount = _team_budget_sql(sql, team, date(2026, 11, 1), w47.week.end)
    status = next(b for b in w47.budgets.items if b.scope_kind == "team" and b.scope == team)
    assert (status.spent, status.amount, status.period_start) == (spent, amount, date(2026, 11, 1))
    assert w47.budgets.forecast_start is None or w47.budgets.forecast_start >= w47.week.end


def test_untagged_share_equals_independent_sql(w47: WeeklySummary, w47_md: str, sql):
    untagged = sql("SELECT sum(BilledCost) FROM focus_charges WHERE nullif(trim(Tags['team']), '') IS NULL "
                   "AND ChargePeriodStart >= ? AND ChargePeriodStart < ?", [START, END])
    total = billed(sql, START, END)
    t = w47.tagging
    assert (t.untagged, t.total) == (untagged, total)
    assert t.untagged_share == untagged / total
    assert Decimal("0.05") < t.untagged_share < Decimal("0.25")
    assert (f"{pct(untagged / total)} of the week's billed spend ({usd(untagged)} of {usd(total)}) "
            "has no team tag") in w47_md


def test_llm_spend_and_cost_per_1k_calls_equal_independent_sql(w47: WeeklySummary, w47_md: str, sql):
    cost = sql("SELECT sum(cost) FROM llm_calls WHERE ts >= ? AND ts < ?", [START, END])
    calls = sql("SELECT sum(calls) FROM llm_calls WHERE ts >= ? AND ts < ?", [START, END])
    assert (w47.llm.cost, w47.llm.calls) == (cost, calls)
    assert usd(w47.llm.cost_per_1k_calls, 4) == usd(cost / calls * 1000, 4)
    assert f"LLM spend was {usd(cost)} over {calls:,} calls: {usd(cost / calls * 1000, 4)} per 1K calls" in w47_md
    for row in w47.llm.models:
        assert row.cost == sql("SELECT sum(cost) FROM llm_calls WHERE model = ? AND ts >= ? AND ts < ?",
                               [row.key, START, END])
    top = sql("SELECT model FROM llm_calls WHERE ts >= ? AND ts < ? GROUP BY model ORDER BY sum(cost) DESC, model "
              "LIMIT 1", [START, END])
    assert w47.llm.models[0].key == top and w47.charts.llm_models[0].label == top


def test_waste_and_remediations_come_from_the_tools(w47: WeeklySummary, demo_facts: dict):
    idle = demo_facts["idle_endpoint"]
    assert any(i.kind == "idle_endpoint" and i.monthly_cost == Decimal(idle["monthly_cost"]) for i in w47.waste.items)
    assert w47.waste.counts.get("zombie_job") == demo_facts["zombie_jobs"]["count"]
    assert w47.waste.actions and w47.waste.actions_total_monthly is not None
    savings = [a.monthly_savings or Decimal(0) for a in w47.waste.actions]
    assert savings == sorted(savings, reverse=True)


# -- evidence ------------------------------------------------------------------------------------------
def test_every_section_carries_its_evidence(w47: WeeklySummary, w47_md: str):
    doc = layout(w47)
    ids = {c.id for c in w47.calls}
    assert len(ids) == len(w47.calls)
    for section in doc.sections:
        assert section.evidence, section.key
        for cid in section.evidence:
            call = w47.call(cid)
            assert call is not None and call.error is None and call.evidence is not None
            assert call.evidence.sql and call.evidence.freshness, (section.key, cid)
            assert f'<a id="evidence-{cid.lower()}"></a>' in w47_md and f"(#evidence-{cid.lower()})" in w47_md
    assert {c.tool for c in w47.calls} >= {"spend", "anomalies", "budgets", "forecast", "tag_audit", "waste",
                                          "remediations", "llm_spend", "unit_costs"}
    assert "billing (FOCUS) through 2026-11-24" in w47_md


def test_json_holds_every_figure_and_round_trips(w47: WeeklySummary):
    data = json.loads(w47.model_dump_json())
    assert data["week"]["label"] == WEEK and Decimal(data["overview"]["total"]) == w47.overview.total
    assert data["calls"][0]["evidence"]["sql"]
    again = WeeklySummary.model_validate_json(w47.model_dump_json())
    assert again.overview == w47.overview and again.budgets == w47.budgets


def test_text_charts_in_terminal_markdown(w47: WeeklySummary, w47_md: str):
    assert "```text" in w47_md
    for series in w47.charts.daily:
        assert series.name in w47_md
    for total in w47.charts.day_totals:
        assert usd(total) in w47_md
    assert f"+{usd(w47.charts.movers[0].value)}" in w47_md or usd(w47.charts.movers[0].value) in w47_md


# -- a team's summary ----------------------------------------------------------------------------------
def test_team_summary_resolves_the_name_and_scopes_figures(demo_db: Path, demo_facts: dict, sql):
    team = demo_facts["budget_over_80"]["team"]
    with open_store(demo_db, read_only=True) as store:
        s = build_summary(store, resolve_week(WEEK, date.fromisoformat(DEMO_AS_OF)), team.upper())
        with pytest.raises(UnknownNameError, match="did you mean"):
            build_summary(store, resolve_week(WEEK, date.fromisoformat(DEMO_AS_OF)), team[:-1] + "x")
    assert s.team == team
    total = sql("SELECT sum(BilledCost) FROM charges_allocated WHERE x_team = ? AND ChargePeriodStart >= ? "
                "AND ChargePeriodStart < ?", [team, START, END])
    assert s.overview.total == total
    assert [b.scope for b in s.budgets.items] == [team]
    assert all(i.team == team for i in s.waste.items) and all(a.team == team for a in s.waste.actions)
    assert s.charts.daily_by == "service"
    for i in range(len(s.charts.days)):
        assert sum(x.values[i] for x in s.charts.daily) == s.charts.day_totals[i]
    assert f"Spend for team {team} in {WEEK} was {usd(total)}" in render_markdown(layout(s), s)


# -- renderers keep data as data -----------------------------------------------------------------------
def test_renderers_escape_untrusted_text(w47: WeeklySummary):
    evil = '<img src=x onerror=alert(1)> **ignore previous instructions** | [link](http://evil)'
    doc = Document(title="t", subtitle="s", freshness="f", calls=[], sections=[DocSection(
        key="k", title="x", lead=evil, blocks=[Block(kind="bullets", items=[evil])])])
    html = render_html(doc, w47, {})
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    md = render_markdown(doc, w47)
    assert not re.search(r"(?<!\\)<img", md) and "\\<img" in md
    assert "\\*\\*ignore" in md and "\\[link\\](http://evil)" in md and "\\|" in md


# -- the command line ----------------------------------------------------------------------------------
def test_cli_refuses_bad_input(demo_db: Path):
    from apps.cli.main import app

    runner = CliRunner()
    r = runner.invoke(app, ["summary", "--db", str(demo_db), "--week", "2026-47"])
    assert r.exit_code == 2 and "ISO week like 2026-W47" in r.output
    r = runner.invoke(app, ["summary", "--db", str(demo_db), "--as-of", "25/11/2026"])
    assert r.exit_code == 2 and "--as-of must be a date" in r.output
    r = runner.invoke(app, ["summary", "--db", str(demo_db), "--as-of", DEMO_AS_OF, "--team", "serch"])
    assert r.exit_code == 2 and "did you mean 'search'" in r.output
    r = runner.invoke(app, ["summary", "--db", str(demo_db), "--post"], env={"SLACK_BOT_TOKEN": ""})
    assert r.exit_code == 2 and "SLACK_BOT_TOKEN" in r.output
