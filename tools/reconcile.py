"""reconcile: per LLM API provider and month, the cost computed from usage (call logs x the price catalog)
against what the provider invoiced (its FOCUS rows), so price-catalog drift and missing logs are visible.

- computed: the call logs (`llm_calls`) priced with today's catalog (`knowledge.prices.llm_cost_sql`);
  a provider-month without call logs uses its usage buckets (`llm_usage_buckets`, token endpoints,
  priced by `knowledge.connectors.pricing.bucket_cost_sql`). Calls whose model has no price are counted
  and make the computed figure a lower bound ("at least").
- invoiced: BilledCost of `focus_charges` rows with ServiceCategory 'AI and Machine Learning' whose
  ProviderName is that provider (case-insensitive; e.g. 'OpenAI' for 'openai'), by ChargePeriodStart month.
- difference = computed - invoiced, and as a share of invoiced (computed in Python from exact sums).
Only LLM API providers are considered: those of the call logs, the buckets, or the price catalog.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.connectors.pricing import TOKEN_ENDPOINTS, bucket_cost_sql
from knowledge.ingest.suggest import suggestions
from knowledge.prices import llm_cost_sql
from tools.contract import NoDataError, TableView, ToolResult, UnknownNameError, money, pct
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.sqlparts import day_start, ratio, show

Basis = Literal["call logs", "usage buckets"]


class ReconcileArgs(BaseModel):
    period: str = Field("last 3 months", description="Months, e.g. 'last 3 months', '2026-10', 'this year'.")
    provider: str | None = Field(None, description="Only this LLM API provider, e.g. 'openai' or 'anthropic'.")


class ReconcileRow(BaseModel):
    provider: str
    month: date
    basis: Basis | None = None
    calls: int | None = None                 # calls (bucket requests) behind the computed cost; None = unknown
    computed: Decimal | None = None          # usage x catalog; None when there is no usage data
    unpriced_calls: int = 0                  # calls / bucket rows whose price is unknown (computed is a lower bound)
    buckets_computed: Decimal | None = None  # the usage buckets' figure too, when call logs are the basis
    invoiced: Decimal | None = None
    invoice_rows: int = 0
    difference: Decimal | None = None
    difference_pct: Decimal | None = None


class ReconcileResult(ToolResult):
    period: Period
    rows: list[ReconcileRow]
    total_computed: Decimal
    total_invoiced: Decimal
    total_difference: Decimal

    def summary(self) -> str:
        both = [r for r in self.rows if r.computed is not None and r.invoiced is not None]
        text = (f"LLM usage vs invoices, {self.period.describe()}: " if both else
                f"Nothing to reconcile in {self.period.describe()}: ")
        if both:
            text += (f"{len(both)} provider-month(s) with both; computed {money(self.total_computed)} from usage x "
                     f"the price catalog vs invoiced {money(self.total_invoiced)}, a difference of "
                     f"{_signed(self.total_difference)} ({pct(ratio(self.total_difference, self.total_invoiced))}).")
            worst = max(both, key=lambda r: (abs(r.difference or 0), r.provider, r.month))
            if worst.difference:
                text += (f" Largest gap: {show(worst.provider)} {worst.month:%Y-%m}, computed {money(worst.computed)} "
                         f"({worst.basis}) vs invoiced {money(worst.invoiced)}: {_signed(worst.difference)} "
                         f"({pct(worst.difference_pct)}).")
        lone = [r for r in self.rows if (r.computed is None) != (r.invoiced is None)]
        if lone:
            text += " Only one side: " + "; ".join(
                f"{show(r.provider)} {r.month:%Y-%m} " + ("invoiced " + money(r.invoiced) + ", no usage data"
                                                          if r.computed is None else
                                                          "usage " + money(r.computed) + ", no invoice")
                for r in lone[:6]) + "."
        unpriced = sum(r.unpriced_calls for r in self.rows)
        if unpriced:
            text += (f" {unpriced:,} call(s) or bucket(s) have a model without a catalog price: the computed "
                     "figures are lower bounds.")
        return text

    def table(self) -> TableView:
        rows: list[list[Any]] = []
        for r in self.rows:
            computed = money(r.computed) if r.computed is not None else "no usage data"
            if r.unpriced_calls and r.computed is not None:
                computed = f"≥ {computed}"
            rows.append([show(r.provider), r.month.strftime("%Y-%m"), r.basis or "", _int(r.calls), computed,
                         money(r.invoiced) if r.invoiced is not None else "no invoice",
                         _signed(r.difference) if r.difference is not None else "", pct(r.difference_pct)])
        return TableView(columns=["provider", "month", "basis", "calls", "computed", "invoiced", "difference",
                                  "difference %"], rows=rows)


def _signed(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    return ("+" if value > 0 else "-" if value < 0 else "") + money(abs(value))


def _int(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _months(period: Period) -> tuple[date, date]:
    """The whole months the period touches: [first of its first month, first of the month after its last day)."""
    first = period.start.replace(day=1)
    last = period.last_day
    end = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return first, end


@tool(
    "reconcile",
    "LLM API cost reconciliation per provider and month: cost computed from call logs (or provider usage "
    "buckets) x the price catalog vs the provider's invoice, with the difference and %, so price drift shows.",
    examples=[
        "Do our OpenAI invoices match our call logs?",
        "Reconcile LLM spend against the Anthropic invoice for last month",
        "Is the price catalog drifting from what providers bill us?",
    ],
)
def reconcile(ctx: ToolContext, args: ReconcileArgs) -> ReconcileResult:
    period = ctx.period(args.period)
    start, end = _months(period)
    params: list[Any] = [day_start(start), day_start(end)]
    only = ""
    if args.provider and args.provider.strip():
        only = " AND lower({col}) = ?"
        params.append(_provider(ctx, args.provider))
    logs = ctx.query(
        f"""
        SELECT lower(c.provider) AS provider, CAST(date_trunc('month', c.ts) AS DATE) AS month,
               sum(c.calls) AS calls, sum({llm_cost_sql('c', 'p')}) AS computed,
               coalesce(sum(c.calls) FILTER (WHERE {llm_cost_sql('c', 'p')} IS NULL), 0) AS unpriced
        FROM llm_calls c LEFT JOIN llm_prices p ON p.model = c.model
        WHERE c.ts >= ? AND c.ts < ?{only.format(col='c.provider')}
        GROUP BY lower(c.provider), CAST(date_trunc('month', c.ts) AS DATE)
        ORDER BY provider, month
        """, params)
    endpoints = ", ".join(f"'{e}'" for e in TOKEN_ENDPOINTS)
    buckets = ctx.query(
        f"""
        SELECT lower(b.provider) AS provider, CAST(date_trunc('month', b.bucket_start) AS DATE) AS month,
               sum(b.requests) AS calls, count(*) FILTER (WHERE b.requests IS NULL) AS no_count,
               sum({bucket_cost_sql('b', 'p')}) AS computed,
               count(*) FILTER (WHERE {bucket_cost_sql('b', 'p')} IS NULL) AS unpriced
        FROM llm_usage_buckets b LEFT JOIN llm_prices p ON p.model = b.model
        WHERE b.endpoint IN ({endpoints}) AND b.bucket_start >= ? AND b.bucket_start < ?{only.format(col='b.provider')}
        GROUP BY lower(b.provider), CAST(date_trunc('month', b.bucket_start) AS DATE)
        ORDER BY provider, month
        """, params)
    invoices = ctx.query(
        f"""
        SELECT lower(ProviderName) AS provider, CAST(date_trunc('month', ChargePeriodStart) AS DATE) AS month,
               min(ProviderName) AS shown, sum(BilledCost) AS invoiced, count(*) AS n
        FROM focus_charges
        WHERE ServiceCategory = 'AI and Machine Learning' AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
          {only.format(col='ProviderName')}
          AND lower(ProviderName) IN (SELECT lower(provider) FROM llm_calls UNION SELECT lower(provider) FROM
                                      llm_usage_buckets UNION SELECT lower(provider) FROM llm_prices)
        GROUP BY lower(ProviderName), CAST(date_trunc('month', ChargePeriodStart) AS DATE)
        ORDER BY provider, month
        """, params)
    keys = sorted({(r["provider"], r["month"]) for r in logs + buckets + invoices if r["provider"]})
    if not keys:
        raise NoDataError(f"no LLM call logs, usage buckets or AI API invoices in {period.describe()}; ingest them "
                          "with `finops ingest llm-calls|litellm-spend|openai-usage|openai-costs|...`")
    by_logs = {(r["provider"], r["month"]): r for r in logs}
    by_buckets = {(r["provider"], r["month"]): r for r in buckets}
    by_invoice = {(r["provider"], r["month"]): r for r in invoices}
    names = {r["provider"]: r["shown"] for r in invoices}
    rows: list[ReconcileRow] = []
    for key in keys:
        log, bucket, inv = by_logs.get(key), by_buckets.get(key), by_invoice.get(key)
        row = ReconcileRow(provider=names.get(key[0], key[0]), month=key[1])
        if log is not None:
            row.basis, row.calls = "call logs", int(log["calls"] or 0)
            row.computed, row.unpriced_calls = _dec(log["computed"], log["calls"]), int(log["unpriced"])
            row.buckets_computed = _dec(bucket["computed"], 1) if bucket is not None else None
        elif bucket is not None:
            row.basis = "usage buckets"
            row.calls = None if bucket["no_count"] else int(bucket["calls"] or 0)
            row.computed, row.unpriced_calls = _dec(bucket["computed"], 1), int(bucket["unpriced"])
        if inv is not None:
            row.invoiced, row.invoice_rows = Decimal(inv["invoiced"]), int(inv["n"])
        if row.computed is not None and row.invoiced is not None:
            row.difference = row.computed - row.invoiced
            row.difference_pct = ratio(row.difference, row.invoiced)
        rows.append(row)
    both = [r for r in rows if r.difference is not None]
    total_computed = sum((r.computed for r in both if r.computed is not None), Decimal(0))
    total_invoiced = sum((r.invoiced for r in both if r.invoiced is not None), Decimal(0))
    if not both:
        ctx.note("no provider-month holds both usage data and an invoice")
    last = date.fromordinal(end.toordinal() - 1)
    label = f"{start:%Y-%m}" if (start.year, start.month) == (last.year, last.month) else f"{start:%Y-%m} to {last:%Y-%m}"
    return ReconcileResult(period=Period(start=start, end=end, label=label),
                           rows=rows, total_computed=total_computed, total_invoiced=total_invoiced,
                           total_difference=total_computed - total_invoiced)


def _provider(ctx: ToolContext, raw: str) -> str:
    """The provider named (case-insensitive) among those with call logs, buckets or AI invoices."""
    known = [r["p"] for r in ctx.query(
        """SELECT lower(provider) AS p FROM llm_calls UNION SELECT lower(provider) FROM llm_usage_buckets
           UNION SELECT lower(ProviderName) FROM focus_charges WHERE ServiceCategory = 'AI and Machine Learning'
           ORDER BY 1""") if r["p"]]
    want = raw.strip().lower()
    if want in known:
        return want
    raise UnknownNameError("provider", raw.strip(), suggestions(raw.strip(), known))


def _dec(value: Any, present: Any) -> Decimal | None:
    """A summed cost: NULL with rows present means every row was unpriced -> 0 known (a lower bound)."""
    if value is None:
        return Decimal(0) if present else None
    return Decimal(value)
