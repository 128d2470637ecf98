"""forecast: a scope's cost over the coming days, from its own daily history, with an 80% interval.

Method (tools.timeseries.forecast_series): multiplicative weekday factors (each day's ratio to a
centred 7-day average, median per weekday), a Theil-Sen trend line through the weekday-adjusted last
28 days (the median of pairwise slopes, so a one-off charge does not tilt it), and a p10-p90 interval
from the robust spread of the residuals (1.4826 x MAD) x sqrt(horizon), assuming independent daily
errors. It is a baseline, not a plan: launches, price changes and planned jobs are not in the history.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from tools.contract import NoDataError, TableView, ToolResult, money, pct
from tools.registry import ToolContext, tool
from tools.scopes import daily_costs, days_between, filled, resolve_scope
from tools.timeseries import forecast_series

ForecastScope = Literal["total", "team", "service", "model", "project", "provider"]


class ForecastArgs(BaseModel):
    scope: ForecastScope = Field("total", description="What to forecast.")
    name: str | None = Field(None, description="One name; empty = all.")
    horizon_days: int = Field(30, ge=1, le=366, description="Days to forecast.")
    start: date | None = Field(None, description="First day of a later period (next month: its 1st).")
    history_days: int = Field(56, ge=14, le=366, description="Days of history to learn from.")
    top: int = Field(10, ge=1, le=100, description="Most scopes when no name.")


class ScopeForecast(BaseModel):
    scope: str
    total: Decimal
    low: Decimal
    high: Decimal
    previous: Decimal            # actual cost of the same number of days up to the latest data
    change: Decimal | None
    slope_per_day: Decimal
    daily: list[tuple[date, Decimal]]


class ForecastResult(ToolResult):
    scope_kind: str
    start: date
    end: date                    # last forecast day
    history_start: date
    history_end: date
    method: str
    forecasts: list[ScopeForecast]

    def summary(self) -> str:
        span = f"{self.start.isoformat()} to {self.end.isoformat()}"
        gap = (self.start - self.history_end).days > 1       # a later period: the days between are not counted

        def before(n: int) -> str:
            return f"last {n} days of data (to {self.history_end.isoformat()})" if gap else f"{n} days before"

        parts = []
        for f in self.forecasts:
            label = "Total spend" if self.scope_kind == "total" else f"{f.scope} ({self.scope_kind})"
            change = f" ({'+' if f.change >= 0 else ''}{pct(f.change)})" if f.change is not None else ""
            parts.append(f"{label}: {money(f.total)} forecast for {span} (80% interval {money(f.low)} to "
                         f"{money(f.high)}), vs {money(f.previous)} in the {before(len(f.daily))}{change}; "
                         f"trend {'+' if f.slope_per_day >= 0 else '-'}{money(abs(f.slope_per_day))}/day.")
        return " ".join(parts) + (f" Learned from {self.history_start.isoformat()} to {self.history_end.isoformat()}. "
                                  f"Method: {self.method}.")

    def table(self) -> TableView:
        return TableView(columns=["scope", "forecast", "p10", "p90", "previous", "change"],
                         rows=[[f.scope, money(f.total), money(f.low), money(f.high), money(f.previous), pct(f.change)]
                               for f in self.forecasts])


@tool("forecast",
      "Forecast spend (total or per team/service/model/project) for the next N days or a later period. "
      "From its daily history (weekday pattern and robust trend), with an 80% interval.",
      examples=["What will we spend next month?", "Forecast the search team's cost for the next 30 days",
                "Where is BigQuery spend heading?"])
def forecast(ctx: ToolContext, args: ForecastArgs) -> ForecastResult:
    name = resolve_scope(ctx, args.scope, args.name)
    data_end = last_data_day(ctx)
    history_start = data_end - timedelta(days=args.history_days - 1)
    end = data_end + timedelta(days=1)
    skip = 0 if args.start is None else (args.start - end).days
    if args.start is not None and skip < 0:
        raise NoDataError(f"{args.start.isoformat()} is not after the latest billing data "
                          f"({data_end.isoformat()}): that is spend, not a forecast; ask for spend over that period")
    fetch_start = min(history_start, end - timedelta(days=args.horizon_days))
    series = daily_costs(ctx, args.scope, fetch_start, end, name=name)
    if args.scope in ("model", "project"):
        series.pop("(none)", None)
    if name is not None and name not in series and args.scope != "total":
        raise NoDataError(f"no charges for {args.scope} '{name}' between {fetch_start.isoformat()} and {data_end.isoformat()}")
    keys = sorted(series, key=lambda k: (-sum(series[k].values(), Decimal(0)), k))[: args.top]
    days = days_between(history_start, end)
    out: list[ScopeForecast] = []
    method = ""
    for key in keys:
        values = filled(series[key], history_start, end)
        fc = forecast_series(days, values, args.horizon_days, skip=skip)
        method = fc.method
        prev = sum(filled(series[key], end - timedelta(days=args.horizon_days), end), Decimal(0))
        out.append(ScopeForecast(scope=key, total=fc.total, low=fc.low, high=fc.high, previous=prev,
                                 change=(fc.total - prev) / prev if prev > 0 else None, slope_per_day=fc.slope_per_day,
                                 daily=list(zip(fc.days, fc.values))))
    first = end + timedelta(days=skip)
    return ForecastResult(scope_kind=args.scope, start=first, end=first + timedelta(days=args.horizon_days - 1),
                          history_start=history_start, history_end=data_end, method=method, forecasts=out)


def last_data_day(ctx: ToolContext) -> date:
    """The last day with billing data, not after the day before `today` (read once per read-only store version
    and day: a pass over the ChargePeriodStart column, 100 ms at 100M charges)."""
    last = ctx.once_per_store(f"last_charge_before:{ctx.today.isoformat()}", lambda: ctx.scalar(
        "SELECT max(ChargePeriodStart) AS last FROM focus_charges WHERE ChargePeriodStart < ?",
        [ctx.today + timedelta(days=1)]))
    if last is None:
        raise NoDataError("the store holds no billing data to forecast from (ingest a FOCUS export first)")
    return min(last.date(), ctx.today - timedelta(days=1)) if last.date() >= ctx.today else last.date()
