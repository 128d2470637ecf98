"""prompt_audit: per prompt / app, what the fixed system-prompt prefix costs (tokens x calls per day) and
what four changes would save per month, each with its arithmetic:

- trimming the system prompt by N%;
- prompt caching of the prefix, at the catalog's cache-read price;
- setting max_tokens where none is set and the P95 output is far above the median;
- moving a task that does not need a frontier model (classification, extraction, routing) to the
  cheapest adequate model of the same provider in the catalog.

The savings overlap (trimming and caching act on the same prefix): each is shown on its own, never summed.
A move the question names (`target_model`: any model of the price catalog) is priced the same way for every
prompt, suggested or not (`ModelOption.asked`): its own column in the table, and agent.derived's headline.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.caching import caching_verdict
from knowledge.errors import UnknownNameError
from knowledge.naming import suggest
from tools.contract import NoDataError, TableView, ToolResult, money, pct
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.sqlparts import (
    CALL_IN_PERIOD,
    MONTH_DAYS,
    calls_range,
    dec,
    during,
    no_data,
    percentile,
    period_params,
    show,
)

SIMPLE_TASKS = ("classification", "extraction", "routing")
LONG_TAIL_RATIO = Decimal(2)             # P95 output at least this many times the median: "far above"
# Catalog entries that are not general chat models a task could move to.
_NOT_A_TARGET = ("ft:", "audio", "realtime", "search", "preview", "transcribe", "tts", "image", "embed",
                 "computer-use", "codex", "deep-research", "moderation", "instruct")


_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")


class PromptAuditArgs(BaseModel):
    period: str = Field("last 30 days", description="Period measured.")
    trim_pct: int = Field(20, ge=1, le=90, description="System prompt trim, percent.")
    app: str | None = Field(None, description="Only this app.")
    prompt: str | None = Field(None, description="Only this prompt id.")
    team: str | None = Field(None, description="Only this team.")
    top: int = Field(10, ge=1, le=50, description="Prompts listed.")
    target_model: str | None = Field(None, description="Price moving to this model.")


class Saving(BaseModel):
    kind: Literal["trim", "caching", "max_tokens", "model_tier"]
    monthly: Decimal
    arithmetic: str
    caveat: str | None = None
    # False: the change does not work as it is (a prefix below the provider's minimum cacheable length,
    # knowledge/caching.py); `monthly` is then what it saves once the condition in `caveat` is met.
    applies: bool = True


class ModelOption(BaseModel):
    model: str
    tier: str | None
    monthly_cost: Decimal
    monthly_saving: Decimal      # negative: the move costs more
    asked: bool = False          # priced because the question named it (`target_model`), not suggested by the audit
    fits: bool = True            # the model takes the prompt's longest input and its P95 output


class PromptAuditRow(BaseModel):
    prompt_id: str
    version: str | None = None
    app: str | None = None
    team: str | None = None
    model: str
    provider: str | None = None
    tier: str | None = None
    task_type: str | None = None
    system_prompt_tokens: int | None = None
    caching_enabled: bool | None = None
    calls: int
    calls_per_day: Decimal
    input_tokens_per_day: Decimal
    output_tokens_per_day: Decimal
    cached_share: Decimal | None = None
    prefix_tokens_per_day: Decimal | None = None
    prefix_cost_per_day: Decimal | None = None
    cost_per_day: Decimal | None = None      # what its calls actually cost per day (None: unknown price)
    cost: Decimal | None = None              # what its calls cost in the measured window (None: unknown price)
    max_tokens: int | None = None            # the largest max_tokens its calls set
    calls_without_max_tokens: int = 0
    median_output: Decimal | None = None
    p95_output: Decimal | None = None
    output_basis: str | None = None          # "per call" or "hourly averages"
    suggested_max_tokens: int | None = None
    savings: list[Saving] = Field(default_factory=list)
    suggested_model: str | None = None
    model_options: list[ModelOption] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def best(self) -> Decimal:
        return max((s.monthly for s in self.savings), default=Decimal(0))


class PromptAuditResult(ToolResult):
    period: Period
    measured: Period                         # the part of the period the call logs cover
    trim_pct: int
    rows: list[PromptAuditRow]

    def summary(self) -> str:
        if not self.rows:
            return f"No LLM calls with a prompt id {during(self.period)}."
        parts: list[str] = []
        by_prefix = sorted((r for r in self.rows if r.prefix_cost_per_day is not None),
                           key=lambda r: (-(r.prefix_cost_per_day or 0), r.prompt_id))
        for r in by_prefix[:3]:
            text = (f"{_who(r)}: its {r.system_prompt_tokens:,}-token system prompt runs {_num(r.calls_per_day)} times a"
                    f" day = {_num(r.prefix_tokens_per_day)} prefix tokens/day costing {money(r.prefix_cost_per_day)}/day"
                    f" ({money((r.prefix_cost_per_day or Decimal(0)) * MONTH_DAYS)}/month)"
                    + (", with no caching." if not r.cached_share else f"; {pct(r.cached_share)} of its input is cached."))
            for sv in sorted((x for x in r.savings if x.kind in ("caching", "trim")), key=lambda x: -x.monthly):
                text += " " + _saving_text(r, sv)
            parts.append(text)
        for r in self.rows:
            for sv in r.savings:
                if sv.kind == "model_tier":
                    spent = (f"; its calls cost {money(r.cost)} {during(self.measured)}" if r.cost is not None else "")
                    parts.append(f"{_who(r)} runs a {r.task_type} task on frontier model {show(r.model)}{spent}. "
                                 + _saving_text(r, sv))
        for r in self.rows:
            if r.calls_without_max_tokens and r.p95_output is not None and r.median_output is not None and \
                    r.p95_output >= LONG_TAIL_RATIO * r.median_output:
                text = (f"{_who(r)} sets no max_tokens on {r.calls_without_max_tokens:,} calls and its output P95 is "
                        f"{_num(r.p95_output)} tokens vs a median of {_num(r.median_output)} ({r.output_basis}).")
                for sv in r.savings:
                    if sv.kind == "max_tokens":
                        text += " " + _saving_text(r, sv)
                parts.append(text)
        unpriced = [r for r in self.rows if r.provider is None]
        if unpriced:
            parts.append("No catalog price for " + ", ".join(show(r.model) for r in unpriced) + ": their costs are unknown.")
        if any(len([x for x in r.savings if x.kind in ("trim", "caching")]) > 1 for r in self.rows):
            parts.append("Trimming and caching act on the same prefix: their savings overlap, do not add them.")
        # calls per day, P95 and median output are measured over this window: said once, first
        window = during(self.measured) if self.measured != self.period else during(self.period)
        return f"Measured {window}: " + " ".join(parts) if parts else ""

    def table(self) -> TableView:
        rows: list[list[Any]] = []
        for r in self.rows:
            by = {s.kind: money(s.monthly) for s in r.savings}
            tier = by.get("model_tier", "–")
            if r.suggested_model:
                tier += f" ({r.suggested_model})"
            rows.append([r.app or r.prompt_id, r.model, r.task_type or "",
                         "" if r.system_prompt_tokens is None else f"{r.system_prompt_tokens:,}", _num(r.calls_per_day),
                         money(r.prefix_cost_per_day), by.get("trim", "–"), by.get("caching", "–"),
                         by.get("max_tokens", "–"), tier])
        columns = ["app", "model", "task", "system tokens", "calls/day", "prefix $/day",
                   "trim $/mo", "caching $/mo", "max_tokens $/mo", "cheaper model $/mo"]
        # a move the question named (target_model): its saving per prompt (negative: it costs more)
        asked = next((o.model for r in self.rows for o in r.model_options if o.asked), None)
        if asked is not None:
            columns.append(f"to {asked} $/mo saved")
            for line, r in zip(rows, self.rows):
                option = next((o for o in r.model_options if o.asked), None)
                line.append("–" if option is None else money(option.monthly_saving))
        return TableView(columns=columns, rows=rows)


def _who(r: PromptAuditRow) -> str:
    return (f"{show(r.app or r.prompt_id)} (prompt {show(r.prompt_id)}" + (f" {show(r.version)}" if r.version else "")
            + f", {show(r.model)})")


def _saving_text(r: PromptAuditRow, sv: Saving) -> str:
    if not sv.applies:
        return (f"{_KIND_TEXT[sv.kind](r)} does not work as it is: {sv.caveat}; after that it would save "
                f"{money(sv.monthly)}/month ({sv.arithmetic}).")
    text = f"{_KIND_TEXT[sv.kind](r)} would save {money(sv.monthly)}/month ({sv.arithmetic}"
    return text + (f"; {sv.caveat})." if sv.caveat else ").")


_KIND_TEXT = {
    "trim": lambda r: "Trimming the system prompt",
    "caching": lambda r: "Caching the prefix",
    "max_tokens": lambda r: f"Setting max_tokens={r.suggested_max_tokens:,} (none is set)",
    "model_tier": lambda r: f"Moving it to {show(r.suggested_model)}, the cheapest adequate {r.provider} model in the catalog,",
}


def _num(v: Decimal | int | None) -> str:
    if v is None:
        return "unknown"
    d = Decimal(v)
    if d == d.to_integral_value() or abs(d) >= 1000:
        return f"{int(d.to_integral_value()):,}"
    return f"{d:,.1f}"


def _per_m(price: Decimal | None) -> str:
    """A per-token price as dollars per 1M tokens, without rounding it away ($0.075/1M)."""
    if price is None:
        return "unknown"
    per_m = (Decimal(price) * 1_000_000).normalize()
    text = f"{per_m:f}"
    if "." in text and len(text.split(".")[1]) < 2:
        text = f"{per_m:.2f}"
    elif "." not in text:
        text = f"{per_m:.2f}"
    return f"${text}/1M"


@tool(
    "prompt_audit",
    "Per prompt/app: system-prompt tokens x calls/day -> prefix cost per day; monthly savings from trimming N%, "
    "caching, max_tokens where P95 output >> median, and a cheaper model for classification/extraction/routing.",
    examples=[
        "Which prompts cost the most? What would trimming the system prompt save?",
        "Our 800-token system prompt runs 500K times a day: what does it cost?",
        "Are we using a frontier model where a mini would do?",
        "Which apps don't set max_tokens?",
    ],
)
def prompt_audit(ctx: ToolContext, args: PromptAuditArgs) -> PromptAuditResult:
    period = ctx.period(args.period)
    filters: list[str] = []
    params: list[Any] = []
    for field, kind, column in (("app", "app", "c.app"), ("prompt", "prompt", "c.prompt_id"), ("team", "team", "c.team")):
        raw = getattr(args, field)
        if raw is not None and str(raw).strip():
            filters.append(f"{column} = ?")
            params.append(ctx.resolve(kind, str(raw)))
    data = calls_range(ctx)
    if not data.rows or data.first is None or data.last is None:
        raise no_data("LLM calls", period, data, " (prompt_audit needs call logs: `finops ingest llm-calls`)")
    lo, hi = max(period.start, data.first.date()), min(period.end, data.last.date())
    if hi <= lo:
        raise no_data("LLM calls", period, data)
    measured = Period(start=lo, end=hi, label=period.label if (lo, hi) == (period.start, period.end) else "days with call logs")
    if measured.days < period.days:
        ctx.note(f"call logs cover {measured.describe()} of {period.describe()}; per-day figures use those {measured.days} days")
    days = Decimal(measured.days)
    cond = "".join(f" AND {f}" for f in filters)
    mp = period_params(measured)

    rows = ctx.query(
        f"""
        WITH c AS (
            SELECT c.* FROM llm_calls c
            WHERE c.prompt_id IS NOT NULL AND {CALL_IN_PERIOD.replace('ts', 'c.ts')}{cond}
        ),
        g AS (
            SELECT c.prompt_id, c.prompt_version AS version, c.model, min(c.app) AS app, min(c.team) AS team,
                   sum(c.calls) AS calls, sum(c.input_tokens) AS input_tokens,
                   sum(c.cached_input_tokens) AS cached_tokens, sum(c.output_tokens) AS output_tokens,
                   sum(c.cost) AS cost, count(*) FILTER (WHERE c.cost IS NULL) AS unpriced_rows,
                   max(c.max_tokens) AS max_tokens, sum(c.calls) FILTER (WHERE c.max_tokens IS NULL) AS no_max_calls,
                   max(CAST(c.input_tokens AS DOUBLE) / c.calls) AS max_input_per_call,
                   count(*) FILTER (WHERE c.calls = 1) AS single_rows,
                   {percentile('c.output_tokens', 0.5)} FILTER (WHERE c.calls = 1) AS p50_call,
                   {percentile('c.output_tokens', 0.95)} FILTER (WHERE c.calls = 1) AS p95_call,
                   {percentile('CAST(c.output_tokens AS DOUBLE) / c.calls', 0.5)} AS p50_row,
                   {percentile('CAST(c.output_tokens AS DOUBLE) / c.calls', 0.95)} AS p95_row
            FROM c GROUP BY c.prompt_id, c.prompt_version, c.model
        ),
        caps AS (
            -- a max_tokens cap at the P95 output, rounded up to 100 tokens (per call when calls are logged one by one)
            SELECT prompt_id, version, model, single_rows > 0 AS per_call,
                   CAST(ceil(CASE WHEN single_rows > 0 THEN p95_call ELSE p95_row END / 100) * 100 AS BIGINT) AS cap
            FROM g
        ),
        over AS (
            SELECT c.prompt_id, c.prompt_version AS version, c.model,
                   sum(CASE WHEN caps.per_call THEN greatest(c.output_tokens - caps.cap, 0)
                            ELSE greatest(c.output_tokens - caps.cap * c.calls, 0) END) AS over_cap
            FROM c JOIN caps ON caps.prompt_id = c.prompt_id AND caps.version IS NOT DISTINCT FROM c.prompt_version
                             AND caps.model = c.model
            WHERE c.max_tokens IS NULL AND (NOT caps.per_call OR c.calls = 1)
            GROUP BY c.prompt_id, c.prompt_version, c.model
        ),
        latest AS (
            SELECT * FROM (SELECT prompts.*, row_number() OVER (PARTITION BY prompt_id ORDER BY version DESC) AS rn
                           FROM prompts) WHERE rn = 1
        )
        SELECT g.*, caps.cap, over.over_cap,
               coalesce(p.system_prompt_tokens, pl.system_prompt_tokens) AS system_prompt_tokens,
               coalesce(p.task_type, pl.task_type) AS task_type,
               coalesce(p.caching_enabled, pl.caching_enabled) AS caching_enabled,
               coalesce(p.app, pl.app) AS p_app, coalesce(p.team, pl.team) AS p_team, pl.prompt_id IS NOT NULL AS known,
               lp.provider, lp.input_cost_per_token AS inp, lp.output_cost_per_token AS outp,
               lp.cache_read_input_token_cost AS cache, lp.tier, lp.model AS priced_model
        FROM g
        LEFT JOIN caps ON caps.prompt_id = g.prompt_id AND caps.version IS NOT DISTINCT FROM g.version AND caps.model = g.model
        LEFT JOIN over ON over.prompt_id = g.prompt_id AND over.version IS NOT DISTINCT FROM g.version AND over.model = g.model
        LEFT JOIN prompts p ON p.prompt_id = g.prompt_id AND p.version = g.version
        LEFT JOIN latest pl ON pl.prompt_id = g.prompt_id
        LEFT JOIN llm_prices lp ON lp.model = g.model
        ORDER BY g.calls DESC, g.prompt_id, g.version NULLS LAST, g.model
        """,
        mp + params,
    )
    if not rows:
        raise NoDataError(f"no LLM calls with a prompt id {during(period)}"
                          + (" for the filters given" if filters else ""))
    out: list[PromptAuditRow] = []
    tier_rows: list[tuple[PromptAuditRow, dict[str, Any]]] = []
    for r in rows:
        price = r if r["priced_model"] is not None else None
        row = _audit(r, r if r["known"] else None, price, days, args.trim_pct)
        if row.calls_without_max_tokens and row.p95_output and row.median_output and \
                row.p95_output >= LONG_TAIL_RATIO * row.median_output and price is not None:
            _max_tokens_saving(row, r, days)
        if row.task_type in SIMPLE_TASKS and row.tier == "frontier" and price is not None:
            tier_rows.append((row, r))
        out.append(row)
    if tier_rows:
        catalog = ctx.query(
            f"""SELECT model, provider, tier, input_cost_per_token AS inp, output_cost_per_token AS outp,
                       cache_read_input_token_cost AS cache, max_input_tokens, max_output_tokens
                FROM llm_prices
                WHERE provider IN ({', '.join(['?'] * len({r['provider'] for _, r in tier_rows}))})
                  AND mode = 'chat' AND tier <> 'frontier'
                  AND input_cost_per_token IS NOT NULL AND output_cost_per_token IS NOT NULL
                ORDER BY model""",
            sorted({r["provider"] for _, r in tier_rows}),
        )
        for row, r in tier_rows:
            _model_tier_saving(row, r, catalog)
    if args.target_model:
        target = _catalog_model(ctx, args.target_model)
        for row, r in zip(out, rows):
            if r["priced_model"] is not None and row.model != target["model"]:
                _asked_move(row, r, target)
    out.sort(key=lambda x: (-x.best, -(x.prefix_cost_per_day or 0), -x.calls, x.prompt_id))
    return PromptAuditResult(period=period, measured=measured, trim_pct=args.trim_pct, rows=out[: args.top])


def _audit(r: dict[str, Any], p: dict[str, Any] | None, price: dict[str, Any] | None, days: Decimal,
           trim_pct: int) -> PromptAuditRow:
    calls = int(r["calls"])
    per_day = Decimal(calls) / days
    per_call = int(r["single_rows"] or 0) > 0
    p50 = r["p50_call"] if per_call else r["p50_row"]
    p95 = r["p95_call"] if per_call else r["p95_row"]
    row = PromptAuditRow(
        prompt_id=r["prompt_id"], version=r["version"], app=r["app"] or (p or {}).get("p_app"),
        team=r["team"] or (p or {}).get("p_team"), model=r["model"],
        provider=price["provider"] if price else None, tier=price["tier"] if price else None,
        task_type=(p or {}).get("task_type"), system_prompt_tokens=(p or {}).get("system_prompt_tokens"),
        caching_enabled=(p or {}).get("caching_enabled"), calls=calls, calls_per_day=per_day,
        input_tokens_per_day=Decimal(int(r["input_tokens"])) / days,
        output_tokens_per_day=Decimal(int(r["output_tokens"])) / days,
        cached_share=None if not r["input_tokens"] else Decimal(int(r["cached_tokens"] or 0)) / Decimal(int(r["input_tokens"])),
        cost_per_day=None if r["unpriced_rows"] else dec(r["cost"]) / days,
        cost=None if r["unpriced_rows"] else dec(r["cost"]),
        max_tokens=r["max_tokens"], calls_without_max_tokens=int(r["no_max_calls"] or 0),
        median_output=None if p50 is None else Decimal(str(round(float(p50), 1))),
        p95_output=None if p95 is None else Decimal(str(round(float(p95), 1))),
        output_basis=("per call" if per_call else "hourly averages") if p50 is not None else None,
    )
    if p is None:
        row.notes.append("no row in the prompts table: system prompt size and task type unknown")
    if price is None:
        row.notes.append(f"model {r['model']} has no price in the catalog: costs unknown")
        return row
    spt = row.system_prompt_tokens
    if spt is None:
        return row
    inp = Decimal(price["inp"])
    cache = Decimal(price["cache"]) if price["cache"] is not None else None
    prefix_per_day = Decimal(spt) * per_day
    # Share of the prefix already served from cache (cached tokens can only come from the prefix).
    f = min(Decimal(1), Decimal(int(r["cached_tokens"] or 0)) / (Decimal(spt) * calls)) if calls and spt else Decimal(0)
    blended = (1 - f) * inp + f * (cache if cache is not None else inp)
    row.prefix_tokens_per_day = prefix_per_day
    row.prefix_cost_per_day = prefix_per_day * blended
    trimmed = Decimal(spt) * trim_pct / 100
    price_text = _per_m(inp) + " input" if f == 0 else f"{_per_m(blended)} (blend of input and cached price)"
    row.savings.append(Saving(
        kind="trim", monthly=trimmed * per_day * blended * MONTH_DAYS,
        arithmetic=(f"{spt:,} tokens × {trim_pct}% = {_num(trimmed)} tokens × {_num(per_day)} calls/day × {price_text}"
                    f" × {MONTH_DAYS} days"),
    ))
    if cache is not None and cache < inp and f < Decimal("0.99"):
        uncached = Decimal(spt) * (1 - f)
        verdict = caching_verdict(r["model"], price["provider"], spt, observed_cached=f > 0)
        row.savings.append(Saving(
            kind="caching", monthly=uncached * per_day * (inp - cache) * MONTH_DAYS,
            arithmetic=(f"{_num(uncached)} uncached prefix tokens × {_num(per_day)} calls/day × "
                        f"({_per_m(inp)} input − {_per_m(cache)} cached) × {MONTH_DAYS} days"),
            caveat=verdict.why_not(), applies=verdict.cacheable is not False,
        ))
    return row


def _max_tokens_saving(row: PromptAuditRow, r: dict[str, Any], days: Decimal) -> None:
    """Cap at the P95 (rounded up to 100 tokens): the output tokens above it over the period (from SQL),
    per day, x the output price."""
    assert row.p95_output is not None and row.median_output is not None
    cap = int(r["cap"])
    over_per_day = Decimal(int(r["over_cap"] or 0)) / days
    outp = Decimal(r["outp"])
    row.suggested_max_tokens = cap
    row.savings.append(Saving(
        kind="max_tokens", monthly=over_per_day * outp * MONTH_DAYS,
        arithmetic=(f"P95 output {_num(row.p95_output)} vs median {_num(row.median_output)} tokens ({row.output_basis}); "
                    f"max_tokens={cap:,} cuts {_num(over_per_day)} output tokens/day × {_per_m(outp)} output × {MONTH_DAYS} days"),
        caveat="answers longer than the cap are cut off; check the longest outputs before setting it",
    ))


def _catalog_model(ctx: ToolContext, name: str) -> dict[str, Any]:
    """The price catalog's row of `name` (case ignored); an unknown model is an error with suggestions."""
    catalog = ctx.query(
        """SELECT model, provider, tier, input_cost_per_token AS inp, output_cost_per_token AS outp,
                  cache_read_input_token_cost AS cache, max_input_tokens, max_output_tokens
           FROM llm_prices WHERE input_cost_per_token IS NOT NULL AND output_cost_per_token IS NOT NULL ORDER BY model""")
    found = [c for c in catalog if c["model"].lower() == name.strip().lower()]
    if not found:
        raise UnknownNameError("model", name, suggest(name, [c["model"] for c in catalog]))
    return found[0]


