"""unit_costs: what one unit of work costs: per 1K inferences (endpoint, model, app, feature, customer)
or per training run (by project).

- endpoint: its billed cost in the period (FOCUS rows of its resource) / requests served
  (endpoint_usage_daily) x 1000;
- model: LLM API models from llm_calls (cost / calls x 1000) and self-hosted models from their
  endpoints (billed cost / requests x 1000);
- app, feature, customer: llm_calls cost / calls x 1000;
- training_run: training and fine-tune jobs started in the period, per project: runs, total actual
  cost and cost per run (jobs still running have no actual cost yet and are counted apart).
A cost that is unknown (a model without a price, no requests) is shown as unknown, never $0.
A per-1K figure needs at least MIN_UNITS requests or calls: below that (an idle endpoint's $8,064 over
3 requests would be "$2,688,000 per 1K") the row says "too few requests to be meaningful" instead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from tools.contract import Listing, NoDataError, TableView, ToolResult, money
from tools.periods import Period
from tools.registry import ToolContext, tool
from tools.scopes import ts

UnitBy = Literal["endpoint", "model", "app", "feature", "customer", "training_run"]
_NAME_KIND = {"endpoint": "resource", "model": "model", "app": "app", "feature": "feature", "customer": "customer",
              "training_run": "project"}
THOUSAND = Decimal(1000)
MIN_UNITS = 100   # fewest requests or calls a per-1K unit cost is computed on


class UnitCostsArgs(BaseModel):
    by: UnitBy = Field("endpoint", description="Unit: per 1K requests of an endpoint/model/app/feature/customer, or per training run (by project).")
    period: str = Field("last 30 days", description="Period, e.g. 'last month'.")
    name: str | None = Field(None, description="Only this endpoint/model/app/feature/customer/project.")
    top: int = Field(20, ge=1, le=500, description="Most rows to return.")


class UnitCostRow(BaseModel):
    key: str
    source: str                   # "endpoint", "LLM API", "training jobs", ...
    team: str | None = None
    cost: Decimal | None
    units: int
    unit: str                     # requests | calls | runs
    per_unit: Decimal | None      # per 1K requests/calls, or per run
    per_label: str                # "per 1K requests" | "per 1K calls" | "per run"
    unknown_cost_units: int = 0   # calls without a price, runs still running
    too_few: bool = False         # fewer than MIN_UNITS requests/calls: no per-1K figure (per_unit is None)

    @model_validator(mode="after")
    def _minimum_volume(self) -> UnitCostRow:
        if _too_few(self.units, self.unit):
            self.too_few, self.per_unit = True, None
        return self

    def units_text(self) -> str:
        """'81,959,036 requests', '1 request', '1 run'."""
        return f"{self.units:,} {self.unit if self.units != 1 else self.unit.removesuffix('s')}"

    def per_text(self, places: int | None = None) -> str:
        """The unit cost as shown everywhere: '$0.1650 per 1K requests', 'too few requests …', 'unknown …'."""
        if self.too_few:
            return f"too few {self.unit} to be meaningful ({self.units_text()}; at least {MIN_UNITS:,} needed)"
        if self.per_unit is None:
            return f"unknown {self.per_label}" + (f" (no {self.unit})" if self.units == 0 else "")
        if places is None:
            places = 4 if self.per_unit < 1 else 2
        return f"{money(self.per_unit, places)} {self.per_label}"


class UnitCostsResult(ToolResult):
    listing = Listing("rows", "key")   # the accessors (tools.contract.ToolResult): what "those" refers to
    by: str
    period: Period
    rows: list[UnitCostRow]

    def summary(self) -> str:
        if not self.rows:
            return f"No {self.by.replace('_', ' ')} usage in {self.period.describe()}."
        parts = []
        for r in self.rows[:8]:
            per = r.per_text()
            note = f"; {r.unknown_cost_units:,} {r.unit} without a known cost" if r.unknown_cost_units else ""
            parts.append(f"{r.key} ({r.source}{', ' + r.team if r.team else ''}): {per} "
                         f"({money(r.cost)} over {r.units_text()}{note})")
        more = f"; {len(self.rows) - 8} more in the table" if len(self.rows) > 8 else ""
        return f"Unit costs by {self.by.replace('_', ' ')} in {self.period.describe()}: " + "; ".join(parts) + more + "."

    def table(self) -> TableView:
        return TableView(columns=["name", "source", "team", "cost", "units", "unit cost"],
                         rows=[[r.key, r.source, r.team, money(r.cost), r.units_text(), r.per_text(4)]
                               for r in self.rows])


@tool("unit_costs",
      "Unit costs: cost per 1K inferences per endpoint, model, app, feature or customer, or cost per training "
      "run per project, over a period.",
      examples=["What's our cost per 1,000 inferences on the support bot?", "Cost per training run for llama-ft?",
                "Are we paying $0.50 or $0.05 per prediction?", "Which customers cost the most per call?"])
def unit_costs(ctx: ToolContext, args: UnitCostsArgs) -> UnitCostsResult:
    period = ctx.period(args.period)
    name = ctx.resolve(_NAME_KIND[args.by], args.name) if args.name else None
    if args.by == "endpoint":
        rows = _endpoints(ctx, period, name)
    elif args.by == "model":
        rows = _llm(ctx, period, "model", name) + _endpoint_models(ctx, period, name)
    elif args.by in ("app", "feature", "customer"):
        rows = _llm(ctx, period, args.by if args.by != "customer" else "customer_id", name)
    else:
        rows = _training_runs(ctx, period, name)
    if name is not None and not rows:
        raise NoDataError(f"no {args.by.replace('_', ' ')} usage for '{name}' in {period.describe()}")
    rows.sort(key=lambda r: (-(r.cost or Decimal(0)), r.key))
    return UnitCostsResult(by=args.by, period=period, rows=rows[: args.top])


def _per_1k(cost: Decimal | None, units: int) -> Decimal | None:
    return None if cost is None or units < max(1, MIN_UNITS) else cost / units * THOUSAND


def _too_few(units: int, unit: str) -> bool:
    return unit != "runs" and 0 < units < MIN_UNITS


def _endpoints(ctx: ToolContext, period: Period, name: str | None) -> list[UnitCostRow]:
    filt, params = ("", []) if name is None else (" WHERE e.endpoint_id = ? OR e.name = ? OR e.resource_id = ?", [name] * 3)
    rows = ctx.query(
        f"""
        WITH usage AS (
            SELECT endpoint_id, sum(requests) AS requests FROM endpoint_usage_daily
            WHERE day >= ? AND day < ? GROUP BY endpoint_id
        ), billed AS (
            SELECT ResourceId, sum(BilledCost) AS cost FROM focus_charges
            WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?
              AND ResourceId IN (SELECT resource_id FROM endpoints)
            GROUP BY ResourceId
        )
        SELECT e.endpoint_id, e.name, e.team, e.model, b.cost, coalesce(u.requests, 0) AS requests
        FROM endpoints e LEFT JOIN usage u ON u.endpoint_id = e.endpoint_id
        LEFT JOIN billed b ON b.ResourceId = e.resource_id{filt}
        ORDER BY e.endpoint_id
        """,
        [period.start, period.end, ts(period.start), ts(period.end), *params],
    )
    return [UnitCostRow(key=r["name"] or r["endpoint_id"], source=f"endpoint serving {r['model']}", team=r["team"],
                        cost=None if r["cost"] is None else Decimal(r["cost"]), units=int(r["requests"]),
                        unit="requests", per_unit=_per_1k(None if r["cost"] is None else Decimal(r["cost"]), int(r["requests"])),
                        per_label="per 1K requests")
            for r in rows if r["cost"] is not None or int(r["requests"])]


def _llm(ctx: ToolContext, period: Period, column: str, name: str | None) -> list[UnitCostRow]:
    # column is one of a fixed set (model, app, feature, customer_id); never user text.
    assert column in ("model", "app", "feature", "customer_id")
    filt, params = ("", []) if name is None else (f" AND {column} = ?", [name])
    rows = ctx.query(
        f"""
        SELECT {column} AS k, min(team) AS team, count(DISTINCT team) AS teams,
               sum(cost) AS cost, sum(calls) AS calls, sum(calls) FILTER (WHERE cost IS NULL) AS unpriced
        FROM llm_calls
        WHERE ts >= ? AND ts < ?{filt}
        GROUP BY {column}
        ORDER BY k NULLS LAST
        """,
        [ts(period.start), ts(period.end), *params],
    )
    out = []
    for r in rows:
        calls, unpriced = int(r["calls"] or 0), int(r["unpriced"] or 0)
        cost = None if r["cost"] is None else Decimal(r["cost"])
        out.append(UnitCostRow(key=r["k"] if r["k"] is not None else f"(no {column.replace('_id', '')})", source="LLM API",
                               team=r["team"] if r["teams"] == 1 else None, cost=cost, units=calls, unit="calls",
                               per_unit=_per_1k(cost, calls - unpriced), per_label="per 1K calls",
                               unknown_cost_units=unpriced))
    return out


def _endpoint_models(ctx: ToolContext, period: Period, name: str | None) -> list[UnitCostRow]:
    by_model: dict[str, list[UnitCostRow]] = {}
    for r in _endpoints(ctx, period, None):
        model = r.source.removeprefix("endpoint serving ")
        if name is None or model == name:
            by_model.setdefault(model, []).append(r)
    out = []
    for model, rows in sorted(by_model.items()):
        known = [r.cost for r in rows if r.cost is not None]
        cost = sum(known, Decimal(0)) if known else None
        units = sum(r.units for r in rows)
        teams = {r.team for r in rows}
        out.append(UnitCostRow(key=model, source=f"self-hosted on {len(rows)} endpoint{'s' if len(rows) > 1 else ''}",
                               team=teams.pop() if len(teams) == 1 else None, cost=cost, units=units, unit="requests",
                               per_unit=_per_1k(cost, units), per_label="per 1K requests"))
    return out


def _training_runs(ctx: ToolContext, period: Period, project: str | None) -> list[UnitCostRow]:
    filt, params = ("", []) if project is None else (" AND project = ?", [project])
    rows = ctx.query(
        f"""
        SELECT coalesce(project, '(no project)') AS k, min(team) AS team, count(DISTINCT team) AS teams,
               count(*) AS runs, count(actual_cost) AS costed, sum(actual_cost) AS cost
        FROM gpu_jobs
        WHERE kind IN ('training', 'fine-tune') AND started_at >= ? AND started_at < ?{filt}
        GROUP BY coalesce(project, '(no project)')
        ORDER BY k
        """,
        [ts(period.start), ts(period.end), *params],
    )
    out = []
    for r in rows:
        costed = int(r["costed"])
        cost = None if r["cost"] is None else Decimal(r["cost"])
        out.append(UnitCostRow(key=r["k"], source="training and fine-tune jobs", team=r["team"] if r["teams"] == 1 else None,
                               cost=cost, units=costed, unit="runs",
                               per_unit=None if cost is None or costed == 0 else cost / costed, per_label="per run",
                               unknown_cost_units=int(r["runs"]) - costed))
    return out

