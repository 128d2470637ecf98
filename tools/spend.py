"""spend: billed and effective cost grouped by a dimension over a period, top-N with "other",
spend nobody owns as its own "unallocated" line, and the change vs the previous period."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.semantic.compiler import ResolvedFilter, filter_sql, relation
from knowledge.semantic.model import DIMENSIONS
from tools.contract import Listing, TableView, ToolResult, money, pct
from tools.periods import Period, comparison_period, complete_days
from tools.registry import ToolContext, tool
from tools.sqlparts import (
    CHARGE_IN_PERIOD,
    DataRange,
    charges_range,
    covered_days,
    data_starts_inside,
    dec,
    during,
    partly_covered,
    period_params,
    ratio,
    require_charges,
    show,
    top_n_sql,
)

# The groupings and filters spend offers: a preset over the semantic model (knowledge/semantic), which
# holds every dimension's SQL. Nothing here defines a dimension.
SPEND_GROUPS = ("team", "service", "model", "provider", "project", "env", "resource", "region", "account", "day", "week")
SPEND_FILTERS = ("team", "service", "provider", "project", "env", "region", "account", "resource", "model")
GroupBy = Literal[SPEND_GROUPS]  # type: ignore[valid-type]

UNALLOCATED = "unallocated"
OTHER_LABEL = "other"

_KEYS: dict[str, str] = {g: DIMENSIONS[g].sql for g in SPEND_GROUPS}
_TIME_DIMS = {g for g in SPEND_GROUPS if DIMENSIONS[g].kind == "time"}
_NULLIF_COLUMN = re.compile(r"nullif\((\w+), ''\)")


class SpendArgs(BaseModel):
    period: str = Field("last 30 days", description="e.g. 'last month', 'last week', '2026-11', 'since Oct 1'.")
    group_by: GroupBy = Field("team", description="Dimension to group cost by.")
    team: str | None = Field(None, description="Only this team ('unallocated' = spend no team owns).")
    service: str | None = Field(None, description="Only this service, e.g. 'Amazon EC2'.")
    provider: str | None = Field(None, description="Only this provider, e.g. 'AWS', 'OpenAI'.")
    project: str | None = Field(None, description="Only this project tag.")
    env: str | None = Field(None, description="Only this env tag, e.g. 'prod'.")
    region: str | None = Field(None, description="Only this region id.")
    account: str | None = Field(None, description="Only this sub-account (name or id).")
    resource: str | None = Field(None, description="Only this resource (id or name).")
    model: str | None = Field(None, description="Only this model.")
    top: int = Field(10, ge=1, le=100, description="Rows to show before folding the rest into 'other'.")
    order: Literal["desc", "asc"] = Field("desc", description="asc: smallest first.")
    compare: bool = Field(True, description="Compare with the previous period of the same length.")


class SpendRow(BaseModel):
    key: str
    name: str | None = None            # resource name when grouping by resource
    billed: Decimal
    effective: Decimal
    share: Decimal | None = None       # of the period's billed total
    previous_billed: Decimal | None = None
    change: Decimal | None = None
    change_pct: Decimal | None = None
    charges: int = 0
    folded: int = 1                    # how many keys this row stands for ("other" > 1)
    is_other: bool = False
    is_unallocated: bool = False


class SpendResult(ToolResult):
    # The accessors (tools.contract.ToolResult): what follow-ups and surfaces read from this result.
    listing = Listing("rows", "key", "name")

    def subjects(self) -> list[str]:
        """Grouped by resource: the resources it lists ("who owns it?" asks about the first)."""
        return [item.key for item in self.listed()] if self.group_by == "resource" else []

    period: Period
    previous: Period | None = None
    group_by: str
    filters: dict[str, str] = Field(default_factory=dict)
    rows: list[SpendRow]
    total_billed: Decimal
    total_effective: Decimal
    previous_total_billed: Decimal | None = None
    change: Decimal | None = None
    change_pct: Decimal | None = None
    unallocated_billed: Decimal | None = None  # spend no team owns (when grouped or filtered by team)
    charges: int = 0
    previous_partial_from: date | None = None  # billing data starts inside the previous period
    partial_from: date | None = None           # billing data starts inside the period itself
    partial_days: int | None = None            # ... and covers this many of its days
    order: Literal["desc", "asc"] = "desc"     # "asc": the groups are listed smallest first

    def summary(self) -> str:
        scope = f" for {_describe_filters(self.filters)}" if self.filters else ""
        if self.charges == 0:
            return (f"No charges{scope} {during(self.period)}: billed cost $0.00 "
                    f"(the period itself holds billing data).")
        head = (f"Billed cost{scope} {during(self.period)}"
                f"{partly_covered(self.period, self.partial_from, self.partial_days) if self.partial_from else ''} "
                f"was {money(self.total_billed)} (effective cost {money(self.total_effective)})")
        if self.previous is not None and self.change is not None:
            if not self.change:
                head += f", unchanged from {self.previous.describe()}"
            else:
                direction = "up" if self.change > 0 else "down"
                size = (f"{pct(abs(self.change_pct))} ({money(abs(self.change))})" if self.change_pct is not None
                        else money(abs(self.change)))
                head += (f", {direction} {size} from {money(self.previous_total_billed)} "
                         f"in {self.previous.describe()}")
            if self.previous_partial_from is not None:
                head += (f" (the previous period is only partly covered: billing data starts "
                         f"{self.previous_partial_from.isoformat()})")
        elif self.previous is not None:
            head += f"; there is no billing data for {self.previous.describe()} to compare with"
        parts = [head + "."]
        if self.group_by in _TIME_DIMS:
            peak = max((r for r in self.rows if r.billed), key=lambda r: (r.billed, r.key), default=None)
            if peak is not None:
                parts.append(f"Highest {self.group_by}: {peak.key} at {money(peak.billed)}.")
        else:
            shown = [r for r in self.rows if not r.is_other][:6]
            # Spend nobody owns is always named, even when it is not among the biggest lines.
            shown += [r for r in self.rows if r.is_unallocated and r not in shown]
            # A negative line (credits) is named too: folded into "others" it would push their share over 100%.
            shown += [r for r in self.rows if r.billed < 0 and not r.is_other and r not in shown]
            items = [f"{_row_label(r)} {money(r.billed)} ({pct(r.share)})" for r in shown]
            # Everything not named is summed into one "others" item: named + others = total, exactly.
            rest = [r for r in self.rows if r not in shown]
            if rest:
                rest_billed = sum((r.billed for r in rest), Decimal(0))
                n_rest = sum(r.folded for r in rest)
                items.append(f"{n_rest} other{'s' if n_rest != 1 else ''} {money(rest_billed)} "
                             f"({pct(ratio(rest_billed, self.total_billed))})")
            # No spend without a team is news when every team is shown; with one team asked for, it is not.
            if self.group_by == "team" and "team" not in self.filters and not any(r.is_unallocated for r in self.rows):
                items.append("unallocated $0.00")
            lowest = ", smallest first" if self.order == "asc" else ""
            parts.append(f"By {self.group_by}{lowest}: " + "; ".join(items) + ".")
        if (self.unallocated_billed and self.group_by != "team" and self.filters.get("team") != UNALLOCATED):
            parts.append(f"{money(self.unallocated_billed)} of it has no owning team (unallocated).")
        return " ".join(parts)

    def table(self) -> TableView:
        cols = [self.group_by, "billed", "effective", "share"]
        if self.group_by == "resource":
            cols.insert(1, "name")
        with_prev = self.previous is not None and self.previous_total_billed is not None and self.group_by not in _TIME_DIMS
        if with_prev:
            cols += ["previous", "change", "change %"]
        rows: list[list[Any]] = []
        for r in self.rows:
            line: list[Any] = [_row_label(r), money(r.billed), money(r.effective), pct(r.share)]
            if self.group_by == "resource":
                line.insert(1, r.name or "")
            if with_prev:
                line += [money(r.previous_billed), money(r.change), pct(r.change_pct)]
            rows.append(line)
        total: list[Any] = ["total", money(self.total_billed), money(self.total_effective), pct(Decimal(1) if self.total_billed else None)]
        if self.group_by == "resource":
            total.insert(1, "")
        if with_prev:
            total += [money(self.previous_total_billed), money(self.change), pct(self.change_pct)]
        rows.append(total)
        return TableView(columns=cols, rows=rows)


def _row_label(r: SpendRow) -> str:
    if r.is_other:
        return f"{OTHER_LABEL} ({r.folded})"
    if r.name and r.name != r.key:
        return f"{show(r.key)} ({show(r.name)})"
    return show(r.key)


def _describe_filters(filters: dict[str, str]) -> str:
    return ", ".join(f"{k} {show(v)}" for k, v in filters.items())


@tool(
    "spend",
    "Billed and effective cost over a period grouped by team, service, model, provider, project, env, "
    "resource, region, account, day or week; filters; top-N with 'other'; unallocated spend; change vs previous period.",
    examples=[
        "How much did we spend last month by team?",
        "What did we spend on OpenAI last week?",
        "Top 5 services this month",
        "Daily cost of the search team over the last 30 days",
        "Spend by region vs the previous month",
    ],
)
def spend(ctx: ToolContext, args: SpendArgs) -> SpendResult:
    # A period running to today counts complete days of billing data only ("this month through Dec 3"),
    # and is compared with an explicit period: the same days of the month before for month to date.
    period = complete_days(ctx.period(args.period), ctx.today, _billing_end(ctx))
    previous = comparison_period(period) if args.compare else None
    where, params, filters = _filters(ctx, args)
    # With filters the main query cannot tell "no data" from "nothing matched": check the period first.
    data = require_charges(ctx, period) if filters else None
    needs_alloc = args.group_by == "team" or "team" in filters
    rows = ctx.query(*_spend_sql(args, period, previous, where, params, filters, needs_alloc))

    cur_rows = [r for r in rows if r["n"]] if args.group_by in _TIME_DIMS else rows
    total_billed = sum((dec(r["billed"]) for r in rows), Decimal(0))
    total_effective = sum((dec(r["effective"]) for r in rows), Decimal(0))
    charges = sum(int(r["n"] or 0) for r in rows)
    if data is None:
        if not charges:
            require_charges(ctx, period)  # raises NoDataError naming the range the store holds
        # Unfiltered: where the bill starts and ends (read once per read-only store version), as query_costs
        # reads it; the scan's own first and last charge cost 10% of the statement at 100M charges.
        bill = charges_range(ctx)
        data = DataRange(bill.first, bill.last, charges)
    prev_covered, partial_from = _coverage(ctx, previous, data)
    starts_inside = data_starts_inside(ctx, period)
    if starts_inside is not None:
        ctx.note(f"the period is only partly covered: billing data starts {starts_inside.isoformat()}")
    prev_total = sum((dec(r["prev_billed"]) for r in rows), Decimal(0)) if prev_covered else None
    if data.last is not None and data.last.date() < period.end - timedelta(days=1):
        ctx.note(f"billing data ends {data.last.date().isoformat()}; later days of the period hold no data yet")

    if args.group_by in _TIME_DIMS:
        out = _time_rows(cur_rows, period, args.group_by, total_billed)
    else:
        out = _group_rows(rows, args, total_billed, prev_covered)
    unallocated = sum((dec(r["unalloc"]) for r in rows), Decimal(0)) if needs_alloc else None
    change = None if prev_total is None else total_billed - prev_total
    return SpendResult(
        period=period, previous=previous, group_by=args.group_by, filters=filters, rows=out,
        total_billed=total_billed, total_effective=total_effective, previous_total_billed=prev_total,
        change=change, change_pct=None if change is None else ratio(change, prev_total),
        unallocated_billed=unallocated, charges=charges, previous_partial_from=partial_from, order=args.order,
        partial_from=starts_inside,
        partial_days=None if starts_inside is None else covered_days(period, starts_inside, _billing_end(ctx)),
    )


def _billing_end(ctx: ToolContext) -> date | None:
    """The first day without complete billing data: the day of the bill's latest ChargePeriodEnd (a bill
    ending at 2026-12-04 00:00 covers Dec 3 completely; one ending at 14:00 on Dec 3 covers Dec 2)."""
    last = next((f.latest_data for f in ctx.freshness() if f.source == "billing (FOCUS)"), None)
    return None if last is None else last.date()


def _billed_resource(ctx: ToolContext, name: str) -> str:
    """A GPU job or an endpoint named by its own name ('llama-70b-dpo-r7') is billed under the resource it
    ran on: filter by that resource, and say so. A name the bill itself holds is kept as it is."""
    if ctx.scalar("SELECT count(*) FROM (SELECT 1 FROM focus_charges WHERE ResourceId = ? OR ResourceName = ? "
                  "LIMIT 1)", [name, name]):
        return name
    rows = ctx.query(
        "SELECT DISTINCT resource_id, job_id AS ref FROM gpu_jobs WHERE (name = ? OR job_id = ?) "
        "AND resource_id IS NOT NULL UNION SELECT DISTINCT resource_id, endpoint_id FROM endpoints "
        "WHERE (name = ? OR endpoint_id = ?) AND resource_id IS NOT NULL ORDER BY 1, 2", [name, name, name, name])
    billed = sorted({r["resource_id"] for r in rows})
    if len(billed) != 1:
        return name
    ctx.note(f"{name} is {rows[0]['ref']}; its charges are billed as resource {billed[0]}")
    return str(billed[0])


def _filters(ctx: ToolContext, args: SpendArgs) -> tuple[list[str], list[Any], dict[str, str]]:
    """SQL conditions, their parameters and the resolved names of the filters asked for."""
    where: list[str] = []
    params: list[Any] = []
    filters: dict[str, str] = {}
    for field in SPEND_FILTERS:
        raw = getattr(args, field)
        if raw is None or not str(raw).strip():
            continue
        if field == "team" and str(raw).strip().lower() in (UNALLOCATED, "none", "unowned", "no team"):
            where.append("x_team IS NULL")
            filters["team"] = UNALLOCATED
            continue
        dim = DIMENSIONS[field]
        name = ctx.resolve(dim.name_kind or field, str(raw))
        if field == "resource":
            name = _billed_resource(ctx, name)
        cond, cond_params = filter_sql(ResolvedFilter(dim, "eq", (name,)))
        where.append(cond)
        params.extend(cond_params)
        filters[field] = name
    return where, params, filters


def _spend_sql(args: SpendArgs, period: Period, previous: Period | None, where: list[str], params: list[Any],
               filters: dict[str, str], needs_alloc: bool) -> tuple[str, list[Any]]:
    """One grouped pass over the current and the comparison period, each named by its own bounds
    (they need not be adjacent: Dec 1-3 is compared with Nov 1-3)."""
    source = relation([DIMENSIONS[g] for g in (args.group_by, *filters)])
    key = _KEYS[args.group_by]
    name_expr = "ResourceName" if args.group_by == "resource" else "NULL"
    unalloc_expr = "sum(BilledCost) FILTER (WHERE cur AND x_team IS NULL)" if needs_alloc else "NULL"
    cond = "".join(f" AND {c}" for c in where)
    in_cur = f"({CHARGE_IN_PERIOD})"
    if previous is None:
        in_prev, scanned, bounds = "FALSE", in_cur, period_params(period) * 2
    elif previous.end == period.start:   # adjacent (last month vs the month before): one range to scan
        in_prev, scanned = in_cur, in_cur
        bounds = period_params(period) + period_params(previous) + period_params(Period(start=previous.start, end=period.end, label="both"))
    else:
        in_prev, scanned = in_cur, f"({in_cur} OR {in_cur})"
        bounds = period_params(period) + period_params(previous) + period_params(period) + period_params(previous)
    # A key that is a column with '' read as NULL (service, region, ...) is grouped by the column, then the few
    # groups by the key: hashing nullif(...) on every charge cost 6-9% of the statement at 100M charges.
    bare = _NULLIF_COLUMN.fullmatch(key)
    grouped = f"""
        WITH base AS (
            SELECT {bare.group(1) if bare else key} AS k, {name_expr} AS nm, BilledCost, EffectiveCost,
                   {in_cur} AS cur, {in_prev} AS prev{", x_team" if needs_alloc else ""}
            FROM {source}
            WHERE {scanned}{cond}
        ),
        g{"0" if bare else ""} AS (
            SELECT k, min(nm) AS nm,
                   sum(BilledCost) FILTER (WHERE cur) AS billed,
                   sum(EffectiveCost) FILTER (WHERE cur) AS effective,
                   sum(BilledCost) FILTER (WHERE prev) AS prev_billed,
                   count(*) FILTER (WHERE cur) AS n,
                   {unalloc_expr} AS unalloc
            FROM base GROUP BY k
        )"""
    if bare:
        grouped += """,
        g AS (
            SELECT nullif(k, '') AS k, min(nm) AS nm, sum(billed) AS billed, sum(effective) AS effective,
                   sum(prev_billed) AS prev_billed, sum(n) AS n, sum(unalloc) AS unalloc
            FROM g0 GROUP BY 1
        )"""
    scan = bounds + params
    if args.group_by in _TIME_DIMS:
        return grouped + """
        SELECT k AS key, nm, billed, effective, prev_billed, n, unalloc,
               1 AS folded, 1 AS slot
        FROM g ORDER BY k""", scan
    sql = top_n_sql(grouped, ["coalesce(billed, 0)", "coalesce(prev_billed, 0)"],
                    ["billed", "effective", "prev_billed", "n", "unalloc"],
                    extra="min(nm) AS nm,",
                    ascending=args.order == "asc")
    return sql, scan + [args.top, args.top + 1]


def _coverage(ctx: ToolContext, previous: Period | None, data: DataRange) -> tuple[bool, date | None]:
    """Is the comparison period comparable (the store holds billing data from before its end), and does
    the data start inside it (only partly covered)?"""
    if previous is None or data.first is None:
        return False, None
    first = data.first.date()
    if previous.start < first < previous.end:
        ctx.note(f"the previous period is only partly covered: billing data starts {first.isoformat()}")
        return True, first
    return first < previous.end, None


def _group_rows(rows: list[dict[str, Any]], args: SpendArgs, total_billed: Decimal, prev_covered: bool) -> list[SpendRow]:
    out: list[SpendRow] = []
    for r in rows:
        billed, prev = dec(r["billed"]), (dec(r["prev_billed"]) if prev_covered else None)
        slot = int(r["slot"])
        is_other = slot == args.top + 1
        is_unalloc = slot == 0
        label = ((UNALLOCATED if args.group_by == "team" else f"(no {args.group_by})") if is_unalloc
                 else OTHER_LABEL if is_other else str(r["key"]))
        out.append(SpendRow(
            key=label, name=None if is_other else r["nm"], billed=billed, effective=dec(r["effective"]),
            share=ratio(billed, total_billed), previous_billed=prev,
            change=None if prev is None else billed - prev,
            change_pct=None if prev is None else ratio(billed - prev, prev),
            charges=int(r["n"] or 0), folded=int(r["folded"]), is_other=is_other,
            is_unallocated=is_unalloc and args.group_by == "team",
        ))
    # Biggest first; "unallocated"/"(none)" and "other" keep their own lines, ordered by amount too.
    out.sort(key=lambda s: (s.is_other, s.billed if args.order == "asc" else -s.billed, s.key))
    return out


def _time_rows(rows: list[dict[str, Any]], period: Period, unit: str, total: Decimal) -> list[SpendRow]:
    """One row per day/week of the period, gaps filled with zero (in Python, not generate_series)."""
    by_key = {r["key"]: r for r in rows}
    step = timedelta(days=1 if unit == "day" else 7)
    first: date = period.start if unit == "day" else period.start - timedelta(days=period.start.weekday())
    out: list[SpendRow] = []
    k = first
    while k < period.end:
        r = by_key.get(k)
        billed = dec(r["billed"]) if r else Decimal(0)
        label = k.isoformat()
        if unit == "week":
            iso = k.isocalendar()
            label = f"{iso.year}-W{iso.week:02d}"
            if k < period.start or k + step > period.end:
                lo, hi = max(k, period.start), min(k + step, period.end) - timedelta(days=1)
                label += f" ({lo.isoformat()} to {hi.isoformat()} only)"
        out.append(SpendRow(key=label, billed=billed, effective=dec(r["effective"]) if r else Decimal(0),
                            share=ratio(billed, total), charges=int(r["n"] or 0) if r else 0))
        k += step
    return out
