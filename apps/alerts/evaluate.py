"""Evaluate every condition on a store: run the tools, read their results, build the alerts. Fails closed:
a tool that finds no data holds its alerts back (said in `held`), and stale billing data holds back every
alert computed from the bill, and is an alert itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from apps.alerts import conditions
from apps.alerts.conditions import Owner
from apps.alerts.model import SEVERITY_ORDER, Alert, AlertSettings
from knowledge.store import Store
from tools import budget_tree
from tools.anomalies import AnomaliesResult
from tools.contract import FinopsError, NoDataError
from tools.forecast import last_data_day
from tools.registry import ToolContext, run_tool
from tools.remediations import RemediationsResult
from tools.run_overruns import estimated_runs
from tools.waste import WasteResult
from tools.who_owns import WhoOwnsResult

T = TypeVar("T")


class Evaluation(BaseModel):
    as_of: date
    data_end: date | None
    alerts: list[Alert]
    held: list[str] = Field(default_factory=list)     # what was not checked, and why (never an alert on no data)


def owners(store: Store) -> dict[str, Owner]:
    rows = store.con.execute("SELECT team, nullif(trim(slack_channel), ''), lead FROM teams ORDER BY team").fetchall()
    return {r[0]: Owner(team=r[0], channel=r[1], lead=r[2]) for r in rows}


def _guard(held: list[str], what: str, fn: Callable[[], T]) -> T | None:
    try:
        return fn()
    except FinopsError as exc:
        held.append(f"{what} not checked: {exc}")
        return None


def evaluate(store: Store, cfg: AlertSettings, as_of: date | None = None) -> Evaluation:
    as_of = as_of or store.today()
    held: list[str] = []
    who = owners(store)
    ctx = ToolContext(store, "freshness")
    ctx._today = as_of
    try:
        data_end: date | None = last_data_day(ctx)
    except NoDataError as exc:
        data_end = None
        held.append(f"budget, forecast and anomaly alerts not checked: {exc}")
    alerts: list[Alert] = []
    stale = conditions.stale_alert(data_end, as_of, cfg, list(ctx.runs))
    if stale is not None:
        alerts.append(stale)
        held.append(f"budget, forecast and anomaly alerts held back: billing data stale since {data_end}")
    fixes: Any = _guard(held, "remediations", lambda: run_tool(store, "remediations", {"top": 200}))
    remediations = fixes if isinstance(fixes, RemediationsResult) else None
    if data_end is not None and stale is None:
        alerts += _bill_alerts(store, cfg, as_of, data_end, who, remediations, held)
    waste: Any = _guard(held, "waste", lambda: run_tool(store, "waste", {"top": 1000}))
    if isinstance(waste, WasteResult):
        alerts += conditions.waste_alerts(waste, remediations, cfg, who)
        held += [f"{kind} not checked: {why}" for kind, why in waste.not_checked.items()]
    runs = _guard(held, "estimate overruns", lambda: estimated_runs(_ctx(store, "gpu_jobs", as_of)))
    if runs is not None:
        alerts += conditions.overrun_alerts(runs[0], runs[1], cfg, who)
    alerts.sort(key=lambda a: (SEVERITY_ORDER[a.severity], a.channel, a.kind, a.key))
    return Evaluation(as_of=as_of, data_end=data_end, alerts=alerts, held=held)


def _ctx(store: Store, name: str, as_of: date) -> ToolContext:
    ctx = ToolContext(store, name)
    ctx._today = as_of
    return ctx


def _bill_alerts(store: Store, cfg: AlertSettings, as_of: date, data_end: date, who: dict[str, Owner],
                 remediations: RemediationsResult | None, held: list[str]) -> list[Alert]:
    out: list[Alert] = []
    statuses = _guard(held, "budgets", lambda: budget_tree.statuses(store, as_of, data_end)) or []
    out += conditions.budget_alerts(statuses, cfg, who, remediations)
    out += conditions.forecast_alerts(statuses, cfg, who, remediations)
    found: Any = _guard(held, "anomalies", lambda: run_tool(store, "anomalies", {"period": cfg.anomaly_period, "top": 200}))
    if isinstance(found, AnomaliesResult):
        out += conditions.anomaly_alerts(found, cfg, who, lambda resource: _owner_of(store, resource))
    return out


def _owner_of(store: Store, resource: str) -> tuple[str | None, str | None] | None:
    """Team and owner of a resource from the who_owns tool (ownership rules, endpoints, jobs, tags)."""
    try:
        found = run_tool(store, "who_owns", {"resource": resource})
    except FinopsError:
        return None
    return (found.team, found.owner) if isinstance(found, WhoOwnsResult) and found.team else None
