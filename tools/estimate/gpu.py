"""A GPU job's cost: GPUs x hours x the catalog's per-GPU-hour price, plus storage and egress lines,
the other pricing models of the same instance, and the cheapest option the constraints allow."""

from __future__ import annotations

from decimal import Decimal

from tools.contract import money
from tools.estimate.formatting import cents, num, signed_pct
from tools.estimate.gpu_catalog import CatalogRow, requested_row, resolve_gpu_type, rows_for_gpu
from tools.estimate.history import calibration, history_band, last_run
from tools.estimate.models import Alternative, CostLine, GpuPriceBasis, PricedBody
from tools.estimate.optimizer import Constraints, cheapest
from tools.manifest import GpuJobSpec
from tools.registry import ToolContext

# Default unit prices for the optional storage and egress lines (AWS us-east-1 list prices):
# EBS gp3 storage $0.08 per GB-month; data transfer out to the internet $0.09 per GB (first 10 TB).
DEFAULT_STORAGE_USD_PER_GB_MONTH = Decimal("0.08")
DEFAULT_EGRESS_USD_PER_GB = Decimal("0.09")
HOURS_PER_MONTH = Decimal(730)          # AWS bills storage per GB-month of 730 hours
PRICING_NOTES = {"on-demand": "", "spot": "catalog spot price; can be interrupted, needs checkpoints",
                 "reserved": "1-year no-upfront commitment"}


def price_basis(row: CatalogRow, gpu_count: int) -> GpuPriceBasis:
    gpus = row.gpus
    assert row.on_demand is not None
    return GpuPriceBasis(
        instance_type=row.instance_type, provider=row.provider, region=row.region, gpu_type=row.gpu_type,
        gpus_per_instance=gpus, instances=Decimal(gpu_count) / gpus, on_demand_per_gpu_hour=row.on_demand / gpus,
        spot_per_gpu_hour=None if row.spot is None else row.spot / gpus,
        reserved_per_gpu_hour=None if row.reserved is None else row.reserved / gpus, source=row.source)


def gpu_job(ctx: ToolContext, spec: GpuJobSpec) -> PricedBody:
    gpu_type = resolve_gpu_type(ctx, spec)
    row, gpu_count = requested_row(ctx, spec, gpu_type)
    basis = price_basis(row, gpu_count)
    hours = spec.run_hours
    gpu_hours = Decimal(gpu_count) * hours

    def compute_cost(pricing: str) -> Decimal | None:
        price = basis.per_gpu_hour(pricing)
        return None if price is None else cents(gpu_hours * price)

    lines = [CostLine(item=f"{basis.gpu_type or 'GPU'} compute ({spec.pricing}, {basis.instance_type}, "
                           f"{basis.provider} {basis.region})",
                      quantity=gpu_hours, unit="GPU-hours", unit_price=basis.per_gpu_hour(spec.pricing),
                      cost=compute_cost(spec.pricing), source=basis.source)]
    extra = _extra_lines(spec, hours, lines)
    chosen = compute_cost(spec.pricing)
    expected = None if chosen is None else chosen + extra
    alternatives = _pricing_alternatives(spec, basis, compute_cost, extra, expected)
    best = _cheapest_alternative(ctx, spec, basis, gpu_count, hours, extra, expected)
    if best is not None:
        alternatives.insert(0, best)
    warnings = _warnings(spec, basis, gpu_count, hours, expected)
    history = history_band(ctx, basis.gpu_type, spec.kind)
    p10 = p90 = None
    if expected is not None:
        p10, p90 = cents(expected * history.p10_ratio), cents(expected * history.p90_ratio)
    return PricedBody(expected_cost=expected, p10=p10, p90=p90, hours=hours, lines=lines, gpu=basis,
                      pricing=spec.pricing, alternatives=alternatives, history=history,
                      calibration=calibration(ctx, spec.team), last_run=last_run(ctx, spec.name, spec.team),
                      warnings=warnings)


def _extra_lines(spec: GpuJobSpec, hours: Decimal, lines: list[CostLine]) -> Decimal:
    extra = Decimal(0)
    if spec.storage_gb:
        price = spec.storage_usd_per_gb_month if spec.storage_usd_per_gb_month is not None \
            else DEFAULT_STORAGE_USD_PER_GB_MONTH
        qty = spec.storage_gb * hours / HOURS_PER_MONTH
        cost = cents(qty * price)
        lines.append(CostLine(item="storage", quantity=qty, unit="GB-months", unit_price=price, cost=cost,
                              source="manifest" if spec.storage_usd_per_gb_month is not None
                              else "default: AWS EBS gp3 list price"))
        extra += cost
    if spec.egress_gb:
        price = spec.egress_usd_per_gb if spec.egress_usd_per_gb is not None else DEFAULT_EGRESS_USD_PER_GB
        cost = cents(spec.egress_gb * price)
        lines.append(CostLine(item="egress", quantity=spec.egress_gb, unit="GB", unit_price=price, cost=cost,
                              source="manifest" if spec.egress_usd_per_gb is not None
                              else "default: AWS internet egress list price"))
        extra += cost
    return extra


