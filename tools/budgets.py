"""budgets: burn vs budget per scope for the period holding today, a forecast to the period's end with an
80% interval (tools.forecast's method), and the alerts at each threshold (80% and 100% by default).

Spent = BilledCost of the scope from the period's start through the last day of data (team scopes
use the allocation view's x_team). Forecast = spent + the scope's forecast for the remaining days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from tools.contract import TableView, ToolResult, money, pct
from tools.forecast import last_data_day
from tools.registry import ToolContext, tool
from tools.scopes import daily_costs, days_between, filled, resolve_scope
from tools.timeseries import forecast_series

HISTORY_DAYS = 56
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12, "annual": 12}


class BudgetsArgs(BaseModel):
    scope_kind: Literal["team", "project", "service", "total"] | None = Field(None, description="Only budgets of this kind.")
    name: str | None = Field(None, description="Only this scope's budget (e.g. a team).")
    alerts_only: bool = Field(False, description="Only budgets with an alert.")


class BudgetStatus(BaseModel):
    scope_kind: str
    scope: str
    period: str
    period_start: date
    period_end: date             # exclusive
    amount: Decimal
    spent: Decimal
    pct: Decimal
    days_elapsed: int
    days_left: int
    forecast: Decimal
    forecast_low: Decimal
    forecast_high: Decimal
    forecast_pct: Decimal
    exceed_on: date | None       # first day the forecast cumulative spend passes the budget
    thresholds: list[Decimal]
    alerts: list[str]

    def sentence(self) -> str:
        label = f"{self.scope} ({self.scope_kind})" if self.scope_kind != "total" else "Total"
        text = (f"{label} has spent {money(self.spent)} of its {money(self.amount)} {self.period} budget from "
                f"{self.period_start.isoformat()} ({pct(self.pct)}) with {self.days_left} days left; forecast "
                f"{money(self.forecast)} by the end ({pct(self.forecast_pct)}; 80% interval {money(self.forecast_low)} "
                f"to {money(self.forecast_high)})")
        if self.alerts:
            text += ": " + "; ".join(self.alerts)
        return text + "."


class BudgetsResult(ToolResult):
    as_of: date
    data_end: date
    budgets: list[BudgetStatus]
    method: str
    without_alerts: int = 0       # budgets that matched but were left out: only alerts were asked for

    def summary(self) -> str:
        if not self.budgets and self.without_alerts:
            n = self.without_alerts
            return (f"No budget has an alert: the {n} budget{'s' if n != 1 else ''} covering "
                    f"{self.as_of.isoformat()} {'are' if n != 1 else 'is'} under {'their' if n != 1 else 'its'} "
                    "alert thresholds.")
        if not self.budgets:
            return f"No budgets cover {self.as_of.isoformat()} (or none match)."
        alerted = [b for b in self.budgets if b.alerts]
        n = len(self.budgets) + self.without_alerts
        head = (f"{len(alerted)} of {n} budgets {'has' if len(alerted) == 1 else 'have'} alerts." if alerted
                else "The budget is under its alert thresholds." if n == 1
                else f"All {n} budgets are under their alert thresholds.")
        return f"{head} " + " ".join(b.sentence() for b in self.budgets) + f" Forecast method: {self.method}."

    def table(self) -> TableView:
        return TableView(columns=["scope", "budget", "spent", "%", "forecast", "forecast %", "alerts"],
                         rows=[[f"{b.scope_kind} {b.scope}", money(b.amount), money(b.spent), pct(b.pct), money(b.forecast),
                                pct(b.forecast_pct), "; ".join(b.alerts)] for b in self.budgets])


@tool("budgets",
      "Budget burn per team/project/service for the current period: spent vs budget, forecast to the period's "
      "end with an interval, and alerts at 80% and 100%.",
      examples=["Which team is closest to its budget?", "Are we on track with the budgets this month?",
                "How much of its budget has support used?"])
def budgets(ctx: ToolContext, args: BudgetsArgs) -> BudgetsResult:
    today = ctx.today
    name = resolve_scope(ctx, args.scope_kind or "team", args.name) if args.name else None
    rows = ctx.query(
        """
        SELECT scope_kind, scope_name, period, period_start, amount, alert_thresholds
        FROM budgets WHERE period_start <= ?
        ORDER BY scope_kind, scope_name, period_start DESC, period
        """,
        [today],
    )
    current = []
    for r in rows:
        end = _add_months(r["period_start"], PERIOD_MONTHS.get(r["period"], 1))
        if r["period_start"] <= today < end:
            if args.scope_kind and r["scope_kind"] != args.scope_kind:
                continue
            if name and r["scope_name"] != name:
                continue
            current.append((r, end))
    data_end = last_data_day(ctx) if current else today - timedelta(days=1)
    through = data_end + timedelta(days=1)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for r, _ in current:
        by_kind[r["scope_kind"]].append(r["scope_name"])
    history_start = through - timedelta(days=HISTORY_DAYS)
    series: dict[tuple[str, str], dict[date, Decimal]] = {}
    for kind, names in by_kind.items():
        start = min([history_start] + [r["period_start"] for r, _ in current if r["scope_kind"] == kind])
        got = daily_costs(ctx, kind, start, through, only=None if kind == "total" else sorted(set(names)))
        for key, s in got.items():
            series[(kind, "total" if kind == "total" else key)] = s
    out: list[BudgetStatus] = []
    without_alerts = 0
    method = ""
    for r, end in current:
        kind, scope = r["scope_kind"], r["scope_name"]
        s = series.get((kind, "total" if kind == "total" else scope), {})
        spent = sum((v for d, v in s.items() if r["period_start"] <= d < through), Decimal(0))
        amount = Decimal(r["amount"])
        horizon = max(0, (end - through).days)
        history = days_between(history_start, through)
        fc = forecast_series(history, filled(s, history_start, through), horizon) if horizon else None
        method = fc.method if fc else method
        forecast = spent + (fc.total if fc else Decimal(0))
        low = spent + (fc.low if fc else Decimal(0))
        high = spent + (fc.high if fc else Decimal(0))
        exceed_on = None
        if fc and forecast > amount and spent <= amount:
            running = spent
            for d, v in zip(fc.days, fc.values):
                running += v
                if running > amount:
                    exceed_on = d
                    break
        thresholds = _thresholds(r["alert_thresholds"])
        ratio = spent / amount if amount > 0 else Decimal(0)
        alerts = []
        crossed = [t for t in thresholds if amount > 0 and spent >= t * amount]
        if crossed:
            top = max(crossed)
            alerts.append(f"over budget by {money(spent - amount)}" if top >= 1 and spent > amount
                          else f"past the {pct(top, 0)} alert")
        if amount > 0 and forecast > amount and spent <= amount:
            alerts.append(f"forecast to exceed the budget by {money(forecast - amount)}"
                          + (f" around {exceed_on.isoformat()}" if exceed_on else ""))
        status = BudgetStatus(scope_kind=kind, scope=scope, period=r["period"], period_start=r["period_start"],
                              period_end=end, amount=amount, spent=spent, pct=ratio,
                              days_elapsed=(through - r["period_start"]).days, days_left=(end - through).days,
                              forecast=forecast, forecast_low=low, forecast_high=high,
                              forecast_pct=forecast / amount if amount > 0 else Decimal(0), exceed_on=exceed_on,
                              thresholds=thresholds, alerts=alerts)
        if args.alerts_only and not alerts:
            without_alerts += 1
            continue
        out.append(status)
    out.sort(key=lambda b: (-b.pct, b.scope_kind, b.scope))
    return BudgetsResult(as_of=today, data_end=data_end, budgets=out, method=method or "no forecast needed",
                         without_alerts=without_alerts)


def _thresholds(text: str | None) -> list[Decimal]:
    out = []
    for part in (text or "0.8,1.0").split(","):
        try:
            out.append(Decimal(part.strip()))
        except ArithmeticError:
            continue
    return sorted(out) or [Decimal("0.8"), Decimal("1.0")]


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)
