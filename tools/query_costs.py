"""query_costs: any question of the cost model (measures × group-by × filters × period × comparison ×
top-N) as one validated `CostQuery`, compiled to one SQL statement. Listed rows + "other" add up to the
total exactly; credits are shown, not silently netted; a column the data lacks is said, not guessed."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from knowledge.semantic.compiler import ResolvedQuery, Window, compile_query
from knowledge.semantic.model import DerivedMeasure, Measure
from knowledge.semantic.query import CostQuery
from knowledge.semantic.validate import resolve_query
from tools.contract import FinopsError, TableView, ToolResult, money, pct
from tools.names import candidates
from tools.periods import Period, comparison_period
from tools.registry import ToolContext, tool
from tools.sqlparts import (
    billing_first,
    charges_range,
    covered_days,
    data_starts_inside,
    day_start,
    during,
    no_data,
    partly_covered,
    show,
)

OTHER_LABEL = "other"


class MeasureInfo(BaseModel):
    name: str
    label: str
    unit: str
    description: str
    per_unit: bool = False      # a price per unit (a ratio of cost to quantity): shown to the tenth of a cent


class CostRow(BaseModel):
    keys: list[str | None]
    values: dict[str, Decimal | None]
    previous: dict[str, Decimal | None] = Field(default_factory=dict)
    share: Decimal | None = None          # of the first measure's total
    charges: int = 0
    is_other: bool = False
    folded: int = 1                       # keys this row stands for ("other" > 1)


class QueryCostsResult(ToolResult):
    query: CostQuery
    period: Period
    compare_period: Period | None = None
    measures: list[MeasureInfo]
    group_by: list[str]
    group_labels: list[str]
    null_labels: list[str]
    filters: list[str]
    rows: list[CostRow]
    totals: dict[str, Decimal | None]
    previous_totals: dict[str, Decimal | None] = Field(default_factory=dict)
    charges: int = 0
    previous_charges: int = 0
    credits: Decimal | None = None        # the credits inside the first money measure's total (negative)
    mixed_units: list[str] = Field(default_factory=list)  # measures whose rows are in different units: no total
    compare_partial_from: date | None = None  # billing data starts inside the comparison period
    partial_from: date | None = None          # billing data starts inside the period itself
    partial_days: int | None = None           # ... and covers this many of its days
    data_ends: date | None = None
    data_until: date | None = None            # the day after the billing data's last day, inside the period
    compare_until: date | None = None         # the same, inside the comparison period

    # ---- rendering -------------------------------------------------------------------------------
    def _fmt(self, name: str, value: Decimal | None, total: bool = False) -> str:
        measure = next(m for m in self.measures if m.name == name)
        unit = measure.unit
        if value is None and total and name in self.mixed_units:
            return "n/a (units differ)"
        if value is None:
            return "unknown"
        if unit == "USD":
            # a price per unit is read to the tenth of a cent ($0.0230 per GB-Mo, not $0.02)
            per_unit = measure.per_unit and abs(value) < 1
            return money(value, 6 if abs(value) < Decimal("0.01") and value != 0 else 4 if per_unit else 2)
        if unit == "ratio":
            return pct(value)
        if unit == "count":
            return f"{int(value):,}"
        return f"{value.normalize():,f}"

    def _label(self, row: CostRow) -> str:
        if row.is_other:
            return f"{OTHER_LABEL} ({row.folded})"
        return " / ".join(show(k) if k is not None else nl for k, nl in zip(row.keys, self.null_labels))

    def _days_held(self) -> tuple[int, int]:
        """Days of billing data inside the period and inside the comparison period."""
        assert self.compare_period is not None
        cur = covered_days(self.period, self.partial_from or self.period.start, self.data_until)
        prev = covered_days(self.compare_period, self.compare_partial_from or self.compare_period.start, self.compare_until)
        return cur, prev

    def _per_day(self, cur: Decimal, prev: Decimal) -> str:
        """'; not like for like: ...' when the two periods hold different numbers of days of data (this month
        so far against all of October): the totals' change says little, the daily averages say more."""
        first = self.measures[0]
        if first.unit != "USD":          # a count of distinct things has no daily average
            return ""
        days, prev_days = self._days_held()
        if days == prev_days or days <= 0 or prev_days <= 0:
            return ""
        assert self.compare_period is not None
        if (self.data_until is None and self.compare_until is None and self.partial_from is None
                and self.compare_partial_from is None
                and self.period.whole_months and self.compare_period.whole_months):
            return ""          # October against September: whole months, compared as they are
        daily, prev_daily = cur / days, prev / prev_days
        rel = f" ({'+' if daily > prev_daily else ''}{pct((daily - prev_daily) / prev_daily)})" if prev_daily else ""
        return (f"; not like for like: {days} day{'s' if days != 1 else ''} of billing data against {prev_days}, so per day "
                f"{self._fmt(first.name, daily)} against {self._fmt(first.name, prev_daily)}{rel}")

    def summary(self) -> str:
        first = self.measures[0]
        scope = f" for {', '.join(self.filters)}" if self.filters else ""
        if not self.charges:
            basis = " (billing periods starting then)" if self.query.period_basis == "billing" else ""
            return f"No charges{scope} {during(self.period)}{basis}: {first.label} {self._fmt(first.name, Decimal(0)) if first.unit != 'ratio' else 'n/a'}."
        figures = "; ".join(f"{m.label} {self._fmt(m.name, self.totals.get(m.name), total=True)}" for m in self.measures)
        basis = " (on the invoices of the billing periods starting then)" if self.query.period_basis == "billing" else ""
        covered = partly_covered(self.period, self.partial_from, self.partial_days) if self.partial_from else ""
        parts = [f"{figures[0].upper()}{figures[1:]}{scope} {during(self.period)}{basis}{covered}"]
        if self.compare_period is not None:
            prev = self.previous_totals.get(first.name)
            cur = self.totals.get(first.name)
            if prev is None or not self.previous_charges:
                parts.append(f"; no billing data for {self.compare_period.describe()} to compare with")
            elif cur is not None and first.unit != "ratio":
                change = cur - prev
                rel = f" ({pct(change / prev)})" if prev else ""
                word = "unchanged" if not change else ("up" if change > 0 else "down")
                parts.append(f", {word}{'' if not change else ' ' + self._fmt(first.name, abs(change)) + rel} "
                             f"from {self._fmt(first.name, prev)} in {self.compare_period.describe()}")
                if self.compare_partial_from is not None:
                    parts.append(f" (only partly covered: billing data starts {self.compare_partial_from.isoformat()})")
                parts.append(self._per_day(cur, prev))
        text = "".join(parts) + "."
        cur_total = self.totals.get(first.name) or Decimal(0)
        if (self.credits and first.unit == "USD" and self.credits != cur_total
                and first.name in ("billed_cost", "effective_cost", "list_cost", "contracted_cost")):
            cur = cur_total
            text += (f" That is net of credits of {money(self.credits)}: {money(cur - self.credits)} before credits.")
        if self.group_by and self.rows:
            shown = [r for r in self.rows if not r.is_other][:6]
            items = [f"{self._label(r)} {self._fmt(first.name, r.values.get(first.name))}"
                     + (f" ({pct(r.share)})" if r.share is not None else "") for r in shown]
            # Everything not named is summed into one "others" item: named + others = total, exactly.
            rest = [r for r in self.rows if r not in shown]
            if rest and (first.unit == "ratio" or first.per_unit):   # a rate, a price per unit: not additive
                n_rest = sum(r.folded for r in rest)
                items.append(f"{n_rest} other{'s' if n_rest != 1 else ''} in the table")
            elif rest:
                rest_sum = sum((r.values.get(first.name) or Decimal(0) for r in rest), Decimal(0))
                n_rest = sum(r.folded for r in rest)
                items.append(f"{n_rest} other{'s' if n_rest != 1 else ''} {self._fmt(first.name, rest_sum)}")
            parts_by = " × ".join(self.group_labels)
            text += f" By {parts_by}: " + "; ".join(items) + "."
        notes = [f"{m.label} = {m.description}" for m in self.measures[:2] if m.unit in ("USD", "ratio")]
        if notes:
            text += " (" + "; ".join(notes) + ".)"
        if self.data_ends is not None:
            text += f" Billing data ends {self.data_ends.isoformat()}: later days of the period hold no data yet."
        return text

    def table(self) -> TableView:
        cols = list(self.group_labels) + [m.label for m in self.measures]
        with_prev = self.compare_period is not None
        first = self.measures[0]
        if first.unit != "ratio":
            cols.append("share")
        if with_prev:
            cols += [f"previous {first.label}", "change"]
        rows: list[list[Any]] = []

        def line(label_cells: list[Any], values: dict[str, Decimal | None], share: Decimal | None,
                 prev: dict[str, Decimal | None], total: bool = False) -> list[Any]:
            out = label_cells + [self._fmt(m.name, values.get(m.name), total) for m in self.measures]
            if first.unit != "ratio":
                out.append(pct(share))
            if with_prev:
                p, c = prev.get(first.name), values.get(first.name)
                out += [self._fmt(first.name, p), "n/a" if p is None or c is None else self._fmt(first.name, c - p)]
            return out

        for r in self.rows:
            cells: list[Any] = ([self._label(r)] + [""] * (len(self.group_by) - 1) if r.is_other else
                                [show(k) if k is not None else nl for k, nl in zip(r.keys, self.null_labels)])
            rows.append(line(cells, r.values, r.share, r.previous, total=r.is_other))
        total_cells: list[Any] = ["total"] + [""] * max(len(self.group_by) - 1, 0)
        rows.append(line(total_cells if self.group_by else ["total"], self.totals,
                         Decimal(1) if self.totals.get(first.name) else None, self.previous_totals, total=True))
        if not self.group_by:
            cols = ["scope"] + cols
        return TableView(columns=cols, rows=rows)