def _daily_cost(row: PromptAuditRow, inp: Decimal, outp: Decimal, cache: Decimal | None) -> Decimal:
    """What a day of this prompt's calls costs at these per-token prices (cached input at `cache`, else `inp`)."""
    in_day, out_day = row.input_tokens_per_day, row.output_tokens_per_day
    cached_day = (row.cached_share or Decimal(0)) * in_day
    return (in_day - cached_day) * inp + cached_day * (cache if cache is not None else inp) + out_day * outp


def _prices(c: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal | None]:
    return Decimal(c["inp"]), Decimal(c["outp"]), Decimal(c["cache"]) if c["cache"] is not None else None


def _fits(c: dict[str, Any], row: PromptAuditRow, price: dict[str, Any]) -> bool:
    """Whether catalog model `c` takes this prompt's longest input and its P95 output (or max_tokens)."""
    need_in = int(math.ceil(float(price["max_input_per_call"] or 0)))
    need_out = int(max(float(row.p95_output or 0), float(row.max_tokens or 0)))
    return ((c["max_input_tokens"] is None or c["max_input_tokens"] >= need_in)
            and (c["max_output_tokens"] is None or c["max_output_tokens"] >= need_out))


def _asked_move(row: PromptAuditRow, price: dict[str, Any], target: dict[str, Any]) -> None:
    """The move the question named, priced like the audit's own (same calls, the target's catalog prices)."""
    current = _daily_cost(row, *_prices(price))
    cost = _daily_cost(row, *_prices(target))
    fits = _fits(target, row, price)
    row.model_options = [o for o in row.model_options if o.model != target["model"]] + [ModelOption(
        model=target["model"], tier=target["tier"], monthly_cost=cost * MONTH_DAYS,
        monthly_saving=(current - cost) * MONTH_DAYS, asked=True, fits=fits)]


