"""llm_spend: LLM tokens and cost by model / app / feature / team / prompt / customer / provider, cost per
1K calls and per 1M tokens, cached-token share, and the trend (change vs the previous period, daily cost).

Rows whose model has no catalog price carry cost NULL: their cost is shown as unknown, never $0.
It reads the `llm_usage` view: every per-call log row (`llm_calls`), plus the provider usage buckets
(`llm_usage_buckets`: calls = requests, ts = bucket start, app = project) of the provider-days no call
log covers, so a store with only OpenAI / Anthropic usage exports answers too and nothing counts twice.
A store without call logs (e.g. the FOCUS sample) falls back to the AI-service lines of the bill: cost
only, tokens unknown.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.semantic.compiler import relation
from knowledge.semantic.model import DIMENSIONS
from tools.contract import FinopsError, Listing, NoDataError, TableView, ToolResult, money, pct
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.sqlparts import (
    CALL_IN_PERIOD,
    CHARGE_IN_PERIOD,
    DataRange,
    covered_days,
    day_start,
    dec,
    during,
    no_data,
    partly_covered,
    period_params,
    ratio,
    require_charges,
    show,
    top_n_sql,
)

LlmGroupBy = Literal["model", "app", "feature", "team", "prompt", "customer", "provider", "day", "week"]
_TIME_DIMS = {"day", "week"}
_KEYS = {
    "model": "model", "app": "app", "feature": "feature", "team": "team", "prompt": "prompt_id",
    "customer": "customer_id", "provider": "provider",
    "day": "CAST(ts AS DATE)", "week": "CAST(date_trunc('week', ts) AS DATE)",
}
# filter field -> (name kind, column)
_FILTERS = {"model": ("model", "model"), "app": ("app", "app"), "feature": ("feature", "feature"),
            "team": ("team", "team"), "provider": ("provider", "provider"), "prompt": ("prompt", "prompt_id"),
            "customer": ("customer", "customer_id")}
# Columns whose spelling differs between sources ('OpenAI' on the bill, 'openai' in call logs): matched
# case-insensitively.
_CASELESS = {"provider"}
# The bill's AI lines when there are no call logs: what each grouping maps to.
# (Dimensions of the semantic model, knowledge/semantic: the bill's model is the same model spend means.)
_BILL_KEYS = {k: DIMENSIONS[k].sql for k in ("model", "provider", "team", "app", "day", "week")}
_AI_BILL_LINES = "ServiceCategory = 'AI and Machine Learning'"


class LlmSpendArgs(BaseModel):
    period: str = Field("last 30 days", description="Period, e.g. 'last month', 'last week', '2026-11'.")
    group_by: LlmGroupBy = Field("model", description="Dimension to group LLM usage by.")
    model: str | None = Field(None, description="Only this model.")
    app: str | None = Field(None, description="Only this app.")
    feature: str | None = Field(None, description="Only this feature.")
    team: str | None = Field(None, description="Only this team.")
    provider: str | None = Field(None, description="Only this provider, e.g. 'openai'.")
    prompt: str | None = Field(None, description="Only this prompt id.")
    customer: str | None = Field(None, description="Only this customer id.")
    top: int = Field(10, ge=1, le=100, description="Rows to show before folding the rest into 'other'.")


class LlmSpendRow(BaseModel):
    key: str
    calls: int | None = None
    input_tokens: int | None = None
    cached_input_tokens: int | None = None
    output_tokens: int | None = None
    cost: Decimal | None = None              # known cost; None when no call of the row has a price
    unknown_calls: int = 0                   # calls whose model has no price (cost unknown)
    cost_per_1k_calls: Decimal | None = None
    cost_per_1m_tokens: Decimal | None = None
    cached_share: Decimal | None = None      # cached input tokens / input tokens
    share: Decimal | None = None             # of the period's known cost
    previous_cost: Decimal | None = None
    change: Decimal | None = None
    change_pct: Decimal | None = None
    folded: int = 1
    is_other: bool = False


class DailyCost(BaseModel):
    day: date
    cost: Decimal


class LlmSpendResult(ToolResult):
    listing = Listing("rows", "key")   # the accessors (tools.contract.ToolResult): what "those" refers to
    period: Period
    previous: Period
    group_by: str
    filters: dict[str, str] = Field(default_factory=dict)
    source: Literal["llm_calls", "billing"] = "llm_calls"
    rows: list[LlmSpendRow]
    total: LlmSpendRow
    previous_cost: Decimal | None = None
    daily: list[DailyCost] = Field(default_factory=list)
    unknown_models: list[str] = Field(default_factory=list)
    partial_from: date | None = None    # the call logs start inside the period ...
    partial_days: int | None = None     # ... and cover this many of its days

    def nothing_matched(self) -> bool:
        """Filters that match no call (or bill line) in the period: not the same as a $0 cost."""
        if not self.filters:
            return False
        return not self.rows if self.source == "billing" else not self.total.calls

    def summary(self) -> str:
        t = self.total
        scope = f" for {', '.join(f'{k} {show(v)}' for k, v in self.filters.items())}" if self.filters else ""
        if self.source == "billing" and self.nothing_matched():
            return (f"The store holds no LLM call logs, and no AI-service line of the bill matches{scope} "
                    f"{during(self.period)}, so there is no LLM cost to report for it.")
        if self.source == "billing":
            text = (f"The store holds no LLM call logs, so this is the AI-service lines of the bill: "
                    f"{money(t.cost)}{scope} {during(self.period)} (tokens unknown).")
        elif self.nothing_matched():
            # nothing matched: say so, never "$0.00 over 0 calls"
            text = f"No LLM calls match {scope[len(' for '):]} {during(self.period)}, so there is no LLM cost to report for it."
            if self.previous_cost:
                text += f" There were {money(self.previous_cost)} of such calls in {self.previous.describe()}."
            return text
        else:
            cost = money(t.cost) if t.cost is not None else "unknown"
            if t.cost is not None and t.unknown_calls:
                cost = f"at least {money(t.cost)}"
            covered = (partly_covered(self.period, self.partial_from, self.partial_days, "the LLM call data")
                       if self.partial_from else "")
            text = (f"LLM spend{scope} {during(self.period)}{covered} was {cost} over {t.calls:,} calls "
                    f"({_tokens(t.input_tokens)} input tokens, {pct(t.cached_share)} of them cached; "
                    f"{_tokens(t.output_tokens)} output tokens): {money(t.cost_per_1k_calls, 4)} per 1K calls, "
                    f"{money(t.cost_per_1m_tokens, 4)} per 1M tokens.")
        if self.previous_cost is not None and t.change is not None:
            if t.change == 0:
                text += f" Unchanged from {self.previous.describe()}."
            else:
                size = f"{pct(abs(t.change_pct))} ({money(abs(t.change))})" if t.change_pct is not None else money(abs(t.change))
                text += (f" That is {'up' if t.change > 0 else 'down'} {size} from {money(self.previous_cost)} "
                         f"in {self.previous.describe()}.")
        if self.group_by not in _TIME_DIMS:
            items = [f"{_label(r)} {money(r.cost)}" + (f" ({pct(r.share)})" if r.share is not None else "")
                     for r in self.rows[:6]]
            text += f" By {self.group_by}: " + "; ".join(items) + "."
        elif self.daily:
            peak = max(self.daily, key=lambda d: (d.cost, d.day))
            text += f" Highest day: {peak.day.isoformat()} at {money(peak.cost)}."
        if t.unknown_calls:
            text += (f" Cost is unknown for {t.unknown_calls:,} calls of "
                     + ", ".join(show(m) for m in self.unknown_models) + " (no price in the catalog).")
        return text

    def table(self) -> TableView:
        cols = [self.group_by, "calls", "input tokens", "cached %", "output tokens", "cost", "per 1K calls",
                "per 1M tokens", "share", "previous", "change %"]
        rows: list[list[Any]] = []
        if self.nothing_matched():
            return TableView(columns=cols, rows=rows)   # nothing matched: no "$0.00" total row
        for r in self.rows + [self.total]:
            cost = money(r.cost) if not (r.unknown_calls and r.cost is None) else "unknown"
            if r.unknown_calls and r.cost is not None:
                cost = f"≥ {money(r.cost)}"
            rows.append([_label(r), _int(r.calls), _int(r.input_tokens), pct(r.cached_share), _int(r.output_tokens),
                         cost, money(r.cost_per_1k_calls, 4), money(r.cost_per_1m_tokens, 4), pct(r.share),
                         money(r.previous_cost), pct(r.change_pct)])
        return TableView(columns=cols, rows=rows)


def _label(r: LlmSpendRow) -> str:
    return f"other ({r.folded})" if r.is_other else show(r.key)


def _int(v: int | None) -> str:
    return "unknown" if v is None else f"{v:,}"


def _tokens(v: int | None) -> str:
    if v is None:
        return "unknown"
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if v >= size:
            return f"{Decimal(v) / size:.1f}{suffix}"
    return str(v)


@tool(
    "llm_spend",
    "LLM API usage and cost by model, app, feature, team, prompt, customer, provider, day or week: calls, tokens, "
    "cost per 1K calls and per 1M tokens, cached-token share, change vs previous period; unknown prices shown as unknown.",
    examples=[
        "How much are we spending on LLM APIs by model?",
        "What's our cost per 1,000 calls on the support bot?",
        "LLM spend by team last month",
        "Which customers cost the most in tokens?",
    ],
)
def llm_spend(ctx: ToolContext, args: LlmSpendArgs) -> LlmSpendResult:
    period = ctx.period(args.period)
    previous = period.previous()
    filters: dict[str, str] = {}
    where: list[str] = []
    params: list[Any] = []
    for field, (kind, column) in _FILTERS.items():
        raw = getattr(args, field)
        if raw is None or not str(raw).strip():
            continue
        name = ctx.resolve(kind, str(raw))
        filters[field] = name
        where.append(f"lower({column}) = lower(?)" if field in _CASELESS else f"{column} = ?")
        params.append(name)
    data = None
    if filters:  # filtered, the main query cannot tell "no calls at all" from "no call matched"
        data = _require_calls(ctx, period)
        if data is None:
            return _from_bill(ctx, args, period, previous, filters)

    cond = "".join(f" AND {c}" for c in where)
    grouped = f"""
        WITH base AS (
            SELECT {_KEYS[args.group_by]} AS k, calls, input_tokens, cached_input_tokens, output_tokens, cost,
                   model, ts, ts >= ? AS cur
            FROM llm_usage WHERE {CALL_IN_PERIOD}{cond}
        ),
        g AS (
            SELECT k,
                   sum(calls) FILTER (WHERE cur) AS calls,
                   sum(input_tokens) FILTER (WHERE cur) AS input_tokens,
                   sum(cached_input_tokens) FILTER (WHERE cur) AS cached_input_tokens,
                   sum(output_tokens) FILTER (WHERE cur) AS output_tokens,
                   sum(cost) FILTER (WHERE cur) AS cost,
                   sum(calls) FILTER (WHERE cur AND cost IS NULL) AS unknown_calls,
                   sum(calls) FILTER (WHERE cur AND cost IS NOT NULL) AS priced_calls,
                   sum(input_tokens + output_tokens) FILTER (WHERE cur AND cost IS NOT NULL) AS priced_tokens,
                   sum(cost) FILTER (WHERE NOT cur) AS prev_cost,
                   count(*) FILTER (WHERE NOT cur) AS prev_rows,
                   count(*) FILTER (WHERE cur) AS cur_rows,
                   min(ts) AS first_ts
            FROM base GROUP BY k
        )"""
    sums = ["calls", "input_tokens", "cached_input_tokens", "output_tokens", "cost", "unknown_calls",
            "priced_calls", "priced_tokens", "prev_cost", "prev_rows", "cur_rows"]
    scan = [period_params(period)[0], period_params(previous)[0], period_params(period)[1]] + params
    if args.group_by in _TIME_DIMS:
        rows = ctx.query(grouped + f" SELECT k AS key, 1 AS folded, 1 AS slot, first_ts, {', '.join(sums)} "
                                   "FROM g ORDER BY k", scan)
    else:
        rows = ctx.query(top_n_sql(grouped, ["coalesce(cost, 0)", "coalesce(calls, 0)"], sums,
                                   extra="min(first_ts) AS first_ts,"),
                         scan + [args.top, args.top + 1])
    if data is None:
        if not any(r["cur_rows"] for r in rows):
            data = _require_calls(ctx, period)
            if data is None:
                return _from_bill(ctx, args, period, previous, filters)
        firsts = [r["first_ts"] for r in rows if r["first_ts"] is not None]
        data = DataRange(min(firsts), None, sum(int(r["cur_rows"] or 0) for r in rows))
    cur_rows = [r for r in rows if r["calls"]]
    if not cur_rows:
        ctx.note("no LLM calls match the filters in the period")
    prev_covered = data.first is not None and data.first.date() < period.start
    total = _row("total", {c: _sum(rows, c) for c in sums}, prev_covered)
    out = [_row(str(r["key"]) if r["key"] is not None else "(none)", r, prev_covered, folded=int(r["folded"]),
                is_other=int(r["slot"]) == args.top + 1) for r in cur_rows]
    for r in out:
        r.share = ratio(r.cost, total.cost)
    if args.group_by not in _TIME_DIMS:
        out.sort(key=lambda r: (r.is_other, -(r.cost or 0), -(r.calls or 0), r.key))
    else:
        out = _fill_time(out, period, args.group_by)
    daily = _daily(ctx, period, cond, params)
    unknown = []
    if total.unknown_calls:
        unknown = [r["model"] for r in ctx.query(
            f"""SELECT DISTINCT coalesce(model, '(no model: not grouped by model)') AS model FROM llm_usage
                WHERE {CALL_IN_PERIOD}{cond} AND cost IS NULL ORDER BY model""",
            period_params(period) + params)]
    # a period the call logs start inside is only partly covered: a quarter's figure from its last 35 days says so
    partial_from, partial_days = None, None
    first = ctx.store_fact("llm_usage_first", "SELECT min(ts) FROM llm_usage")
    if first is not None:
        day = first.date() if isinstance(first, datetime) else first
        if period.start < day < period.end:
            partial_from, partial_days = day, covered_days(period, day, None)
            ctx.note(f"the period is only partly covered: LLM call data starts {day.isoformat()}")
    return LlmSpendResult(period=period, previous=previous, group_by=args.group_by, filters=filters, rows=out,
                          total=total, previous_cost=total.previous_cost, daily=daily, unknown_models=unknown,
                          partial_from=partial_from, partial_days=partial_days)


def _require_calls(ctx: ToolContext, period: Period) -> DataRange | None:
    """The call logs' range; None when the store holds no call logs at all; NoDataError when the period
    holds none."""
    data = _usage_range(ctx)
    if not data.rows:
        return None
    if data.last is None or data.first is None or data.last.date() <= period.start or data.first.date() >= period.end:
        raise no_data("LLM calls", period, data)
    return data


def _usage_range(ctx: ToolContext) -> DataRange:
    """The range of the call logs and usage buckets (`llm_usage`), like sqlparts.calls_range for llm_calls."""
    row = ctx.query("SELECT min(ts) AS first, max(ts) AS last, count(*) AS n FROM llm_usage")[0]
    last = row["last"]
    return DataRange(row["first"], None if last is None else day_start(last.date() + timedelta(days=1)), int(row["n"]))


def _sum(rows: list[dict[str, Any]], col: str) -> Any:
    vals = [r[col] for r in rows if r[col] is not None]
    return sum(vals) if vals else None


def _row(key: str, r: dict[str, Any], prev_covered: bool, *, folded: int = 1, is_other: bool = False) -> LlmSpendRow:
    priced_calls, priced_tokens = r["priced_calls"], r["priced_tokens"]
    cost = r["cost"] if r["cost"] is not None or not r["unknown_calls"] else None
    cost = dec(cost) if cost is not None or priced_calls else None
    if cost is None and not r["unknown_calls"]:
        cost = Decimal(0)
    prev = dec(r["prev_cost"]) if prev_covered else None
    change = None if prev is None or cost is None else cost - prev
    return LlmSpendRow(
        key=key, calls=int(r["calls"] or 0), input_tokens=int(r["input_tokens"] or 0),
        cached_input_tokens=int(r["cached_input_tokens"] or 0), output_tokens=int(r["output_tokens"] or 0),
        cost=cost, unknown_calls=int(r["unknown_calls"] or 0),
        cost_per_1k_calls=None if cost is None or not priced_calls else cost / Decimal(priced_calls) * 1000,
        cost_per_1m_tokens=None if cost is None or not priced_tokens else cost / Decimal(priced_tokens) * 1_000_000,
        cached_share=ratio(r["cached_input_tokens"], r["input_tokens"]),
        previous_cost=prev, change=change, change_pct=ratio(change, prev), folded=folded, is_other=is_other,
    )


def _fill_time(rows: list[LlmSpendRow], period: Period, unit: str) -> list[LlmSpendRow]:
    by_key = {r.key: r for r in rows}
    step = timedelta(days=1 if unit == "day" else 7)
    k = period.start if unit == "day" else period.start - timedelta(days=period.start.weekday())
    out = []
    while k < period.end:
        out.append(by_key.get(k.isoformat()) or LlmSpendRow(key=k.isoformat(), calls=0, input_tokens=0,
                                                            cached_input_tokens=0, output_tokens=0, cost=Decimal(0)))
        k += step
    return out


def _daily(ctx: ToolContext, period: Period, cond: str, params: list[Any]) -> list[DailyCost]:
    rows = ctx.query(
        f"""SELECT CAST(ts AS DATE) AS day, sum(cost) AS cost FROM llm_usage
            WHERE {CALL_IN_PERIOD}{cond} GROUP BY CAST(ts AS DATE) ORDER BY day""",
        period_params(period) + params,
    )
    by_day = {r["day"]: dec(r["cost"]) for r in rows}
    return [DailyCost(day=period.start + timedelta(days=i), cost=by_day.get(period.start + timedelta(days=i), Decimal(0)))
            for i in range(period.days)]


def _from_bill(ctx: ToolContext, args: LlmSpendArgs, period: Period, previous: Period,
               filters: dict[str, str]) -> LlmSpendResult:
    """No call logs: the AI-service lines of the bill (ServiceCategory 'AI and Machine Learning')."""
    if args.group_by not in _BILL_KEYS:
        raise NoDataError(f"LLM spend by {args.group_by} needs LLM call logs and the store holds none "
                          "(ingest them with `finops ingest llm-calls`); without them it can be grouped by "
                          + ", ".join(sorted(_BILL_KEYS)))
    unsupported = sorted(set(filters) - {"provider", "team"})
    if unsupported:
        raise FinopsError(f"filtering by {', '.join(unsupported)} needs LLM call logs; the store holds none")
    data = require_charges(ctx, period)
    where = [_AI_BILL_LINES]
    params: list[Any] = []
    if "provider" in filters:
        where.append("lower(ProviderName) = lower(?)")
        params.append(filters["provider"])
    if "team" in filters:
        where.append("x_team = ?")
        params.append(filters["team"])
    source = relation([DIMENSIONS[args.group_by]] + ([DIMENSIONS["team"]] if "team" in filters else []))
    grouped = f"""
        WITH g AS (
            SELECT {_BILL_KEYS[args.group_by]} AS k,
                   sum(BilledCost) FILTER (WHERE ChargePeriodStart >= ?) AS cost,
                   sum(BilledCost) FILTER (WHERE ChargePeriodStart < ?) AS prev_cost,
                   count(*) FILTER (WHERE ChargePeriodStart >= ?) AS n
            FROM {source} WHERE {CHARGE_IN_PERIOD} AND {' AND '.join(where)}
            GROUP BY {_BILL_KEYS[args.group_by]}
        )"""
    start = period_params(period)[0]
    scan = [start, start, start, period_params(previous)[0], period_params(period)[1]] + params
    rows = ctx.query(top_n_sql(grouped, ["coalesce(cost, 0)"], ["cost", "prev_cost", "n"]),
                     scan + [args.top, args.top + 1])
    rows = [r for r in rows if r["n"]]
    prev_covered = data.first is not None and data.first.date() < period.start
    total_cost = sum((dec(r["cost"]) for r in rows), Decimal(0))
    prev_total = sum((dec(r["prev_cost"]) for r in rows), Decimal(0)) if prev_covered else None
    out = []
    for r in rows:
        cost = dec(r["cost"])
        prev = dec(r["prev_cost"]) if prev_covered else None
        change = None if prev is None else cost - prev
        is_other = int(r["slot"]) == args.top + 1
        out.append(LlmSpendRow(key=str(r["key"]) if r["key"] is not None else "(none)", cost=cost,
                               share=ratio(cost, total_cost), previous_cost=prev, change=change,
                               change_pct=ratio(change, prev), folded=int(r["folded"]), is_other=is_other))
    out.sort(key=lambda r: (r.is_other, -(r.cost or 0), r.key))
    change = None if prev_total is None else total_cost - prev_total
    total = LlmSpendRow(key="total", cost=total_cost, previous_cost=prev_total, change=change,
                        change_pct=ratio(change, prev_total))
    ctx.note("no LLM call logs in the store: cost from the bill's 'AI and Machine Learning' lines; tokens unknown")
    return LlmSpendResult(period=period, previous=previous, group_by=args.group_by, filters=filters, source="billing",
                          rows=out, total=total, previous_cost=prev_total)