def _dec(v: Any) -> Decimal | None:
    if v is None:
        return None
    return v if isinstance(v, Decimal) else Decimal(str(v))


def _values(row: dict[str, Any], base: tuple[Measure, ...], asked: tuple[Measure | DerivedMeasure, ...],
            prefix: str) -> dict[str, Decimal | None]:
    sums = {m.name: _dec(row[f"{prefix}{j}"]) for j, m in enumerate(base)}
    for b in base:                       # a count of no rows is 0, a sum of no rows is unknown
        if b.column is None and sums[b.name] is None:
            sums[b.name] = Decimal(0)
    out: dict[str, Decimal | None] = {}
    for m in asked:
        out[m.name] = m.compute(sums) if isinstance(m, DerivedMeasure) else sums[m.name]
    return out


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None:
        return b
    return a if b is None else a + b


def _describe_filter(dim_label: str, op: str, values: tuple[str, ...], null_label: str) -> str:
    shown = ", ".join(show(v) for v in values)
    return {
        "eq": f"{dim_label} {shown}", "ne": f"{dim_label} not {shown}", "in": f"{dim_label} in ({shown})",
        "not_in": f"{dim_label} not in ({shown})", "contains": f"{dim_label} containing {shown}",
        "is_null": f"{dim_label} {null_label}" if null_label != "(none)" else f"no {dim_label}",
        "not_null": f"any {dim_label}",
    }[op]