def _model_tier_saving(row: PromptAuditRow, price: dict[str, Any], catalog: list[dict[str, Any]]) -> None:
    """The cheapest adequate model of the same provider: chat, not frontier, priced, context and output
    limits that fit this prompt's calls; the same family's smaller models are listed too."""
    rows = [c for c in catalog if c["provider"] == price["provider"] and _fits(c, row, price)]
    rows = [c for c in rows if not any(bad in c["model"].lower() for bad in _NOT_A_TARGET)]
    # A dated snapshot (gpt-4o-mini-2024-07-18) when its alias (gpt-4o-mini) is there too: keep the alias.
    names = {c["model"] for c in rows}
    rows = [c for c in rows if _SNAPSHOT.sub("", c["model"]) == c["model"] or _SNAPSHOT.sub("", c["model"]) not in names]
    if not rows:
        row.notes.append(f"no cheaper adequate {price['provider']} model in the catalog")
        return
    in_day, out_day = row.input_tokens_per_day, row.output_tokens_per_day
    cached_day = (row.cached_share or Decimal(0)) * in_day
    current = _daily_cost(row, *_prices(price))
    options = []
    for c in rows:
        cost = _daily_cost(row, *_prices(c))
        if cost < current:
            options.append((cost, len(c["model"]), c["model"], c))
    if not options:
        return
    options.sort(key=lambda o: (o[0], o[1], o[2]))
    best = options[0]
    family = [o for o in options if o[2].startswith(row.model + "-")]
    chosen = [best] + [o for o in family[:2] if o[2] != best[2]]
    row.model_options = [ModelOption(model=o[2], tier=o[3]["tier"], monthly_cost=o[0] * MONTH_DAYS,
                                     monthly_saving=(current - o[0]) * MONTH_DAYS) for o in chosen]
    row.suggested_model = best[2]
    c = best[3]
    arithmetic = (f"{_num(in_day)} input tokens/day × ({_per_m(Decimal(price['inp']))} − {_per_m(Decimal(c['inp']))})"
                  f" + {_num(out_day)} output tokens/day × ({_per_m(Decimal(price['outp']))} − {_per_m(Decimal(c['outp']))})"
                  f" = {money(current - best[0])}/day × {MONTH_DAYS} days")
    if cached_day:
        arithmetic += " (cached input at each model's cache-read price)"
    others = [o for o in row.model_options[1:]]
    caveat = "check quality on a sample of this task before switching"
    if others:
        caveat += "; same-family option: " + ", ".join(f"{o.model} saves {money(o.monthly_saving)}/month" for o in others)
    row.savings.append(Saving(kind="model_tier", monthly=(current - best[0]) * MONTH_DAYS, arithmetic=arithmetic,
                              caveat=caveat))