def _pricing_alternatives(spec: GpuJobSpec, basis: GpuPriceBasis, compute_cost, extra: Decimal,
                          expected: Decimal | None) -> list[Alternative]:
    out: list[Alternative] = []
    for option in ("on-demand", "spot", "reserved"):
        if option == spec.pricing:
            continue
        alt_compute = compute_cost(option)
        alt_cost = None if alt_compute is None else alt_compute + extra
        note = PRICING_NOTES[option]
        if alt_cost is None:
            note = (f"{option} price unknown: no {option} price for {basis.instance_type} in {basis.region} "
                    "in the catalog")
        savings = None if alt_cost is None or expected is None else expected - alt_cost
        out.append(Alternative(option=option,
                               cost=alt_cost, savings=savings, note=note, source=basis.source,
                               savings_pct=_pct(savings, expected)))
    return out


def _cheapest_alternative(ctx: ToolContext, spec: GpuJobSpec, basis: GpuPriceBasis, gpu_count: int, hours: Decimal,
                          extra: Decimal, expected: Decimal | None) -> Alternative | None:
    """The cheapest provider/region/instance/pricing the manifest's constraints allow, when it is not the
    requested one."""
    if basis.gpu_type is None:
        return None
    constraints = Constraints.parse(spec.providers, spec.regions, spec.allow_spot)
    best = cheapest(rows_for_gpu(ctx, basis.gpu_type), gpu_count, hours, constraints)
    if best is None:
        return None
    same = (best.row.instance_type, best.row.provider, best.row.region, best.pricing) == (
        basis.instance_type, basis.provider, basis.region, spec.pricing)
    if same:
        return None
    cost = best.cost + extra
    savings = None if expected is None else expected - cost
    pct = "" if expected is None else f", {signed_pct(cost - expected, expected)}"
    note = (f"cheapest allowed option ({_constraint_text(constraints)}): {best.instances} x "
            f"{best.row.instance_type} at {money(best.row.hourly(best.pricing), 4)}/h{pct}")
    if best.pricing == "spot":
        note += "; can be interrupted, needs checkpoints"
    return Alternative(option=f"same job on {best.label()}", cost=cost, savings=savings, note=note,
                       source=best.row.source, savings_pct=_pct(savings, expected))


def _constraint_text(c: Constraints) -> str:
    providers = ", ".join(sorted(c.providers)) if c.providers else "any provider"
    regions = ", ".join(sorted(c.regions)) if c.regions else "any region"
    return f"{providers}; {regions}; spot {'allowed' if c.allow_spot else 'not allowed'}"


def _pct(savings: Decimal | None, expected: Decimal | None) -> Decimal | None:
    if savings is None or not expected:
        return None
    return (savings / expected * 100).quantize(Decimal(1))


def _warnings(spec: GpuJobSpec, basis: GpuPriceBasis, gpu_count: int, hours: Decimal,
              expected: Decimal | None) -> list[str]:
    warnings: list[str] = []
    if expected is None:
        warnings.append(f"{spec.pricing} price unknown for {basis.instance_type} in {basis.region}: the catalog "
                        f"({basis.source}) has none, so the cost is unknown (never guessed)")
    if gpu_count % basis.gpus_per_instance:
        whole = (Decimal(gpu_count) / basis.gpus_per_instance).to_integral_value(rounding="ROUND_CEILING")
        warnings.append(f"{gpu_count} GPUs is not a whole number of {basis.instance_type} instances "
                        f"({num(basis.gpus_per_instance)} GPUs each); billing is per instance, so "
                        f"{num(whole)} instances would be billed")
    if spec.ttl_hours is not None and spec.ttl_hours < hours:
        warnings.append(f"ttl_hours {num(spec.ttl_hours)} is shorter than the run ({num(hours)} hours): "
                        "the job would be stopped before it finishes")
    if spec.ttl_hours is None:
        warnings.append("no ttl_hours: a stuck job would keep billing; set one")
    return warnings