@tool(
    "query_costs",
    "Any cost question over the billing data (FOCUS): measures (billed, effective/amortized, list, contracted "
    "cost, quantities, savings, effective savings rate, unit price, commitment utilisation) grouped by up to 3 "
    "dimensions (team, provider, service, service category, region, account, SKU, charge category, pricing "
    "category, commitment, tag:<key>, model, day/week/month/quarter …) with filters, a period, a comparison "
    "and top-N with an exact 'other' row.",
    examples=[
        "Effective cost by service category last month",
        "Savings and effective savings rate by provider in September 2024",
        "Billed cost by region excluding us-east-1",
        "Credits by provider and invoice",
    ],
)
def query_costs(ctx: ToolContext, args: CostQuery) -> QueryCostsResult:
    period = ctx.period(args.period)
    compare = ctx.period(args.compare_to) if args.compare_to else comparison_period(period, args.compare)
    if compare is not None and compare.start < period.end and period.start < compare.end:
        raise FinopsError(f"the comparison period {compare.describe()} overlaps {period.describe()}")
    present = ctx.store_cache("present_columns")
    resolved, asked = resolve_query(ctx.con, args, known=lambda kind: candidates(ctx.con, kind), cache=present)
    window = Window(day_start(period.start), day_start(period.end),
                    None if compare is None else day_start(compare.start),
                    None if compare is None else day_start(compare.end))
    # Two checks that cost a column read on every row are skipped when the store cannot need them.
    has_credits = bool(ctx.store_fact("has_credits", "SELECT count(*) > 0 FROM focus_charges WHERE ChargeCategory = 'Credit'"))
    currencies = int(ctx.store_fact("billing_currencies", "SELECT count(DISTINCT BillingCurrency) FROM focus_charges") or 0)
    compiled = compile_query(resolved, window, credits=has_credits, currencies=currencies > 1)
    rows = ctx.query(compiled.sql, compiled.params)
    _one_currency(rows, resolved)
    charges = sum(int(r["n"] or 0) for r in rows)
    prev_charges = sum(int(r["pn"] or 0) for r in rows)
    if not charges:   # nothing matched: an empty period is "no data", not $0
        data = charges_range(ctx)
        if (not data.rows or data.last is None or data.first is None
                or data.last <= day_start(period.start) or data.first >= day_start(period.end)):
            raise no_data("billing data", period, data, " (ingest a FOCUS export with `finops ingest focus`)")
    totals, previous_totals, mixed = _totals(rows, resolved, asked, compared=compare is not None)
    out_rows = _rows(rows, resolved, asked, totals, mixed, compared=compare is not None)
    if not any(d.kind == "time" for d in resolved.group_by):
        out_rows = _unassigned_in_rank(out_rows, asked[0].name, descending=resolved.order != "asc")
    credits = sum((_dec(r["cr"]) or Decimal(0) for r in rows), Decimal(0))
    ends, until, partial_from, compare_until = _coverage(ctx, period, compare, prev_charges)
    starts_inside = data_starts_inside(ctx, period)
    if starts_inside is not None:
        ctx.note(f"the period is only partly covered: billing data starts {starts_inside.isoformat()}")
    return QueryCostsResult(
        query=args, period=period, compare_period=compare,
        measures=[MeasureInfo(name=m.name, label=m.label, unit=m.unit, description=m.description,
                              per_unit=m.per_unit) for m in asked],
        group_by=[d.name for d in resolved.group_by], group_labels=[d.label for d in resolved.group_by],
        null_labels=[d.null_label for d in resolved.group_by],
        filters=[_describe_filter(f.dimension.label, f.op, f.values, f.dimension.null_label) for f in resolved.filters],
        rows=out_rows, totals=totals, previous_totals=previous_totals, charges=charges,
        previous_charges=prev_charges, mixed_units=mixed, compare_partial_from=partial_from,
        credits=credits if credits else None, data_ends=ends, data_until=until, compare_until=compare_until,
        partial_from=starts_inside,
        partial_days=None if starts_inside is None else covered_days(
            period, starts_inside, None if ends is None else ends + timedelta(days=1)))


