"""estimate: what a GPU job or an LLM batch will cost before it launches, and whether it fits the budget.

GPU job: cost = GPUs x hours x price per GPU-hour, where the price per GPU-hour is the catalog's
instance price (`gpu_prices`) divided by the instance's GPU count. Pricing:
- on-demand: the catalog's Linux on-demand price;
- spot: on-demand x (1 - `knowledge.prices.SPOT_DISCOUNT`) (the catalog has no spot prices; the
  discount is a documented long-run average, and spot capacity can be reclaimed mid-run);
- reserved: the catalog's 1-year no-upfront price; "unknown" when the catalog has none (never $0).
Storage and egress are optional and priced with the defaults below unless the manifest gives a price.

Range: the p10-p90 of actual/estimated cost ratios of similar finished jobs in `gpu_jobs` (same GPU type
and kind, else same kind, else all), applied to the expected cost; with fewer than `MIN_HISTORY` jobs a
stated default band is used instead. The result says how many jobs the band rests on.

Verdict: over budget when the expected cost exceeds the manifest's budget or what the team has left
this month (its budget minus month-to-date spend); needs approval when the cost is unknown, there is no
budget to check, or the cost is over the approval threshold (`tools.approval_policy`, the rule the Slack
bot applies too). "approved" when an approval binds to this run: an `approvals` row approving this
estimate, or the estimate named by `approval_id`, for the same team and job name, a ceiling at least this
cost, and not expired (`tools.approval_policy`).
Every estimate is stored in `estimates` under a stable id (same inputs and cost -> same id), so an
approval given in Slack applies when CI re-runs the same manifest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.prices import SPOT_DISCOUNT
from tools.approval_policy import (REQUESTED, ApprovedEstimate, RunToGate, approval_problem, approval_threshold,
                                   approval_valid_days, threshold_reason)
from tools.contract import FinopsError, TableView, ToolResult, UnknownNameError, money, pct
from tools.manifest import GpuJobSpec, JobSpec, LlmBatchSpec, ManifestError, ManifestProblem, build_spec, parse_manifest
from tools.llm_models import cheaper_models, provider_prices, token_cost
from tools.names import resolve_in
from tools.registry import ToolContext, tool
from tools.scopes import scope_spend
from tools.stats import median, quantile

# Default unit prices for the optional storage and egress lines (AWS us-east-1 list prices):
# EBS gp3 storage $0.08 per GB-month; data transfer out to the internet $0.09 per GB (first 10 TB).
DEFAULT_STORAGE_USD_PER_GB_MONTH = Decimal("0.08")
DEFAULT_EGRESS_USD_PER_GB = Decimal("0.09")
HOURS_PER_MONTH = Decimal(730)          # AWS bills storage per GB-month of 730 hours

MIN_HISTORY = 5                         # fewer similar finished jobs than this -> default band
# Default band when history is thin: GPU jobs overrun more often than they underrun (restarts,
# stragglers, evaluation passes), so the band is skewed up: -10% .. +30% around the estimate.
DEFAULT_BAND = (Decimal("0.90"), Decimal("1.00"), Decimal("1.30"))
CENT = Decimal("0.01")

Verdict = Literal["within budget", "over budget", "needs approval", "approved"]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_short(value: Decimal | None) -> str:
    """Compact money for a range: $44K, $4.2K, $1.25M, $512.40."""
    if value is None:
        return "unknown"
    v = Decimal(value)
    if abs(v) >= 1_000_000:
        return f"${(v / 1_000_000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}M"
    if abs(v) >= 10_000:
        return f"${(v / 1000).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}K"
    if abs(v) >= 1000:
        return f"${(v / 1000).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}K"
    return money(v)


class EstimateArgs(BaseModel):
    """A GPU job (gpu_type or instance_type, gpu_count, hours) or an LLM batch (kind llm-batch)."""

    manifest: str | None = Field(None, description="YAML manifest text; the fields below override it.")
    manifest_name: str = Field("manifest", description="File name shown in errors about the manifest.")
    name: str | None = Field(None, description="Job name.")
    team: str | None = Field(None, description="Team that pays (its remaining monthly budget is checked).")
    kind: Literal["training", "fine-tune", "batch-inference", "experiment", "sweep", "llm-batch"] | None = Field(
        None, description="Job kind; llm-batch for an LLM API batch.")
    gpu_type: str | None = Field(None, description="GPU type, e.g. H100, A100, L4.")
    instance_type: str | None = Field(None, description="Instance type instead of gpu_type, e.g. p5.48xlarge.")
    gpu_count: int | None = Field(None, description="Number of GPUs.")
    hours: Decimal | None = Field(None, description="Wall-clock hours.")
    steps: int | None = Field(None, description="Training steps (with seconds_per_step, instead of hours).")
    seconds_per_step: Decimal | None = Field(None, description="Seconds per step.")
    region: str | None = Field(None, description="Region, default us-east-1.")
    pricing: Literal["on-demand", "spot", "reserved"] | None = Field(None, description="Pricing, default on-demand.")
    budget: Decimal | None = Field(None, description="The job's own budget in USD.")
    ttl_hours: Decimal | None = Field(None, description="Hours after which the job is stopped.")
    storage_gb: Decimal | None = Field(None, description="Storage kept during the run, GB.")
    egress_gb: Decimal | None = Field(None, description="Data sent out, GB.")
    model: str | None = Field(None, description="LLM batch: model name from the price catalog.")
    calls: int | None = Field(None, description="LLM batch: number of calls.")
    input_tokens: int | None = Field(None, description="LLM batch: input tokens per call.")
    output_tokens: int | None = Field(None, description="LLM batch: output tokens per call.")
    cached_share: Decimal | None = Field(None, description="LLM batch: share of input tokens read from cache (0-1).")
    approval_id: str | None = Field(None, max_length=64,
                                    description="An earlier estimate id whose approval covers this run.")
    record: bool = Field(True, description="Store the estimate so an approval can refer to it.")


class CostLine(BaseModel):
    item: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    cost: Decimal | None


class GpuPriceBasis(BaseModel):
    instance_type: str
    provider: str
    region: str
    gpu_type: str | None
    gpus_per_instance: Decimal
    instances: Decimal
    on_demand_per_gpu_hour: Decimal
    spot_per_gpu_hour: Decimal
    reserved_per_gpu_hour: Decimal | None


class Alternative(BaseModel):
    option: str
    cost: Decimal | None
    savings: Decimal | None
    note: str = ""


class HistoryBand(BaseModel):
    jobs: int
    basis: str
    p10_ratio: Decimal
    p50_ratio: Decimal
    p90_ratio: Decimal
    default: bool


class BudgetCheck(BaseModel):
    team: str | None = None
    team_budget: Decimal | None = None
    period_start: date | None = None
    team_spent: Decimal | None = None
    team_left: Decimal | None = None
    job_budget: Decimal | None = None


class EstimateResult(ToolResult):
    estimate_id: str
    name: str
    team: str | None
    kind: str
    expected_cost: Decimal | None
    p10: Decimal | None
    p90: Decimal | None
    hours: Decimal | None = None
    lines: list[CostLine]
    gpu: GpuPriceBasis | None = None
    pricing: str | None = None
    model: str | None = None
    alternatives: list[Alternative]
    history: HistoryBand | None = None
    budget: BudgetCheck
    verdict: Verdict
    reasons: list[str]
    approved_by: str | None = None
    warnings: list[str] = Field(default_factory=list)
    stored: bool = False

    @property
    def needs_approval(self) -> bool:
        return self.verdict in ("over budget", "needs approval")

    def headline(self) -> str:
        """One line for a PR comment: cost, range, budget left, verdict."""
        cost = money(self.expected_cost)
        rng = f" (p10–p90 {money_short(self.p10)}–{money_short(self.p90)})" if self.p10 is not None and self.p90 is not None else ""
        parts = [f"This run will cost {cost}{rng}"]
        if self.budget.team_left is not None:
            parts.append(f"team budget left {money(self.budget.team_left)}")
        elif self.budget.job_budget is not None:
            parts.append(f"job budget {money(self.budget.job_budget)}")
        return "; ".join(parts) + f": {self.verdict}"

    def summary(self) -> str:
        out = [self.headline() + "."]
        if self.gpu is not None and self.hours is not None:
            g = self.gpu
            per_gpu = {"on-demand": g.on_demand_per_gpu_hour, "spot": g.spot_per_gpu_hour,
                       "reserved": g.reserved_per_gpu_hour}[self.pricing or "on-demand"]
            out.append(f"{self.name}: {_num(g.gpus_per_instance * g.instances)} {g.gpu_type or 'GPU'} GPUs "
                       f"({_num(g.instances)} x {g.instance_type}, {g.region}) for {_num(self.hours)} hours at "
                       f"{money(per_gpu, 4)} per GPU-hour {self.pricing}.")
        if self.model is not None:
            out.append(f"{self.name}: LLM batch on {self.model}.")
        if self.history is not None:
            h = self.history
            out.append(f"Range from {h.basis}: p10 {_ratio(h.p10_ratio)}, median {_ratio(h.p50_ratio)}, "
                       f"p90 {_ratio(h.p90_ratio)} of the estimate.")
        for alt in self.alternatives:
            if alt.cost is None:
                out.append(f"{alt.option}: unknown ({alt.note}).")
            elif alt.savings is not None and alt.savings > 0:
                out.append(f"{alt.option} would cost {money(alt.cost)}, saving {money(alt.savings)}"
                           + (f" ({alt.note})." if alt.note else "."))
            else:
                out.append(f"{alt.option} would cost {money(alt.cost)}" + (f" ({alt.note})." if alt.note else "."))
        out.extend(r if r.endswith(".") else r + "." for r in self.reasons)
        out.extend(w if w.endswith(".") else w + "." for w in self.warnings)
        out.append(f"Estimate id {self.estimate_id}.")
        return " ".join(out)

    def table(self) -> TableView:
        return TableView(
            columns=["item", "quantity", "unit", "unit price", "cost"],
            rows=[[l.item, _num(l.quantity), l.unit, _unit_price(l.unit_price),
                   money(l.cost)] for l in self.lines],
        )

    def markdown(self) -> str:
        """A PR comment: the headline, the cost lines, alternatives, range basis and how to approve."""
        md = [f"**{self.headline()}**", ""]
        md.append("| item | quantity | unit | unit price | cost |")
        md.append("|---|---:|---|---:|---:|")
        for row in self.table().rows:
            md.append("| " + " | ".join(str(c) for c in row) + " |")
        md.append(f"| **total** | | | | **{money(self.expected_cost)}** |")
        if self.alternatives:
            md += ["", "| option | cost | saves | note |", "|---|---:|---:|---|"]
            for a in self.alternatives:
                md.append(f"| {a.option} | {money(a.cost)} | {money(a.savings) if a.savings is not None else 'n/a'} | {a.note} |")
        md.append("")
        if self.history is not None:
            md.append(f"- Range: {self.history.basis} (p10 {_ratio(self.history.p10_ratio)}, "
                      f"p90 {_ratio(self.history.p90_ratio)} of the estimate).")
        b = self.budget
        if b.team_budget is not None:
            md.append(f"- Team {b.team}: budget {money(b.team_budget)} for the month from {b.period_start}, "
                      f"spent {money(b.team_spent)}, left {money(b.team_left)}.")
        if b.job_budget is not None:
            md.append(f"- Job budget: {money(b.job_budget)}.")
        md.extend(f"- {r}" for r in self.reasons)
        md.extend(f"- ⚠ {w}" for w in self.warnings)
        if self.approved_by:
            md.append(f"- Approved by {self.approved_by}.")
        md.append(f"- Estimate id `{self.estimate_id}`" + ("" if self.stored else " (not recorded in the store)")
                  + (": approval needed from the team's approvers." if self.needs_approval else "."))
        return "\n".join(md)


@tool("estimate",
      "Pre-launch cost of a GPU job (GPU type x count x hours x catalog price; on-demand, spot or reserved) or "
      "an LLM batch (calls x tokens x model price), with a p10-p90 range from similar past jobs, cheaper "
      "alternatives, and the verdict against the team's remaining monthly budget.",
      examples=["This training will cost $50K. Approve?",
                "How much would 64 H100s for 72 hours cost?",
                "Estimate 8 A100 for 12 hours on spot for team research",
                "What would 2 million calls to gpt-4o with 1000 input and 200 output tokens cost?"])
def estimate(ctx: ToolContext, args: EstimateArgs) -> EstimateResult:
    spec = _spec(args)
    team = _resolve_team(ctx, spec)
    if isinstance(spec, LlmBatchSpec):
        body = _llm_batch(ctx, spec)
    else:
        body = _gpu_job(ctx, spec)
    budget = _budget_check(ctx, team, spec.budget)
    verdict, reasons = _verdict(body["expected_cost"], budget)
    over_threshold = threshold_reason(body["expected_cost"], approval_threshold())
    if over_threshold and verdict == "within budget":
        verdict = "needs approval"           # the same rule the Slack bot applies (tools.approval_policy)
    if over_threshold:
        reasons.insert(0, over_threshold)
    body["warnings"] = body["warnings"] + _range_warnings(body.get("p90"), budget)
    estimate_id = _estimate_id(spec, body["expected_cost"])
    approved_by: str | None = None
    if verdict != "within budget":
        run = RunToGate(estimate_id=estimate_id, team=team, name=spec.name, expected_cost=body["expected_cost"])
        approved_by, approval_note = _approval(ctx, run, args.approval_id)
        if approved_by:
            verdict = "approved"
        if approval_note:
            reasons.append(approval_note)
    result = EstimateResult(estimate_id=estimate_id, name=spec.name, team=team, kind=spec.kind,
                            budget=budget, verdict=verdict, reasons=reasons, approved_by=approved_by, **body)
    if args.record:
        result.stored = _store(ctx, result, spec)
    return result


# -- input ----------------------------------------------------------------------------------------
_SPEC_FIELDS = ("name", "team", "kind", "gpu_type", "instance_type", "gpu_count", "hours", "steps",
                "seconds_per_step", "region", "pricing", "budget", "ttl_hours", "storage_gb", "egress_gb",
                "model", "calls", "input_tokens", "output_tokens", "cached_share")


def _spec(args: EstimateArgs) -> JobSpec:
    overrides = {f: getattr(args, f) for f in _SPEC_FIELDS if getattr(args, f) is not None}
    if args.manifest is not None:
        spec = parse_manifest(args.manifest, args.manifest_name)
        if not overrides:
            return spec
        data = spec.model_dump(exclude_none=True, exclude_defaults=False)
        data.update(overrides)
        lines = {f: spec.line_of(f) for f in data if spec.line_of(f) is not None and f not in overrides}
        return build_spec(data, source=args.manifest_name, lines=lines)  # type: ignore[arg-type]
    if "name" not in overrides:
        overrides["name"] = _default_name(overrides)
    return build_spec(overrides, source="estimate arguments")


def _default_name(fields: dict[str, Any]) -> str:
    if fields.get("kind") == "llm-batch" or fields.get("model"):
        return f"llm-batch-{fields.get('model', 'model')}"
    what = fields.get("gpu_type") or fields.get("instance_type") or "gpu"
    return f"adhoc-{what}x{fields.get('gpu_count', '')}".rstrip("x")


def _resolve_team(ctx: ToolContext, spec: JobSpec) -> str | None:
    if spec.team is None:
        return None
    from tools.names import candidates

    known = candidates(ctx.con, "team")
    if not known:
        ctx.note(f"the store knows no teams; team '{spec.team}' taken as given (no team budget to check)")
        return spec.team
    try:
        return resolve_in(spec.team.strip(), known, "team")
    except UnknownNameError as exc:
        raise _name_error(spec, "team", exc) from None


class ManifestNameError(UnknownNameError):
    """An unknown name in a manifest: a "did you mean" error that also names the field and line."""

    def __init__(self, source: str, field: str, line: int | None, err: UnknownNameError):
        self.kind, self.name, self.suggestions = err.kind, err.name, err.suggestions
        self.problems = [ManifestProblem(field=field, line=line, message=str(err))]
        FinopsError.__init__(self, f"{source}: {self.problems[0].render()}")


def _name_error(spec: JobSpec, field: str, err: UnknownNameError) -> ManifestNameError:
    return ManifestNameError(spec.source, field, spec.line_of(field), err)


# -- GPU jobs --------------------------------------------------------------------------------------
def _gpu_job(ctx: ToolContext, spec: GpuJobSpec) -> dict[str, Any]:
    basis, gpu_count = _gpu_price(ctx, spec)
    hours = spec.run_hours
    per_gpu = {"on-demand": basis.on_demand_per_gpu_hour, "spot": basis.spot_per_gpu_hour,
               "reserved": basis.reserved_per_gpu_hour}
    gpu_hours = Decimal(gpu_count) * hours
    warnings: list[str] = []

    def compute_cost(pricing: str) -> Decimal | None:
        price = per_gpu[pricing]
        return None if price is None else cents(gpu_hours * price)

    lines = [CostLine(item=f"{basis.gpu_type or 'GPU'} compute ({spec.pricing}, {basis.instance_type})",
                      quantity=gpu_hours, unit="GPU-hours", unit_price=per_gpu[spec.pricing],
                      cost=compute_cost(spec.pricing))]
    extra = Decimal(0)
    if spec.storage_gb:
        price = spec.storage_usd_per_gb_month if spec.storage_usd_per_gb_month is not None else DEFAULT_STORAGE_USD_PER_GB_MONTH
        qty = spec.storage_gb * hours / HOURS_PER_MONTH
        cost = cents(qty * price)
        lines.append(CostLine(item="storage", quantity=qty, unit="GB-months", unit_price=price, cost=cost))
        extra += cost
    if spec.egress_gb:
        price = spec.egress_usd_per_gb if spec.egress_usd_per_gb is not None else DEFAULT_EGRESS_USD_PER_GB
        cost = cents(spec.egress_gb * price)
        lines.append(CostLine(item="egress", quantity=spec.egress_gb, unit="GB", unit_price=price, cost=cost))
        extra += cost
    chosen = compute_cost(spec.pricing)
    expected = None if chosen is None else chosen + extra

    alternatives: list[Alternative] = []
    for option, note in (("on-demand", ""),
                         ("spot", f"catalog on-demand less {pct(SPOT_DISCOUNT, 0)}; can be interrupted, needs checkpoints"),
                         ("reserved", "1-year no-upfront commitment")):
        if option == spec.pricing:
            continue
        alt_compute = compute_cost(option)
        alt_cost = None if alt_compute is None else alt_compute + extra
        if alt_cost is None:
            note = f"no reserved price for {basis.instance_type} in {basis.region} in the catalog"
        savings = None if alt_cost is None or expected is None else expected - alt_cost
        alternatives.append(Alternative(option=option, cost=alt_cost, savings=savings, note=note))

    if gpu_count % basis.gpus_per_instance:
        whole = (Decimal(gpu_count) / basis.gpus_per_instance).to_integral_value(rounding="ROUND_CEILING")
        warnings.append(f"{gpu_count} GPUs is not a whole number of {basis.instance_type} instances "
                        f"({_num(basis.gpus_per_instance)} GPUs each); billing is per instance, so "
                        f"{_num(whole)} instances would be billed")
    if spec.ttl_hours is not None and spec.ttl_hours < hours:
        warnings.append(f"ttl_hours {_num(spec.ttl_hours)} is shorter than the run ({_num(hours)} hours): "
                        "the job would be stopped before it finishes")
    if spec.ttl_hours is None:
        warnings.append("no ttl_hours: a stuck job would keep billing; set one")
    history = _history_band(ctx, basis.gpu_type, spec.kind)
    p10 = p90 = None
    if expected is not None:
        p10, p90 = cents(expected * history.p10_ratio), cents(expected * history.p90_ratio)
    return {"expected_cost": expected, "p10": p10, "p90": p90, "hours": hours, "lines": lines, "gpu": basis,
            "pricing": spec.pricing, "alternatives": alternatives, "history": history, "warnings": warnings}


def _gpu_price(ctx: ToolContext, spec: GpuJobSpec) -> tuple[GpuPriceBasis, int]:
    if ctx.scalar("SELECT count(*) AS n FROM gpu_prices") == 0:
        raise FinopsError("the GPU price catalog is empty; load it with knowledge.prices.load_catalogs "
                          "(finops estimate loads it on first use)")
    gpu_type: str | None = None
    if spec.gpu_type:
        types = [r["gpu_type"] for r in ctx.query(
            "SELECT DISTINCT gpu_type FROM gpu_prices WHERE gpu_type IS NOT NULL ORDER BY gpu_type")]
        try:
            gpu_type = resolve_in(spec.gpu_type.strip(), types, "GPU type")
        except UnknownNameError as exc:
            raise _name_error(spec, "gpu_type", exc) from None
    region = spec.region.strip()
    if spec.instance_type:
        rows = ctx.query(
            """
            SELECT instance_type, provider, region, gpu_type, gpu_count,
                   on_demand_usd_per_hour AS od, reserved_1yr_no_upfront_usd_per_hour AS rsv
            FROM gpu_prices WHERE instance_type = ?
            ORDER BY region, provider
            """,
            [spec.instance_type.strip()],
        )
        if not rows:
            names = [r["instance_type"] for r in ctx.query("SELECT DISTINCT instance_type FROM gpu_prices ORDER BY instance_type")]
            try:
                resolve_in(spec.instance_type.strip(), names, "instance type")
            except UnknownNameError as exc:
                raise _name_error(spec, "instance_type", exc) from None
            raise spec.problem("instance_type", f"unknown instance type '{spec.instance_type}'")
        in_region = [r for r in rows if r["region"] == region]
        if not in_region:
            regions = ", ".join(sorted({r["region"] for r in rows})[:30])
            raise spec.problem("region", f"no price for {spec.instance_type} in '{region}'; priced in: {regions}")
        row = in_region[0]
        if gpu_type is not None and row["gpu_type"] != gpu_type:
            raise spec.problem("gpu_type", f"{row['instance_type']} has {row['gpu_type']} GPUs, not {gpu_type}")
        gpu_count = spec.gpu_count if spec.gpu_count is not None else int(row["gpu_count"])
    else:
        rows = ctx.query(
            """
            SELECT instance_type, provider, region, gpu_type, gpu_count,
                   on_demand_usd_per_hour AS od, reserved_1yr_no_upfront_usd_per_hour AS rsv
            FROM gpu_prices
            WHERE gpu_type = ? AND region = ? AND gpu_count >= 1 AND on_demand_usd_per_hour > 0
            ORDER BY instance_type, provider
            """,
            [gpu_type, region],
        )
        if not rows:
            regions = [r["region"] for r in ctx.query(
                "SELECT DISTINCT region FROM gpu_prices WHERE gpu_type = ? ORDER BY region", [gpu_type])]
            raise spec.problem("region", f"no {gpu_type} price in '{region}'; priced in: {', '.join(regions[:30])}"
                               + (" ..." if len(regions) > 30 else ""))
        assert spec.gpu_count is not None
        gpu_count = spec.gpu_count
        # A whole number of instances first, then the cheapest GPU-hour, then the biggest instance.
        row = min(rows, key=lambda r: (gpu_count % int(r["gpu_count"]) != 0, r["od"] / r["gpu_count"],
                                       -r["gpu_count"], r["instance_type"], r["provider"]))
    gpus = Decimal(row["gpu_count"])
    od = Decimal(row["od"]) / gpus
    basis = GpuPriceBasis(
        instance_type=row["instance_type"], provider=row["provider"], region=row["region"], gpu_type=row["gpu_type"],
        gpus_per_instance=gpus, instances=Decimal(gpu_count) / gpus,
        on_demand_per_gpu_hour=od, spot_per_gpu_hour=od * (1 - SPOT_DISCOUNT),
        reserved_per_gpu_hour=None if row["rsv"] is None else Decimal(row["rsv"]) / gpus,
    )
    return basis, gpu_count


def _history_band(ctx: ToolContext, gpu_type: str | None, kind: str) -> HistoryBand:
    rows = ctx.query(
        """
        SELECT job_id, gpu_type, kind, estimated_cost, actual_cost FROM gpu_jobs
        WHERE ended_at IS NOT NULL AND estimated_cost > 0 AND actual_cost IS NOT NULL
        ORDER BY job_id
        """
    )
    levels = [
        (f"{{n}} finished {kind} jobs on {gpu_type}", lambda r: r["gpu_type"] == gpu_type and r["kind"] == kind),
        (f"{{n}} finished {kind} jobs (any GPU)", lambda r: r["kind"] == kind),
        ("{n} finished GPU jobs of any kind", lambda r: True),
    ]
    for basis, keep in levels:
        ratios = [Decimal(r["actual_cost"]) / Decimal(r["estimated_cost"]) for r in rows if keep(r)]
        if len(ratios) >= MIN_HISTORY:
            return HistoryBand(jobs=len(ratios), basis=basis.format(n=len(ratios)), p10_ratio=quantile(ratios, "0.1"),
                               p50_ratio=median(ratios), p90_ratio=quantile(ratios, "0.9"), default=False)
    lo, mid, hi = DEFAULT_BAND
    return HistoryBand(jobs=len(rows), basis=f"the default band -10%/+30% (only {len(rows)} finished jobs with "
                       f"estimates in the store; {MIN_HISTORY} similar ones needed)",
                       p10_ratio=lo, p50_ratio=mid, p90_ratio=hi, default=True)


# -- LLM batches -----------------------------------------------------------------------------------
def _llm_batch(ctx: ToolContext, spec: LlmBatchSpec) -> dict[str, Any]:
    names = [r["model"] for r in ctx.query("SELECT model FROM llm_prices ORDER BY model")]
    if not names:
        raise FinopsError("the LLM price catalog is empty; load it with knowledge.prices.load_catalogs")
    try:
        model = resolve_in(spec.model.strip(), names, "model")
    except UnknownNameError as exc:
        raise _name_error(spec, "model", exc) from None
    prices = provider_prices(ctx.query, model)
    own = next(p for p in prices if p["model"] == model)
    calls = Decimal(spec.calls)
    cached = Decimal(spec.input_tokens) * spec.cached_share * calls
    uncached = Decimal(spec.input_tokens) * calls - cached
    output = Decimal(spec.output_tokens) * calls

    def batch_cost(p: dict[str, Any]) -> Decimal | None:
        cost = token_cost(p, uncached, cached, output)
        return None if cost is None else cents(cost)

    cache_price = own["cache"] if own["cache"] is not None else own["inp"]
    million = Decimal(1_000_000)

    def token_line(item: str, tokens: Decimal, price: Decimal | None) -> CostLine:
        return CostLine(item=item, quantity=tokens / million, unit="M tokens",
                        unit_price=None if price is None else price * million,
                        cost=None if price is None else cents(tokens * price))

    lines = [token_line(f"{model} input (uncached)", uncached, own["inp"]),
             token_line(f"{model} input (cached)", cached, cache_price),
             token_line(f"{model} output", output, own["outp"])]
    if not cached:
        lines.pop(1)
    expected = batch_cost(own)
    alternatives = [] if expected is None else [
        Alternative(option=p["model"], cost=cost, savings=expected - cost,
                    note=f"{p['tier']} tier; check quality on a sample first")
        for p, cost in cheaper_models(model, prices, batch_cost, expected)]
    warnings = [] if expected is not None else [f"{model} has no price in the catalog: cost unknown"]
    return {"expected_cost": expected, "p10": None, "p90": None, "hours": None, "lines": lines, "gpu": None,
            "pricing": None, "model": model, "alternatives": alternatives, "history": None, "warnings": warnings}


# -- budget, verdict, approvals, storage ------------------------------------------------------------
def _budget_check(ctx: ToolContext, team: str | None, job_budget: Decimal | None) -> BudgetCheck:
    check = BudgetCheck(team=team, job_budget=job_budget)
    if team is None:
        return check
    today = ctx.today
    rows = ctx.query(
        """
        SELECT period, period_start, amount FROM budgets
        WHERE scope_kind = 'team' AND scope_name = ? AND period_start <= ?
        ORDER BY period_start DESC, period
        """,
        [team, today],
    )
    for r in rows:
        months = 3 if r["period"] == "quarterly" else 12 if r["period"] == "yearly" else 1
        end = _add_months(r["period_start"], months)
        if r["period_start"] <= today < end:
            spent = scope_spend(ctx, "team", team, r["period_start"], today)
            check.team_budget, check.period_start, check.team_spent = Decimal(r["amount"]), r["period_start"], spent
            check.team_left = Decimal(r["amount"]) - spent
            break
    else:
        ctx.note(f"team {team} has no budget covering {today.isoformat()}")
    return check


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def _range_warnings(p90: Decimal | None, b: BudgetCheck) -> list[str]:
    """The verdict rests on the expected cost; say so when the p90 of similar past jobs would not fit."""
    out: list[str] = []
    if p90 is None:
        return out
    if b.job_budget is not None and p90 > b.job_budget:
        out.append(f"the p90 cost {money(p90)} is over the job budget of {money(b.job_budget)}: "
                   "1 in 10 similar past jobs overran this much")
    if b.team_left is not None and p90 > b.team_left:
        out.append(f"the p90 cost {money(p90)} is over what team {b.team} has left this month ({money(b.team_left)})")
    return out


def _verdict(expected: Decimal | None, b: BudgetCheck) -> tuple[Verdict, list[str]]:
    if expected is None:
        return "needs approval", ["the cost is unknown (a price is missing from the catalog): a person must check it"]
    reasons: list[str] = []
    over = False
    if b.job_budget is not None and expected > b.job_budget:
        over = True
        reasons.append(f"over the job budget of {money(b.job_budget)} by {money(expected - b.job_budget)}")
    if b.team_left is not None and expected > b.team_left:
        over = True
        reasons.append(f"over what team {b.team} has left this month ({money(b.team_left)}) by "
                       f"{money(expected - b.team_left)}")
    if over:
        return "over budget", reasons
    if b.job_budget is None and b.team_left is None:
        who = f"team {b.team} has no budget this month" if b.team else "no team given"
        return "needs approval", [f"no budget to check against ({who} and no job budget)"]
    return "within budget", reasons


def _approval(ctx: ToolContext, run: RunToGate, approval_id: str | None) -> tuple[str | None, str | None]:
    """Who approved this run (its own estimate, or the one named by approval_id when that approval binds
    to this run: tools.approval_policy), and a note saying why an approval does not apply."""
    own = _decision(ctx, run.estimate_id)
    if own is not None and own.decision != "approved":
        return None, f"estimate {own.estimate_id} was {own.decision} by {own.decided_by}"
    notes: list[str] = []
    candidates = [own] if own is not None else []
    if approval_id and approval_id != run.estimate_id:
        named = _decision(ctx, approval_id)
        if named is None:
            notes.append(f"no decision recorded for estimate {approval_id}")
        else:
            candidates.append(named)
    for approval in candidates:
        problem = approval_problem(approval, run)
        if problem is None:
            expires = approval.decided_at + timedelta(days=approval_valid_days())
            return approval.decided_by, (f"approved by {approval.decided_by} (estimate {approval.estimate_id}, "
                                         f"up to {money(approval.expected_cost)}, valid until {expires:%Y-%m-%d} UTC)")
        notes.append(problem)
    return None, ("; ".join(notes) or None)


def _decision(ctx: ToolContext, estimate_id: str) -> ApprovedEstimate | None:
    """The latest decision on an estimate, with the estimate it was given for and who asked for it."""
    rows = ctx.query(
        """
        SELECT a.decision, a.decided_by, a.ts, e.team, e.name, e.expected_cost
        FROM approvals a LEFT JOIN estimates e USING (estimate_id)
        WHERE a.estimate_id = ? AND a.decision IN ('approved', 'rejected')
        ORDER BY a.ts DESC, a.decided_by, a.decision LIMIT 1
        """,
        [estimate_id],
    )
    if not rows:
        return None
    r = rows[0]
    requesters = [q["decided_by"] for q in ctx.query(
        "SELECT DISTINCT decided_by FROM approvals WHERE estimate_id = ? AND decision = ? ORDER BY decided_by",
        [estimate_id, REQUESTED])]
    return ApprovedEstimate(estimate_id=estimate_id, team=r["team"], name=r["name"],
                            expected_cost=None if r["expected_cost"] is None else Decimal(r["expected_cost"]),
                            decision=r["decision"], decided_by=r["decided_by"], decided_at=r["ts"],
                            requesters=requesters)


def _estimate_id(spec: JobSpec, expected: Decimal | None) -> str:
    """Stable id: the same inputs at the same cost give the same id (the budget is not part of it)."""
    inputs = spec.model_dump(mode="json", exclude={"budget"})
    blob = json.dumps({"inputs": inputs, "cost": None if expected is None else str(expected)}, sort_keys=True)
    return "est-" + hashlib.sha256(blob.encode()).hexdigest()[:12]


def _store(ctx: ToolContext, result: EstimateResult, spec: JobSpec) -> bool:
    if ctx.store.read_only:
        ctx.note("estimate not stored: the store is open read-only")
        return False
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    payload = result.model_dump_json(exclude={"evidence"})
    manifest = json.dumps(spec.model_dump(mode="json"), sort_keys=True)
    ctx.query(
        """
        INSERT INTO estimates (estimate_id, created_at, name, team, kind, expected_cost, p10, p90, budget,
                               verdict, manifest, result_json)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (estimate_id) DO UPDATE SET created_at = excluded.created_at, budget = excluded.budget,
            verdict = excluded.verdict, result_json = excluded.result_json
        """,
        [result.estimate_id, now, result.name, result.team, result.kind, result.expected_cost, result.p10,
         result.p90, spec.budget, result.verdict, manifest, payload],
    )
    return True


def _num(value: Decimal | int) -> str:
    d = Decimal(value)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}" if abs(d) < 1000 else f"{d:,.2f}"


def _unit_price(price: Decimal | None) -> str:
    if price is None:
        return "unknown"
    for places in (2, 4):
        if price == price.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
            return money(price, places)
    return money(price, 6)


def _ratio(r: Decimal) -> str:
    return f"{r.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}x"
