"""Build a weekly summary from the registered tools (`tools.registry.run_tool`), never from SQL of its own.

Every figure is copied from a typed tool result; the few derived ones (the 4-week average and the change
against it, the remainder line of a stacked chart) are plain Decimal arithmetic on those results here,
not in a template. Each call's evidence (SQL, parameters, freshness) is kept for the appendix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from apps.report.asof import pin
from apps.report.model import (
    Anomalies,
    Budgets,
    ChartBar,
    Charts,
    DailySeries,
    Llm,
    Mover,
    Movers,
    Overview,
    Tagging,
    ToolCall,
    UnitCosts,
    Waste,
    WeeklySummary,
    WeekTotal,
)
from apps.report.week import ReportWeek
from knowledge.bootstrap import is_demo_store
from knowledge.store import Store
from tools.anomalies import AnomaliesResult
from tools.budgets import BudgetsResult
from tools.contract import FinopsError, ToolResult
from tools.forecast import ForecastResult
from tools.llm_spend import LlmSpendResult
from tools.registry import run_tool
from tools.remediations import RemediationsResult
from tools.spend import SpendResult
from tools.sqlparts import show
from tools.tag_audit import TagAuditResult
from tools.unit_costs import UnitCostsResult
from tools.waste import WasteResult

TOP_MOVERS = 5
CHART_MOVERS = 8
DAILY_SERVICES = 5                 # a team's daily chart: its biggest services, the rest as one band
TOP_WASTE = 5
TOP_ACTIONS = 5
TOP_OFFENDERS = 5
FORECAST_DAYS = 7
AVERAGE_WEEKS = 4
OTHER_SERVICES = "other services"


ToolCache = dict[str, ToolResult | FinopsError]


class _Calls:
    """Runs tools through the registry and keeps each call's evidence (or typed error) with an id.

    `cache` (shared by the summaries of one run, e.g. every team's when posting) answers a call made
    before with the same tool and arguments from the earlier result instead of running it again."""

    def __init__(self, store: Store, cache: ToolCache | None = None):
        self.store = store
        self.cache: ToolCache = {} if cache is None else cache
        self.calls: list[ToolCall] = []

    def run(self, tool: str, args: Mapping[str, Any], purpose: str, *, strict: bool = False) -> tuple[Any, str]:
        clean = {k: v for k, v in args.items() if v is not None}
        call_id = f"E{len(self.calls) + 1}"
        key = f"{tool} {json.dumps(clean, sort_keys=True, default=str)}"
        try:
            cached = self.cache.get(key)
            if isinstance(cached, FinopsError):
                raise cached
            result: ToolResult = cached if cached is not None else run_tool(self.store, tool, clean)
            self.cache[key] = result
        except FinopsError as exc:
            self.cache[key] = exc
            if strict:
                raise
            self.calls.append(ToolCall(id=call_id, tool=tool, purpose=purpose, args=_jsonable(clean), error=str(exc)))
            return None, call_id
        self.calls.append(ToolCall(id=call_id, tool=tool, purpose=purpose, args=_jsonable(clean),
                                   evidence=result.evidence))
        return result, call_id


def build_summary(store: Store, week: ReportWeek, team: str | None = None,
                  cache: ToolCache | None = None) -> WeeklySummary:
    """The summary of `week` for the company (team None) or one team (name resolved, 'did you mean').

    Pass the same `cache` to summaries of one run (same store, same week) to run each distinct tool call once."""
    calls = _Calls(pin(store, week.as_of), cache)
    period = week.period()
    if team is not None and team.strip().lower() in ("unallocated", "none", "no team"):
        raise FinopsError("'unallocated' is spend no team owns, not a team: run the company summary instead")

    # The week's total, by team (company) or by service (team); a team name is resolved here, strictly.
    primary_by = "team" if team is None else "service"
    primary, primary_id = calls.run("spend", {"period": period, "group_by": primary_by, "team": team, "top": 100},
                                    f"the week's spend by {primary_by}", strict=True)
    assert isinstance(primary, SpendResult)
    if team is not None:
        team = primary.filters.get("team", team)
    overview = _overview(calls, week, team, primary, primary_id)
    movers = _movers(calls, week, team, primary, primary_id)
    summary = WeeklySummary(
        week=week, team=team, overview=overview, movers=movers,
        anomalies=_anomalies(calls, period, team), budgets=_budgets(calls, team), tagging=_tagging(calls, period, team),
        waste=_waste(calls, team), llm=_llm(calls, period, team), unit_costs=_unit_costs(calls, period, team),
        charts=Charts(), calls=[], demo=is_demo_store(store.con),
    )
    summary.charts = _charts(calls, week, team, primary, primary_id, summary)
    summary.calls = calls.calls
    return summary


# -- sections ------------------------------------------------------------------------------------------
def _overview(calls: _Calls, week: ReportWeek, team: str | None, primary: SpendResult, primary_id: str) -> Overview:
    out = Overview(evidence=[primary_id], total=primary.total_billed, previous_total=primary.previous_total_billed,
                   change=primary.change, change_pct=primary.change_pct,
                   unallocated=primary.unallocated_billed if team is None else None)
    if team is None:
        out.unallocated_share = next((r.share for r in primary.rows if r.is_unallocated), None)
    if week.partial:
        out.notes.append(f"the week is not over as of {week.as_of.isoformat()}: its days from "
                         f"{week.as_of.isoformat()} on hold no data yet")
    if primary.previous_partial_from is not None:
        out.notes.append(f"billing data starts {primary.previous_partial_from.isoformat()}, inside the previous week")
    weekly, weekly_id = calls.run("spend", {"period": week.previous_weeks(AVERAGE_WEEKS), "group_by": "week",
                                            "team": team, "compare": False},
                                  f"weekly spend of the {AVERAGE_WEEKS} weeks before")
    out.evidence.append(weekly_id)
    if isinstance(weekly, SpendResult):
        counted = [r for r in weekly.rows if r.charges > 0]
        out.average_weeks = [WeekTotal(week=r.key, billed=r.billed) for r in counted]
        if counted and out.total is not None:
            average = sum((r.billed for r in counted), Decimal(0)) / len(counted)
            out.average_4w = average
            out.change_vs_average = out.total - average
            out.change_vs_average_pct = out.change_vs_average / average if average else None
        if len(counted) < AVERAGE_WEEKS:
            out.notes.append(f"the average covers {len(counted)} week(s) with billing data, not {AVERAGE_WEEKS}")
    else:
        out.problems.append(_error(calls, weekly_id))
    return out


def _mover_rows(result: SpendResult, dimension: Literal["team", "service", "model"], n: int) -> list[Mover]:
    moved = [(r, r.change) for r in result.rows
             if not r.is_other and r.change is not None and r.change != 0
             and not (dimension != "team" and r.key.startswith("(no "))]
    moved.sort(key=lambda rc: (-abs(rc[1]), rc[0].key))
    return [Mover(dimension=dimension, key=r.key, billed=r.billed, previous=r.previous_billed,
                  change=change, change_pct=r.change_pct) for r, change in moved[:n]]


def _movers(calls: _Calls, week: ReportWeek, team: str | None, primary: SpendResult, primary_id: str) -> Movers:
    out = Movers(evidence=[primary_id])
    if team is None:
        out.teams = _mover_rows(primary, "team", TOP_MOVERS)
        services, sid = calls.run("spend", {"period": week.period(), "group_by": "service", "top": 100},
                                  "the week's spend by service")
        out.evidence.append(sid)
        if isinstance(services, SpendResult):
            out.services = _mover_rows(services, "service", TOP_MOVERS)
        else:
            out.problems.append(_error(calls, sid))
    else:
        out.services = _mover_rows(primary, "service", TOP_MOVERS)
    models, mid = calls.run("spend", {"period": week.period(), "group_by": "model", "team": team, "top": 100},
                            "the week's spend by model")
    out.evidence.append(mid)
    if isinstance(models, SpendResult):
        out.models = _mover_rows(models, "model", TOP_MOVERS)
    else:
        out.problems.append(_error(calls, mid))
    return out


def _anomalies(calls: _Calls, period: str, team: str | None) -> Anomalies:
    result, cid = calls.run("anomalies", {"period": period, "team": team, "top": 10}, "cost anomalies of the week")
    if not isinstance(result, AnomaliesResult):
        return Anomalies(evidence=[cid], problems=[_error(calls, cid)])
    return Anomalies(evidence=[cid], items=result.anomalies, checked=result.checked, method=result.method,
                     missing=result.missing_text())


def _budgets(calls: _Calls, team: str | None) -> Budgets:
    args: dict[str, Any] = {} if team is None else {"scope_kind": "team", "name": team}
    result, bid = calls.run("budgets", args, "budget burn for the current period")
    out = Budgets(evidence=[bid])
    if isinstance(result, BudgetsResult):
        out.items, out.data_end = result.budgets, result.data_end
    else:
        out.problems.append(_error(calls, bid))
    fc_args = {"scope": "total", "horizon_days": FORECAST_DAYS} if team is None else \
        {"scope": "team", "name": team, "horizon_days": FORECAST_DAYS}
    fc, fid = calls.run("forecast", fc_args, f"forecast of the next {FORECAST_DAYS} days")
    out.evidence.append(fid)
    if isinstance(fc, ForecastResult) and fc.forecasts:
        out.forecast, out.forecast_scope = fc.forecasts[0], fc.scope_kind
        out.forecast_start, out.forecast_end, out.forecast_method = fc.start, fc.end, fc.method
    elif not isinstance(fc, ForecastResult):
        out.problems.append(_error(calls, fid))
    return out


def _tagging(calls: _Calls, period: str, team: str | None) -> Tagging:
    result, cid = calls.run("tag_audit", {"period": period, "keys": ["team"], "top": 20}, "untagged spend of the week")
    if not isinstance(result, TagAuditResult):
        return Tagging(evidence=[cid], problems=[_error(calls, cid)])
    offenders = result.offenders if team is None else [o for o in result.offenders if o.suggested_team == team]
    return Tagging(evidence=[cid], total=result.total, untagged=result.untagged, untagged_share=result.untagged_share,
                   target=result.target, meets_target=result.meets_target, offenders=offenders[:TOP_OFFENDERS],
                   company_wide=True)


def _waste(calls: _Calls, team: str | None) -> Waste:
    found, wid = calls.run("waste", {"team": team}, "waste as of the summary date")
    out = Waste(evidence=[wid])
    if isinstance(found, WasteResult):
        biggest = sorted(found.items, key=lambda i: (-(i.monthly_cost or Decimal(0)), i.kind, i.ref))
        out.total_monthly, out.counts, out.by_kind = found.total_monthly, found.counts, found.by_kind
        out.items = biggest[:TOP_WASTE]
        out.missing = found.missing_text()
    else:
        out.problems.append(_error(calls, wid))
    actions, rid = calls.run("remediations", {"team": team, "top": 200}, "remediations ranked by monthly savings")
    out.evidence.append(rid)
    if isinstance(actions, RemediationsResult):
        out.actions, out.actions_count = actions.actions[:TOP_ACTIONS], len(actions.actions)
        out.actions_total_monthly = actions.total_monthly
    else:
        out.problems.append(_error(calls, rid))
    return out


def _llm(calls: _Calls, period: str, team: str | None) -> Llm:
    result, cid = calls.run("llm_spend", {"period": period, "group_by": "model", "team": team, "top": 10},
                            "the week's LLM spend by model")
    if not isinstance(result, LlmSpendResult):
        return Llm(evidence=[cid], problems=[_error(calls, cid)])
    t = result.total
    return Llm(evidence=[cid], cost=t.cost, calls=t.calls, unknown_calls=t.unknown_calls,
               cost_per_1k_calls=t.cost_per_1k_calls, cost_per_1m_tokens=t.cost_per_1m_tokens,
               previous_cost=result.previous_cost, change=t.change, change_pct=t.change_pct,
               models=result.rows, unknown_models=result.unknown_models, source=result.source)


def _unit_costs(calls: _Calls, period: str, team: str | None) -> UnitCosts:
    out = UnitCosts()
    for by, field, purpose in (("endpoint", "endpoints", "cost per 1K requests per endpoint"),
                               ("app", "apps", "cost per 1K calls per app"),
                               ("training_run", "training_runs", "cost per training run per project")):
        result, cid = calls.run("unit_costs", {"by": by, "period": period, "top": 50}, purpose)
        out.evidence.append(cid)
        if isinstance(result, UnitCostsResult):
            rows = result.rows if team is None else [r for r in result.rows if r.team == team]
            setattr(out, field, rows[:8])
        else:
            out.problems.append(_error(calls, cid))
    return out


# -- charts --------------------------------------------------------------------------------------------
def _charts(calls: _Calls, week: ReportWeek, team: str | None, primary: SpendResult, primary_id: str,
            summary: WeeklySummary) -> Charts:
    charts = Charts(daily_by="team" if team is None else "service", movers_by="team" if team is None else "service",
                    evidence=[primary_id] + summary.llm.evidence)
    movers = _mover_rows(primary, "team" if team is None else "service", CHART_MOVERS)
    charts.movers = [ChartBar(label=m.key, value=m.change) for m in movers]
    charts.llm_models = [ChartBar(label=(f"other ({r.folded})" if r.is_other else show(r.key)), value=r.cost)
                         for r in summary.llm.models if r.cost is not None and r.cost > 0]
    # Daily stacked bands: each team (company), or a team's biggest services and the rest as one band.
    bands = [r for r in primary.rows if not r.is_other and r.billed > 0]
    if team is not None:
        bands = [r for r in bands if not r.key.startswith("(no ")][:DAILY_SERVICES]
    filters = [({"team": r.key} if team is None else {"team": team, "service": r.key}, r.key) for r in bands]
    shown: list[list[Decimal]] = []
    for flt, name in filters:
        result, cid = calls.run("spend", {"period": week.period(), "group_by": "day", "compare": False, **flt},
                                f"daily spend of {charts.daily_by} {name}")
        charts.evidence.append(cid)
        charts.daily_evidence.append(cid)
        if not isinstance(result, SpendResult):
            continue
        values = [r.billed for r in result.rows]
        shown.append(values)
        charts.daily.append(DailySeries(name=name, values=values))
    total, cid = calls.run("spend", {"period": week.period(), "group_by": "day", "compare": False, "team": team},
                           "daily spend of " + ("the company" if team is None else f"team {team}"))
    charts.evidence.append(cid)
    charts.daily_evidence.append(cid)
    if isinstance(total, SpendResult):
        charts.days = [_iso_day(r.key) for r in total.rows]
        charts.day_totals = [r.billed for r in total.rows]
        if team is not None and len(shown) == len(filters):
            rest = [r.billed - sum((s[i] for s in shown), Decimal(0)) for i, r in enumerate(total.rows)]
            if any(v != 0 for v in rest):
                charts.daily.append(DailySeries(name=OTHER_SERVICES, values=rest))
    return charts


def _iso_day(key: str) -> date:
    return date.fromisoformat(key[:10])


def _error(calls: _Calls, call_id: str) -> str:
    call = next(c for c in calls.calls if c.id == call_id)
    return f"{call.tool}: {call.error}"


def _jsonable(args: Mapping[str, Any]) -> dict[str, object]:
    return {k: (v if isinstance(v, (str, int, float, bool, list)) or v is None else str(v)) for k, v in args.items()}