def _unassigned_in_rank(rows: list[CostRow], measure: str, *, descending: bool) -> list[CostRow]:
    """The row of no value ("unallocated", "no region") where its amount ranks among the listed rows. The SQL
    puts it first so that it is never folded into "other"; listed first in a ranking ("By team: unallocated
    $1,785.05; research $12,909.37; ...") it reads as the largest."""
    unassigned = [r for r in rows if not r.is_other and all(k is None for k in r.keys)]
    if len(unassigned) != 1:
        return rows
    row = unassigned[0]
    rest = [r for r in rows if r is not row]
    value = row.values.get(measure)
    at = len([r for r in rest if not r.is_other])
    if value is not None:
        for i, r in enumerate(rest):
            other = r.values.get(measure)
            if r.is_other or other is None or (value > other if descending else value < other):
                at = i
                break
    return rest[:at] + [row] + rest[at:]


def _one_currency(rows: list[dict[str, Any]], resolved: ResolvedQuery) -> None:
    """Money in different currencies is never added: several currencies need a group or a filter."""
    currencies = {c for r in rows for c in (r.get("clo"), r.get("chi")) if c is not None}
    if len(currencies) > 1 and any(m.unit == "USD" for m in resolved.measures) and "billing_currency" not in {
            d.name for d in resolved.group_by}:
        raise FinopsError(f"these charges are billed in {len(currencies)} currencies ({', '.join(sorted(currencies))}): "
                          "group by billing_currency or filter on one, money in different currencies is never added")


