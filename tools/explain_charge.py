"""explain_charge: "what's this $17K charge from last week?" -> the charges near that amount and date
(a single charge line, a resource's day, a resource over the period, a service's day), broken down by
SKU / resource / usage, with the owner."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.contract import TableView, ToolResult, money, pct
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.sqlparts import CHARGE_IN_PERIOD, dec, during, period_params, quote, ratio, require_charges, show
from tools.who_owns import OwnerSource, ownership_sources

Grain = Literal["charge", "resource-day", "resource-period", "service-day"]
TOLERANCE = Decimal("0.10")   # within 10% of the amount said counts as "near"
WIDEN_DAYS = 3                # when nothing is near inside the period, look this many days either side

_GRAIN_TEXT = {
    "charge": "a single charge line",
    "resource-day": "one resource's charges for one day",
    "resource-period": "one resource's charges over the period searched",
    "service-day": "one service's charges for one day",
}


class ExplainChargeArgs(BaseModel):
    amount: Decimal | None = Field(None, gt=0, description="Approximate amount in USD, e.g. 17000 for '$17K'.")
    period: str = Field("last 30 days", description="When charged, e.g. 'last week', '2026-11-18'.")
    top: int = Field(5, ge=1, le=20, description="How many candidate charges to list.")


class ChargeCandidate(BaseModel):
    grain: Grain
    billed: Decimal
    effective: Decimal | None = None         # known for single lines; for sums, from the breakdown of the match
    start: date
    end: date                                # last day (inclusive)
    resource_id: str | None = None
    resource_name: str | None = None
    service: str | None = None
    provider: str | None = None
    sku_id: str | None = None
    description: str | None = None
    category: str | None = None
    frequency: str | None = None
    rows: int = 0
    distance: Decimal | None = None          # |billed - amount|
    distance_pct: Decimal | None = None

    def describe(self) -> str:
        when = self.start.isoformat() if self.start == self.end else f"{self.start.isoformat()} to {self.end.isoformat()}"
        what = [show(x) for x in (self.provider, self.service) if x]
        if self.resource_id:
            what.append(f"resource {show(self.resource_id)}" + (f" ({show(self.resource_name)})" if self.resource_name else ""))
        if self.grain == "charge" and self.description:
            what.append(quote(self.description))
        if self.grain == "charge" and self.sku_id:
            what.append(f"SKU {show(self.sku_id)}")
        return f"{money(self.billed)} on {when}: " + ", ".join(what)


class BreakdownLine(BaseModel):
    sku_id: str | None = None
    description: str | None = None
    resource_id: str | None = None
    resource_name: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    provider: str | None = None
    billed: Decimal
    effective: Decimal
    share: Decimal | None = None
    team: str | None = None                  # the line's team tag when all its charges carry the same one
    rows: int = 0


class ExplainChargeResult(ToolResult):
    # The accessors (tools.contract.ToolResult): what follow-ups read from this result.
    subject_paths = (("match", "resource_id"), ("breakdown", "resource_id"))
    answers_about_listed = frozenset({"spend", "explain_charge"})
    amount: Decimal | None = None
    period: Period
    searched: Period
    match: ChargeCandidate | None = None
    near: bool = False                       # the match is within 10% of the amount
    breakdown: list[BreakdownLine] = Field(default_factory=list)
    team: str | None = None
    owner: str | None = None
    slack_channel: str | None = None
    owner_sources: list[OwnerSource] = Field(default_factory=list)
    others: list[ChargeCandidate] = Field(default_factory=list)

    def summary(self) -> str:
        m = self.match
        if m is None:
            return f"No charges {during(self.searched)}."
        if self.amount is not None:
            lead = (f"The charge nearest {money(self.amount)} {during(self.searched)} is "
                    if self.near else
                    f"Nothing within {pct(TOLERANCE, 0)} of {money(self.amount)} was charged "
                    f"{during(self.searched)}; the closest is ")
        else:
            lead = f"The largest charge {during(self.searched)} is "
        text = lead + f"{_GRAIN_TEXT[m.grain]}, {m.describe()}"
        kind = " ".join(x for x in (m.frequency, m.category) if x)
        if kind and m.grain == "charge":
            text += f" ({kind} charge)"
        text += f"; effective cost {money(m.effective)}."
        if len(self.breakdown) > 1:
            parts = [f"{_line_label(b)} {money(b.billed)} ({pct(b.share)})" for b in self.breakdown[:4]]
            text += " It breaks down into " + "; ".join(parts) + (
                f"; and {len(self.breakdown) - 4} more lines" if len(self.breakdown) > 4 else "") + "."
        elif self.breakdown and (quantity := self.breakdown[0].quantity) is not None:
            text += f" Usage: {quantity.normalize():f} {self.breakdown[0].unit or 'units'}."
        if self.team:
            decided = next((s for s in self.owner_sources if s.source != "tag_hint"), None)
            how = f" (known from {decided.detail}, confidence {decided.confidence})" if decided else ""
            who = ", ".join(x for x in (show(self.owner) if self.owner else None, self.slack_channel) if x)
            text += f" Owner: team {show(self.team)}" + (f", {who}" if who else "") + how + "."
        elif m.resource_id is None and m.grain == "service-day":
            teams = sorted({b.team for b in self.breakdown if b.team})
            text += (" Owners by line: " + ", ".join(f"team {show(t)}" for t in teams) + "." if teams
                     else " No line of it carries a team tag.")
        else:
            text += " Owner: unallocated (no team tag, and no ownership rule, endpoint or job names one)."
        if self.others:
            text += " Other candidates: " + "; ".join(f"{o.describe()} ({_GRAIN_TEXT[o.grain]})" for o in self.others[:3]) + "."
        return text

    def table(self) -> TableView:
        rows: list[list[Any]] = [
            [b.sku_id or "", b.description or "", b.resource_id or "", b.resource_name or "",
             "" if b.quantity is None else f"{b.quantity.normalize():f} {b.unit or ''}".strip(),
             money(b.billed), money(b.effective), pct(b.share), b.rows]
            for b in self.breakdown
        ]
        return TableView(columns=["sku", "description", "resource", "name", "usage", "billed", "effective", "share", "rows"],
                         rows=rows)


def _line_label(b: BreakdownLine) -> str:
    label = f"SKU {show(b.sku_id)}" if b.sku_id else quote(b.description) if b.description else "(no SKU)"
    if b.resource_id:
        label += f" on {show(b.resource_id)}"
    if b.quantity is not None:
        label += f" ({b.quantity.normalize():f} {b.unit or 'units'})"
    return label


@tool(
    "explain_charge",
    "Explain a charge: given an approximate amount and/or a date or period, find the charges near it (a charge "
    "line, a resource-day, a resource over the period, a service-day), break it down by SKU/resource/usage, with owner.",
    examples=[
        "What's this $17K charge from last week?",
        "What was the big charge on 2026-11-18?",
        "Explain the $3,000 charge yesterday",
    ],
)
def explain_charge(ctx: ToolContext, args: ExplainChargeArgs) -> ExplainChargeResult:
    period = ctx.period(args.period)
    data = require_charges(ctx, period)
    searched = period
    cands = _candidates(ctx, searched, args.amount, args.top)
    amount = args.amount
    if amount is not None and not any(c.grain in _FINE and _within(c, amount) for c in cands):
        # No single line near the amount in the period said: people misremember dates by a day or two,
        # so look a few days either side; a line found there must beat the period's candidates.
        lo = max(period.start - timedelta(days=WIDEN_DAYS), data.first.date() if data.first else period.start)
        hi = period.end + timedelta(days=WIDEN_DAYS)
        if data.last is not None:
            hi = min(hi, max(period.end, data.last.date()))
        if (lo, hi) != (period.start, period.end):
            wider = Period(start=lo, end=hi, label=f"{period.label} ± {WIDEN_DAYS} days")
            merged = {_key(c): c for c in _candidates(ctx, wider, amount, args.top)}
            merged.update({_key(c): c for c in cands})
            ranked = sorted(merged.values(), key=lambda c: _rank(c, amount, period))
            if ranked and not _inside(ranked[0], period):
                ctx.note(f"no charge near {money(amount)} inside {period.describe()}; searched {WIDEN_DAYS} days either side")
                searched = wider
            cands = ranked[: args.top]
    best = cands[0] if cands else None
    result = ExplainChargeResult(amount=args.amount, period=period, searched=searched, match=best,
                                 near=best is not None and args.amount is not None and _is_near([best], args.amount),
                                 others=cands[1:])
    if best is None:
        return result
    result.breakdown = _breakdown(ctx, best)
    if best.resource_id and best.resource_name is None:
        best.resource_name = next((b.resource_name for b in result.breakdown if b.resource_name), None)
    if best.provider is None:
        best.provider = next((b.provider for b in result.breakdown if b.provider), None)
    _owner(ctx, best, result)
    return result


def _is_near(cands: list[ChargeCandidate], amount: Decimal) -> bool:
    return any(_within(c, amount) for c in cands[:1])


def _within(c: ChargeCandidate, amount: Decimal) -> bool:
    return c.distance is not None and c.distance <= amount * TOLERANCE


def _inside(c: ChargeCandidate, period: Period) -> bool:
    return period.start <= c.start and c.end <= period.last_day


def _key(c: ChargeCandidate) -> tuple[Any, ...]:
    return (c.grain, c.billed, c.start, c.end, c.resource_id, c.service, c.sku_id, c.description)


def _rank(c: ChargeCandidate, amount: Decimal, period: Period | None = None) -> tuple[Any, ...]:
    outside = Decimal("0.01") if period is not None and not _inside(c, period) else Decimal(0)
    return ((c.distance_pct or Decimal(0)) + _GRAIN_PENALTY[c.grain] + outside, _GRAIN_ORDER[c.grain], c.start,
            c.resource_id or "", c.service or "")


_FINE = ("charge", "resource-day")


_GRAIN_ORDER = {"charge": 0, "resource-day": 1, "service-day": 2, "resource-period": 3}
# People asking about "a $17K charge" mostly mean one line of the bill: a sum over many lines must be
# this much closer (as a share of the amount) to win over a single line.
_GRAIN_PENALTY = {"charge": Decimal(0), "resource-day": Decimal("0.005"), "resource-period": Decimal("0.02"),
                  "service-day": Decimal("0.03")}


def _candidates(ctx: ToolContext, period: Period, amount: Decimal | None, top: int) -> list[ChargeCandidate]:
    """Single charge lines, and sums per resource-day / resource / service-day, nearest the amount first
    (or largest first when no amount is given)."""
    order = "abs(billed - ?)" if amount is not None else "-billed"
    order_params = [amount] if amount is not None else []
    lines_order = (f"ORDER BY {order}, ChargePeriodStart, ResourceId NULLS LAST, SkuId NULLS LAST, "
                   "ChargeDescription NULLS LAST LIMIT ?")
    # The sums read only the columns they group and add (names, providers and effective cost of the chosen
    # candidate come from its breakdown), from one grouping by resource, service and day, rolled up.
    sums = f"""fine AS (
                SELECT ResourceId, ServiceName, CAST(ChargePeriodStart AS DATE) AS day, sum(BilledCost) AS billed,
                       count(*) AS n
                FROM c GROUP BY ResourceId, ServiceName, CAST(ChargePeriodStart AS DATE)),
            g AS (
                SELECT CASE WHEN GROUPING(ServiceName) = 0 THEN 'service-day'
                            WHEN GROUPING(day) = 0 THEN 'resource-day' ELSE 'resource-period' END AS grain,
                       sum(billed) AS billed, day AS start, day AS stop, ResourceId AS rid,
                       ServiceName AS service, sum(n) AS n
                FROM fine
                GROUP BY GROUPING SETS ((ResourceId, day), (ResourceId), (ServiceName, day))),
            sums AS (
                SELECT 1 AS part, grain, billed, NULL AS effective, NULL AS charged_at, start, stop, rid, NULL AS name,
                       service, NULL AS provider, NULL AS sku, NULL AS descr, NULL AS category, NULL AS freq, n
                FROM g
                WHERE (grain = 'service-day' OR rid IS NOT NULL) AND n > 1{"" if amount is not None else " AND grain = 'resource-day'"}
                ORDER BY {order}, grain, start NULLS FIRST, rid NULLS LAST, service NULLS LAST
                LIMIT ?)"""
    final_order = (f"ORDER BY part, {order}, charged_at NULLS FIRST, grain, start NULLS FIRST, rid NULLS LAST, "
                   "sku NULLS LAST, descr NULLS LAST, service NULLS LAST")
    if ctx.store.lake is None:
        # A store file: one read of the period's charges for both the single lines and the sums. Every
        # statement that reads the period pays for decoding its BilledCost (DECIMAL(38,12)) again, and the
        # lines' other columns cost little in DuckDB's own table (at 10M charges in load order: one statement
        # 101 ms against 69 + 72 ms for two).
        rows = ctx.query(
            f"""WITH c AS MATERIALIZED (
                    SELECT {_LINE_COLUMNS} FROM focus_charges WHERE {CHARGE_IN_PERIOD}),
                lines AS (SELECT {_LINE_SELECT} FROM c {lines_order}),
                {sums}
                SELECT * FROM (SELECT * FROM lines UNION ALL SELECT * FROM sums) {final_order}""",
            period_params(period) + order_params + [top] + order_params + [top * 3] + order_params,
        )
    else:
        rows = _candidates_from_files(ctx, period, amount, top, sums, final_order, lines_order)
    out: list[ChargeCandidate] = []
    seen: set[tuple[Any, ...]] = set()
    for r in rows:
        billed = dec(r["billed"])
        start, stop = r["start"], r["stop"]
        if r["grain"] == "charge":  # a charge period [start, end): its last day is end - 1 (at least start)
            stop = max(start, stop - timedelta(days=1)) if isinstance(stop, date) else start
        if r["grain"] == "resource-period":
            start, stop = period.start, period.last_day
        key = (billed, r["rid"], start, stop)  # the same money found at two grains: keep the finer one
        if key in seen:
            continue
        seen.add(key)
        dist = abs(billed - amount) if amount is not None else None
        out.append(ChargeCandidate(
            grain=r["grain"], billed=billed, effective=dec(r["effective"]) if r["grain"] == "charge" else None,
            start=start, end=stop, resource_id=r["rid"], resource_name=r.get("name"), service=r["service"],
            provider=r.get("provider"),
            sku_id=r.get("sku"), description=r.get("descr"), category=r.get("category"), frequency=r.get("freq"),
            rows=int(r["n"]), distance=dist, distance_pct=ratio(dist, amount),
        ))
    if amount is not None:
        out.sort(key=lambda c: _rank(c, amount))
    else:
        out.sort(key=lambda c: (-c.billed, _GRAIN_ORDER[c.grain], c.start, c.resource_id or "", c.service or ""))
    return out[:top]


_LINE_COLUMNS = ("BilledCost, EffectiveCost, ChargePeriodStart, ChargePeriodEnd, ResourceId, ResourceName, ServiceName, "
                 "ProviderName, SkuId, ChargeDescription, ChargeCategory, ChargeFrequency")
_LINE_SELECT = """0 AS part, 'charge' AS grain, BilledCost AS billed, EffectiveCost AS effective,
                  ChargePeriodStart AS charged_at, CAST(ChargePeriodStart AS DATE) AS start,
                  CAST(ChargePeriodEnd AS DATE) AS stop, ResourceId AS rid, ResourceName AS name,
                  ServiceName AS service, ProviderName AS provider, SkuId AS sku, ChargeDescription AS descr,
                  ChargeCategory AS category, ChargeFrequency AS freq, 1 AS n"""


def _candidates_from_files(ctx: ToolContext, period: Period, amount: Decimal | None, top: int, sums: str,
                           final_order: str, lines_order: str) -> list[dict[str, Any]]:
    """The candidates of a lake, whose charges are Parquet files: two reads of the period. The first reads
    only the four columns the sums need, and the bound on a single line's distance from the amount that the
    `top` nearest lines fall within; the second reads the lines' twelve columns only where BilledCost is
    inside that bound, a filter the Parquet reader applies in the scan (row groups pruned by their BilledCost
    range; the other columns decoded for almost no rows). One read of the twelve columns of every charge of
    the period was 2x its hand query (100M rows: 681 CPU-ms against 405 + 75). In a DuckDB table the bound's
    scan costs as much as the twelve columns (store files keep the one read)."""
    order_params = [amount] if amount is not None else []
    distance = "abs(BilledCost - ?)" if amount is not None else "-BilledCost"
    first = ctx.query(
        f"""WITH c AS MATERIALIZED (
                SELECT BilledCost, ChargePeriodStart, ResourceId, ServiceName FROM focus_charges WHERE {CHARGE_IN_PERIOD}),
            {sums},
            nearest AS (SELECT {distance} AS x FROM c ORDER BY x LIMIT ?),
            bound AS (
                SELECT 2 AS part, 'bound' AS grain, max(x) AS billed, NULL AS effective, NULL AS charged_at, NULL AS start,
                       NULL AS stop, NULL AS rid, NULL AS name, NULL AS service, NULL AS provider, NULL AS sku,
                       NULL AS descr, NULL AS category, NULL AS freq, count(x) AS n
                FROM nearest)
            SELECT * FROM (SELECT * FROM sums UNION ALL SELECT * FROM bound) {final_order}""",
        period_params(period) + order_params + [top * 3] + order_params + [top] + order_params,
    )
    bound = next(r for r in first if r["grain"] == "bound")
    if bound["billed"] is None:   # no charge in the period
        return []
    reach = dec(bound["billed"])
    # Fewer non-NULL amounts than `top`: the lines with no BilledCost are among the nearest too.
    within = ("(BilledCost BETWEEN ? AND ?" if amount is not None else "(BilledCost >= ?") + (
        ")" if int(bound["n"]) >= top else " OR BilledCost IS NULL)")
    lines = ctx.query(
        f"SELECT {_LINE_SELECT} FROM focus_charges WHERE {CHARGE_IN_PERIOD} AND {within} {lines_order}",
        period_params(period) + ([amount - reach, amount + reach] if amount is not None else [-reach])
        + order_params + [top],
    )
    return lines + [r for r in first if r["grain"] != "bound"]


def _breakdown(ctx: ToolContext, c: ChargeCandidate) -> list[BreakdownLine]:
    # The scan keeps the rows of the candidate's days and resource (or service); a charge line's other keys
    # filter those rows after the scan (MATERIALIZED: DuckDB would push them into the scan too, where each
    # is a pass over its column: 0.44 s against 0.12 s at 10M charges in load order). Tried and not kept
    # (each faster on a store whose charges lack 14 FOCUS columns, slower at 10M charges from a full FOCUS
    # CSV, where every column decoded is dear): one pass over the resource's whole history for these lines
    # and its ownership rows (0.71 s against 0.10 + 0.30 s), and finding the nearest lines by their distance
    # bound then reading them by a BilledCost range (0.07 + 0.13 s against 0.11 s).
    where = ["ChargePeriodStart >= ?", "ChargePeriodStart < ?"]
    params: list[Any] = [datetime.combine(c.start, datetime.min.time()),
                         datetime.combine(c.end + timedelta(days=1), datetime.min.time())]
    after: list[str] = []
    after_params: list[Any] = []

    def equal(conditions: list[str], values: list[Any], col: str, value: Any) -> None:
        if value is None:
            conditions.append(f"{col} IS NULL")
        else:
            conditions.append(f"{col} = ?")
            values.append(value)

    if c.grain in ("charge", "resource-day", "resource-period"):
        equal(where, params, "ResourceId", c.resource_id)
    else:
        equal(where, params, "ServiceName", c.service)
    if c.grain == "charge":
        for col, value in (("SkuId", c.sku_id), ("ChargeDescription", c.description), ("ServiceName", c.service),
                           ("BilledCost", c.billed)):
            equal(after, after_params, col, value)
    rows = ctx.query(
        f"""WITH c AS MATERIALIZED (
                SELECT SkuId, ChargeDescription, ServiceName, ResourceId, ResourceName, ProviderName, ConsumedQuantity,
                       ConsumedUnit, PricingUnit, BilledCost, EffectiveCost, x_tag_team
                FROM focus_charges WHERE {' AND '.join(where)})
            SELECT SkuId AS sku, min(ChargeDescription) AS descr, ResourceId AS rid, min(ResourceName) AS name,
                   min(ProviderName) AS provider,
                   sum(ConsumedQuantity) AS qty, coalesce(ConsumedUnit, PricingUnit) AS unit,
                   sum(BilledCost) AS billed, sum(EffectiveCost) AS effective, count(*) AS n,
                   CASE WHEN count(x_tag_team) = count(*) AND min(x_tag_team) = max(x_tag_team)
                        THEN min(x_tag_team) END AS team,
                   sum(sum(BilledCost)) OVER () AS all_billed, sum(sum(EffectiveCost)) OVER () AS all_effective
            FROM c{' WHERE ' + ' AND '.join(after) if after else ''}
            GROUP BY SkuId, ResourceId, coalesce(ConsumedUnit, PricingUnit)
            ORDER BY billed DESC, sku NULLS LAST, rid NULLS LAST, unit NULLS LAST
            LIMIT 20""",
        params + after_params,
    )
    total = dec(rows[0]["all_billed"]) if rows else Decimal(0)
    c.effective = c.effective if c.effective is not None else (dec(rows[0]["all_effective"]) if rows else Decimal(0))
    return [BreakdownLine(sku_id=r["sku"], description=r["descr"], resource_id=r["rid"], resource_name=r["name"],
                          provider=r["provider"],
                          quantity=r["qty"], unit=r["unit"], billed=dec(r["billed"]), effective=dec(r["effective"]),
                          share=ratio(dec(r["billed"]), total), team=r["team"], rows=int(r["n"]))
            for r in rows]


def _owner(ctx: ToolContext, c: ChargeCandidate, result: ExplainChargeResult) -> None:
    sources: list[OwnerSource] = []
    if c.resource_id:
        sources, _ = ownership_sources(ctx, c.resource_id, with_tags=False)
    elif c.grain == "charge" and result.breakdown and result.breakdown[0].team:
        team = result.breakdown[0].team
        sources = [OwnerSource(source="tag", team=team, confidence=Decimal("1.0"),
                               detail=f"the team tag {quote(team)} on the charge")]
    decided = next((s for s in sources if s.source != "tag_hint"), None)
    result.owner_sources = sources
    if decided is None:
        return
    result.team, result.owner = decided.team, decided.owner
    row = ctx.query("SELECT slack_channel, lead FROM teams WHERE team = ?", [decided.team])
    if row:
        result.slack_channel = row[0]["slack_channel"]
        result.owner = result.owner or row[0]["lead"]