def _totals(rows: list[dict[str, Any]], resolved: ResolvedQuery, asked: tuple[Measure | DerivedMeasure, ...], *,
            compared: bool) -> tuple[dict[str, Decimal | None], dict[str, Decimal | None], list[str]]:
    """Totals (and the previous period's) as sums of the same exact sums the rows hold: listed + other =
    total, to the last digit; and the measures whose rows are in different units (no total)."""
    base = resolved.measures
    total_sums: dict[str, Any] = {}
    prev_sums: dict[str, Any] = {}
    for j in range(len(base)):
        total_sums[f"m{j}"] = None
        prev_sums[f"p{j}"] = None
        for r in rows:
            total_sums[f"m{j}"] = _add(total_sums[f"m{j}"], _dec(r[f"m{j}"]))
            prev_sums[f"p{j}"] = _add(prev_sums[f"p{j}"], _dec(r[f"p{j}"]))
    totals = _values(total_sums, base, asked, "m")
    previous_totals = _values(prev_sums, base, asked, "p") if compared else {}
    # A quantity grouped by its unit has rows in different units: each row is exact, their sum is not a figure.
    # (One unit in every row, e.g. EC2's Hours, keeps its total; "other" folding several rows may hide more.)
    position = {d.name: i for i, d in enumerate(resolved.group_by)}
    units = {name: {r.get(f"d{i}") for r in rows if int(r["n"] or 0) or r["is_other"]}
             | ({"(folded)"} if any(r["is_other"] and int(r["folded"]) > 1 for r in rows) else set())
             for name, i in position.items()}
    mixed = [m.name for m in asked
             if any(b.unit_dimension in position and len(units[b.unit_dimension]) > 1 for b in base
                    if b.name == m.name or (isinstance(m, DerivedMeasure) and b.name in m.inputs))]
    for name in mixed:
        totals[name] = None
        if name in previous_totals:
            previous_totals[name] = None
    return totals, previous_totals, mixed


def _rows(rows: list[dict[str, Any]], resolved: ResolvedQuery, asked: tuple[Measure | DerivedMeasure, ...],
          totals: dict[str, Decimal | None], mixed: list[str], *, compared: bool) -> list[CostRow]:
    if not resolved.group_by:
        return []
    base = resolved.measures
    first = asked[0]
    first_total = totals.get(first.name)
    out_rows: list[CostRow] = []
    for r in rows:
        if not int(r["n"] or 0) and not r["is_other"] and not compared:
            continue
        values = _values(r, base, asked, "m")
        if r["is_other"] and int(r["folded"]) > 1:
            values.update({name: None for name in mixed})    # "other" folds rows of different units
        share = None
        value = values.get(first.name)
        # a share of a rate or of a price per unit is no figure (a row's $0.45 per hour is not 100% of anything)
        is_rate = first.unit == "ratio" or first.per_unit
        if not is_rate and first_total and value is not None:
            share = value / first_total
        out_rows.append(CostRow(
            keys=[None if r.get(f"d{i}") is None else str(r[f"d{i}"]) for i in range(len(resolved.group_by))],
            values=values, previous=_values(r, base, asked, "p") if compared else {},
            share=share, charges=int(r["n"] or 0), is_other=bool(r["is_other"]), folded=int(r["folded"])))
    return out_rows


def _coverage(ctx: ToolContext, period: Period, compare: Period | None,
              prev_charges: int) -> tuple[date | None, date | None, date | None, date | None]:
    """Where the bill ends inside the period (its last day, noted when days before the period's last are
    empty; and the day after it), where it starts inside the comparison period (noted), and the day after
    its end inside the comparison period (noted: "october against november" asked in November)."""
    # Where the bill ends comes from the evidence's freshness (computed once per read-only store).
    last = next((f.latest_data for f in ctx.freshness() if f.source == "billing (FOCUS)"), None)
    ends = until = compare_until = None
    if last is not None:
        # the day after the bill's last one (a last charge starting at midnight ends the day before)
        after_last = last.date() if last.time() == time() else last.date() + timedelta(days=1)
        if day_start(period.start) < last < day_start(period.end):
            until = after_last
            if last < day_start(period.end) - timedelta(days=1):
                ends = after_last - timedelta(days=1)
                ctx.note(f"billing data ends {ends.isoformat()}; later days of the period hold no data yet")
        if compare is not None and day_start(compare.start) < last < day_start(compare.end):
            compare_until = after_last
            if compare_until < compare.end:
                ctx.note(f"billing data ends {(after_last - timedelta(days=1)).isoformat()}; later days of the "
                         "comparison period hold no data yet")
    partial_from = None
    if compare is not None and prev_charges == 0:
        ctx.note(f"no billing data for {compare.describe()}: nothing to compare with")
    elif compare is not None:
        first_ts = billing_first(ctx)
        if first_ts is not None and day_start(compare.start) < first_ts < day_start(compare.end):
            partial_from = first_ts.date()
            ctx.note(f"the comparison period is only partly covered: billing data starts {partial_from.isoformat()}")
    return ends, until, partial_from, compare_until
